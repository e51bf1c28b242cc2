"""Group commit: per fetched batch one fsync round, one transaction and one MOVE; a poisoned
message costs its batch one retry, a message at a time, never its neighbours' work. On SQLite
and PostgreSQL, with real Dovecot and realistic mail (photos, PDFs)."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.models import Case, Message, MessageAttachment
from mailflow.adapters.imap import ImapConnection
from mailflow.bootstrap import ingest as ingest_app
from mailflow.config.model import MailboxSection
from mailflow.services.ingest.poller import MailboxPoller, account_for
from mailflow.services.ingest.service import DefaultHooks, IngestHooks
from tests.ingest.conftest import IngestEnv, make_env
from tests.ingest.realistic import realistic_complaint

pytestmark = [pytest.mark.imap]


class PoisonHooks(DefaultHooks):
    """The engine's seam failing for one case (a real exception inside the batch's transaction)."""

    def case_registered(self, session, case, now) -> None:
        if "RACUN" in case.subject:
            raise RuntimeError("engine cannot start step 2 for this case")


@dataclass
class Watch:
    """What the poller did, seen from outside: the transactions that inserted message rows (by
    SQLAlchemy's begin event) and the MOVE commands sent to the real server."""

    inserting: list[int] = field(default_factory=list)
    moves: list[tuple[str, list[int]]] = field(default_factory=list)


@contextmanager
def watching(database: Database) -> Iterator[Watch]:
    watch = Watch()
    current = [0]

    def begin(_conn: Any) -> None:
        current[0] += 1

    def execute(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO MESSAGES ") and (
            not watch.inserting or watch.inserting[-1] != current[0]
        ):
            watch.inserting.append(current[0])

    event.listen(database.engine, "begin", begin)
    event.listen(database.engine, "before_cursor_execute", execute)
    try:
        yield watch
    finally:
        event.remove(database.engine, "begin", begin)
        event.remove(database.engine, "before_cursor_execute", execute)


def poller(env: IngestEnv, watch: Watch, hooks: IngestHooks | None = None) -> MailboxPoller:
    def connect(box: MailboxSection) -> ImapConnection:
        connection = ImapConnection.open(account_for(box))
        real_move = connection.move

        def move(uids: Sequence[int], folder: str) -> None:
            if uids:
                watch.moves.append((folder, list(uids)))
            real_move(uids, folder)

        connection.move = move  # type: ignore[method-assign]
        return connection

    ingest = ingest_app.build_ingest(env.app, hooks or DefaultHooks())
    [box] = env.app.settings.mailboxes
    return MailboxPoller(box, ingest, env.app.database, env.app.clock, connect=connect)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def batch_env(request, tmp_path, dovecot, smtp, clock) -> Iterator[IngestEnv]:
    url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    env = make_env(tmp_path, dovecot, smtp, clock, database_url=url, batch_size=10, limits="max_attempts = 3")
    try:
        yield env
    finally:
        env.app.close()


def test_each_batch_is_one_transaction_and_one_move_with_its_files_on_disk(batch_env: IngestEnv) -> None:
    env = batch_env
    env.dovecot.append_many(env.user, [realistic_complaint(i) for i in range(23)])
    with watching(env.db) as watch:
        stats = poller(env, watch).poll_once()

    assert stats.processed == 23
    assert len(watch.inserting) == 3  # 10 + 10 + 3 messages, one transaction each
    assert [(folder, len(uids)) for folder, uids in watch.moves] == [("Diproses", 10), ("Diproses", 10),
                                                                     ("Diproses", 3)]  # fmt: skip
    messages = env.rows(Message)
    assert [m.status for m in messages] == ["processed"] * 23
    assert env.count(Case) == 23
    attachments = env.rows(MessageAttachment)
    assert len(attachments) == 23  # the photos and PDFs of the 23 mails (one per mail on average)
    for row in [*messages, *attachments]:
        path = Path(row.raw_path if isinstance(row, Message) else row.stored_path)
        assert hashlib.sha256(path.read_bytes()).hexdigest() == row.sha256
    settings = env.app.settings
    leftovers = [p for root in (settings.raw_mail_dir, settings.attachments_dir) for p in root.rglob("*.tmp")]
    assert leftovers == []  # every temporary file was renamed into place
    assert env.dovecot.uids(env.user, "INBOX") == []


def test_a_poisoned_message_costs_its_batch_one_retry_not_its_neighbours_work(
    batch_env: IngestEnv, caplog: pytest.LogCaptureFixture
) -> None:
    env = batch_env
    raws = [realistic_complaint(i) for i in range(10)]
    raws[4] = raws[4].replace(b"Subject: ", b"Subject: RACUN ", 1)
    env.dovecot.append_many(env.user, raws)
    with watching(env.db) as watch, caplog.at_level(logging.WARNING, "mailflow.ingest"):
        poller(env, watch, PoisonHooks()).poll_once()

    # the batch's transaction rolled back, then each message went alone: nine cases committed
    assert "failed at uid" in caplog.text and "one by one" in caplog.text
    assert len(watch.inserting) == 1 + 10 + 1  # the batch, each message, the failed attempt counted
    assert env.count(Case) == 9
    [poison] = env.rows(Message, Message.subject.like("RACUN%"))
    assert (poison.status, poison.attempts) == ("received", 1)  # one attempt per pass, as before
    assert "engine cannot start step 2" in (poison.last_error or "")
    assert sorted(c.number for c in env.rows(Case)) == [f"LPR-2026-{n:05d}" for n in range(1, 10)]
    assert [(folder, len(uids)) for folder, uids in watch.moves] == [("Diproses", 9)]
    assert env.dovecot.uids(env.user, "INBOX") == [poison.uid]


def test_a_mail_copied_twice_into_one_batch_registers_once(batch_env: IngestEnv) -> None:
    env = batch_env
    copied = realistic_complaint(3)  # Outlook with a PDF
    env.dovecot.append_many(env.user, [realistic_complaint(1), copied, realistic_complaint(2), copied])
    with watching(env.db) as watch:
        poller(env, watch).poll_once()
    env.append(copied)  # and a third copy after the batch committed
    with watching(env.db) as watch:
        poller(env, watch).poll_once()

    rows = env.rows(Message)
    assert [m.status for m in rows] == ["processed", "processed", "processed", "duplicate", "duplicate"]
    first = rows[1]
    assert [(m.case_id, m.rule) for m in rows[3:]] == [(first.case_id, first.rule)] * 2
    assert env.count(Case) == 3
    assert env.dovecot.uids(env.user, "INBOX") == []
