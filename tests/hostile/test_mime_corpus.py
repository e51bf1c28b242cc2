"""The MIME hostile corpus (tests/hostile/mails, expectations in mails/index.yaml) through the real
poller over Dovecot: each mail is decided in one poll and ends where its entry says, nothing
raises and no traceback is logged, and the next poll has nothing left to do."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from mailflow.adapters.db.models import Case, Complainant, Message, MessageAttachment
from tests.hostile.mime_support import MAILS, corpus, mail, mime_env_fixture, tracebacks  # noqa: F401 - the mime_env fixture
from tests.ingest.conftest import IngestEnv

pytestmark = [pytest.mark.imap, pytest.mark.slow]


def _check(name: str, expected: dict[str, Any], row: Message, env: IngestEnv) -> list[str]:
    problems: list[str] = []

    def expect(what: str, actual: object, wanted: object) -> None:
        if actual != wanted:
            problems.append(f"{name}: {what} is {actual!r}, expected {wanted!r}")

    expect("status", row.status, expected["status"])
    expect("kind", row.kind, expected["kind"])
    expect("attempts", row.attempts, 1)
    if "code" in expected:
        expect("quarantine code", (row.quarantine_reason or "").split(":", 1)[0], expected["code"])
    if "from" in expected:
        expect("from", row.from_addr, expected["from"])
    if row.kind == "complaint":
        cases = env.rows(Case, Case.source_message_id == row.id)
        expect("cases", len(cases), 1)
        if cases and "complainant" in expected:
            [who] = env.rows(Complainant, Complainant.id == cases[0].complainant_id)
            expect("complainant", {"name": who.name, "email": who.email}, expected["complainant"])
    else:
        expect("cases", env.count(Case, Case.source_message_id == row.id), 0)
    if "damaged" in expected:
        damaged = env.rows(
            MessageAttachment, MessageAttachment.message_id == row.id, MessageAttachment.damaged
        )
        expect("damaged attachments", len(damaged), expected["damaged"])
        if damaged:
            expect("defects recorded", bool(row.defects and json.loads(row.defects)["parts"]), True)
    return problems


def test_every_corpus_mail_ends_where_its_index_says(
    mime_env: IngestEnv, caplog: pytest.LogCaptureFixture
) -> None:
    env = mime_env
    index = corpus()
    uids = {env.append(mail(name)): name for name in index}
    assert len(uids) == len(index) == len(list(MAILS.glob("*.eml")))

    with caplog.at_level(logging.WARNING):
        stats = env.poll_once()
        again = env.poll_once()

    quarantined = sum(1 for entry in index.values() if entry["status"] == "quarantined")
    assert (stats.seen, stats.processed, stats.quarantined) == (
        len(index),
        len(index) - quarantined,
        quarantined,
    )
    assert (again.processed, again.quarantined) == (0, 0)
    assert tracebacks(caplog.records) == []
    rows = {row.uid: row for row in env.rows(Message)}
    problems = [p for uid, name in uids.items() for p in _check(name, index[name], rows[uid], env)]
    assert problems == []
    assert env.dovecot.uids(env.user, "INBOX") == []
