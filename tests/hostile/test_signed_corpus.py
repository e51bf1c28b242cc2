"""The hostile signed-letter corpus (tests/hostile/signed_corpus.py) through both ways in.

A case waits at step 8 with the letter the real pipeline made (LibreOffice); every forged or
damaged file is then returned through the watched folder (the real watcher, inotify) and as the
Kepala Dishub's reply to the step-8 mail (the real reply processor). Each must be refused with
its own Indonesian reason, the watcher and the reply path must keep going, and nothing may
advance: step 8 stays open, no signed letter is stored, nobody is asked to approve anything.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.models import Document, QuarantineItem, ReturnedFile
from mailflow.adapters.watcher import NOTE_SUFFIX, REJECTED
from mailflow.domain import signatures as sig
from mailflow.services.returned.watch import watched_folders
from mailflow.texts.signatures import MESSAGES
from tests.fixtures.pki import TestPki
from tests.hostile.signed_corpus import CORPUS, Hostile, Letter
from tests.signatures import conftest as signature_fixtures
from tests.signatures.conftest import KADIS_DISHUB, Step8
from tests.signatures.test_mail_path import reply_with_pdf
from tests.signatures.test_watcher import make_watcher

pytestmark = [pytest.mark.slow, pytest.mark.libreoffice]
# the signatures area's fixtures: a case waiting at step 8 with its real letter, and the test PKI
pki = signature_fixtures.pki
step8 = signature_fixtures.step8
UNBOUNDED = '[signatures]\npolicy = "digital"\nmax_explanations_per_hour = 100'


def fragment(code: str) -> str:
    """The fixed opening of the Indonesian reason for `code` (before any placeholder)."""
    return MESSAGES[f"signatures.reason.{code}"][0].split("{", 1)[0][:40]


def corpus(s: Step8, pki: TestPki) -> list[tuple[Hostile, bytes]]:
    letter = Letter(s.pdf, s.letter_number, s.number)
    return [(item, item.build(letter, pki)) for item in CORPUS]


def assert_nothing_advanced(s: Step8) -> None:
    steps = {e.step: e for e in s.h.events(s.number)}
    assert steps[8].finished_at is None and 9 not in steps
    with s.database.reader() as session:
        signed = session.execute(
            select(func.count()).select_from(Document).where(Document.kind == "surat_tanggapan_ttd")
        ).scalar_one()
        assert signed == 0
        assert session.execute(select(ReturnedFile.status).distinct()).scalars().all() == ["rejected"]
    assert s.h.mails(kind="action.10") == []


def test_every_entry_has_an_indonesian_reason_and_a_short_label() -> None:
    for item in CORPUS:
        assert fragment(item.code).strip(), item.name
        assert f"signatures.short.{item.code}" in MESSAGES, item.name


@pytest.mark.parametrize("way", ["folder", "mail"])
def test_the_hostile_corpus_is_refused_each_with_its_reason(
    database: Database, step8: Callable[..., Step8], pki: TestPki, way: str
) -> None:
    s = step8(database, edit={'[signatures]\npolicy = "digital"': UNBOUNDED})
    files = corpus(s, pki)
    problems = refused_by_folder(s, files) if way == "folder" else refused_by_mail(s, files)
    assert problems == [], "\n".join(problems)
    with s.database.reader() as session:
        codes = dict(session.execute(select(ReturnedFile.original_name, ReturnedFile.reason)).all())
        quarantined = session.execute(select(func.count()).select_from(QuarantineItem)).scalar_one()
    assert sorted(codes) == sorted(f"{item.name}.pdf" for item in CORPUS)
    assert quarantined == len(CORPUS)
    assert_nothing_advanced(s)


def refused_by_folder(s: Step8, files: list[tuple[Hostile, bytes]]) -> list[str]:
    (folder,) = watched_folders(s.h.settings)
    folder.mkdir(parents=True, exist_ok=True)
    watcher = make_watcher(s)
    started = time.monotonic()
    try:
        watcher.start()
        for item, data in files:
            (folder / f"{item.name}.pdf").write_bytes(data)
        assert watcher.wait_until(lambda: watcher.stats.done == len(files), timeout=300), watcher.stats
        assert watcher.running  # no file stopped it
    finally:
        watcher.stop()
    assert watcher.stats.failures == 0 and watcher.stats.accepted == 0
    assert time.monotonic() - started < 120  # each decided in bounded time (the bomb in ~0.4 s)
    problems = []
    for item, _ in files:
        note_path = folder / REJECTED / f"{item.name}.pdf{NOTE_SUFFIX}"
        note = note_path.read_text(encoding="utf-8") if note_path.exists() else "(no note)"
        if (
            not note.startswith("Ditolak: ")
            or fragment(item.code) not in note
            or f"[{item.code}]" not in note
        ):
            problems.append(f"{item.name}: expected {item.code}, note {note[:200]!r}")
    return problems


def refused_by_mail(s: Step8, files: list[tuple[Hostile, bytes]]) -> list[str]:
    s.h.mails()  # forget what the drive to step 8 queued
    problems = []
    for item, data in files:
        name = f"{item.name}.pdf"
        outcome = reply_with_pdf(s, data, name=name)
        explained = s.h.mails(to=KADIS_DISHUB, kind="explain")
        body = explained[0].text_body if len(explained) == 1 else ""
        if (outcome.status, outcome.code) != ("quarantined", item.code):
            problems.append(
                f"{item.name}: expected quarantined/{item.code}, got {outcome.status}/{outcome.code}"
            )
        elif name not in body or fragment(item.code) not in body or s.number not in explained[0].subject:
            problems.append(f"{item.name}: explanation {body[:300]!r}")
    return problems


def test_the_reply_path_refuses_an_attachment_it_could_not_store(
    sqlite_db: Database, step8: Callable[..., Step8]
) -> None:
    """An attachment the MIME layer refused for its size (not stored) is still a refusal on record
    for the case, with its explanation, instead of an answer that leaves no trace."""
    from mailflow.domain.inbound import AttachmentInfo  # noqa: PLC0415

    s = step8(sqlite_db)
    s.h.replies.returned = s.service
    s.h.mails()
    (action,) = [m for m in s.h.mails(kind="action.8", new=False) if m.to_addr == KADIS_DISHUB]
    too_big = AttachmentInfo(
        position=1,
        content_type="application/pdf",
        size=40 * 1024 * 1024,
        original_name="surat ttd.pdf",
        stored_path=None,
        refused_reason="40 MB > 25 MB",
    )
    outcome = s.h.reply(action, "Terlampir.", attachments=(too_big,))
    assert (outcome.status, outcome.code) == ("quarantined", sig.TOO_LARGE)
    (explained,) = s.h.mails(to=KADIS_DISHUB, kind="explain")
    assert "surat ttd.pdf" in explained.text_body and "terlalu besar" in explained.text_body
    with s.database.reader() as session:
        row = session.execute(select(ReturnedFile)).scalar_one()
        assert (row.status, row.stored_path, row.original_name) == ("rejected", None, "surat ttd.pdf")
        assert row.case_id is not None
    assert_nothing_advanced(s)
