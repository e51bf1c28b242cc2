"""Returned PDFs read by worker processes (watcher.inspect_workers) while the watcher records.

Real spawned processes, real signed letters from the pipeline, a real SQLite database. The crash
is a real SIGKILL of the worker reading the file (tests.signatures.pool_inspectors).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import select

from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.models import AuditEntry, QuarantineItem, ReturnedFile
from mailflow.domain import signatures as sig
from mailflow.services.returned.watch import ReturnedFolderHandler
from tests.fixtures.pki import TestPki
from tests.signatures import pdfs
from tests.signatures.conftest import Step8
from tests.signatures.pool_inspectors import CRASH, crashing_inspect

pytestmark = [pytest.mark.slow, pytest.mark.libreoffice]


def files(s: Step8, named: dict[str, bytes]) -> list[Path]:
    folder = s.h.settings.paths.letters / "returned"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in named.items():
        (folder / name).write_bytes(data)
        paths.append(folder / name)
    return paths


def test_a_burst_read_by_a_worker_process_is_decided_as_the_watcher_would(
    sqlite_db: Database, step8: Callable[..., Step8], pki: TestPki
) -> None:
    s = step8(sqlite_db)
    signed = pki.sign(s.pdf, pki.hendra)
    named = {
        "salah-penanda.pdf": pki.sign(s.pdf, pki.wrong),
        "diubah.pdf": pdfs.flip_byte(signed),
        "bukan.pdf": b"Ini bukan PDF, hanya teks biasa.\n" * 20,
        "belum-ttd.pdf": s.pdf,
        "rusak.pdf": signed[: len(signed) // 3],
        "surat-ttd.pdf": signed,  # the one letter that is accepted (a worker reads in order)
        "salinan.pdf": signed,  # the same bytes again, in the same burst
    }
    handler = ReturnedFolderHandler(s.service, s.database, s.h.clock, workers=1)
    try:
        decided = handler.handle_many(files(s, named))
    finally:
        handler.close()
    codes = dict(zip(named, decided, strict=True))
    with s.database.reader() as session:
        rows = {r.original_name: r for r in session.execute(select(ReturnedFile)).scalars()}
    assert {n: (rows[n].reason or "").split(":")[0] for n in list(named)[:5]} == {
        "salah-penanda.pdf": sig.WRONG_SIGNER,
        "diubah.pdf": sig.TAMPERED,
        "bukan.pdf": sig.NOT_PDF,
        "belum-ttd.pdf": sig.UNSIGNED,
        "rusak.pdf": sig.CORRUPT,
    }
    assert all(not codes[n].accepted for n in list(named)[:5])  # type: ignore[union-attr]
    assert codes["surat-ttd.pdf"].accepted and rows["surat-ttd.pdf"].status == "accepted"  # type: ignore[union-attr]
    assert codes["salinan.pdf"].record_id == rows["surat-ttd.pdf"].id  # type: ignore[union-attr]
    assert len(rows) == 6  # the copy is answered from the first row, never recorded twice
    steps = {e.step: e for e in s.h.events(s.number)}
    assert steps[8].outcome == "done" and steps[9].finished_at is not None
    assert len(s.h.mails(kind="action.10")) == 1


def test_a_file_that_kills_its_reader_is_refused_and_the_burst_goes_on(
    sqlite_db: Database, step8: Callable[..., Step8], pki: TestPki, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = step8(sqlite_db)
    service = s.service
    # fault injection, not a mock: a PDF that crashes pyHanko's or pdfium's C code cannot be made
    # on purpose, so the worker runs the real inspection and SIGKILLs itself on the marked file
    monkeypatch.setattr(
        service,
        "inspector",
        lambda: partial(crashing_inspect, trust=service.trust, max_bytes=service.max_bytes),
    )
    handler = ReturnedFolderHandler(service, s.database, s.h.clock, workers=1)
    named = {"mogok.pdf": s.pdf + CRASH, "surat-ttd.pdf": pki.sign(s.pdf, pki.hendra)}
    try:
        crashed, accepted = handler.handle_many(files(s, named))
        assert handler._pool is not None and handler._pool.restarts == 2  # tried twice, then refused
    finally:
        handler.close()
    assert not crashed.accepted and accepted.accepted  # type: ignore[union-attr]
    with s.database.reader() as session:
        row = session.execute(
            select(ReturnedFile).where(ReturnedFile.original_name == "mogok.pdf")
        ).scalar_one()
        assert row.status == "rejected" and (row.reason or "").startswith(sig.CORRUPT)
        item = session.execute(
            select(QuarantineItem).where(QuarantineItem.returned_file_id == row.id)
        ).scalar_one()
        assert item.reason_code == sig.CORRUPT and "SIGKILL" in item.reason and "crashed" in item.reason
        refused = session.execute(
            select(AuditEntry).where(AuditEntry.action == "signature.refused")
        ).scalar_one()
        assert "SIGKILL" in json.loads(refused.detail or "{}")["detail"]
    assert "Ditolak" in crashed.note  # type: ignore[union-attr]
    assert {e.step: e for e in s.h.events(s.number)}[9].finished_at is not None
