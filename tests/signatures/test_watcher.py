"""The watched folder with real inotify (and polling) events, real files and the real service.

No timed assertions: the tests wait (with generous limits) for what must happen, and check that
nothing happened where nothing may, after waiting several stability periods.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.models import QuarantineItem, ReturnedFile
from mailflow.adapters.watcher import NOTE_SUFFIX, PROCESSED, REJECTED, FolderWatcher, is_temporary
from mailflow.domain import signatures as sig
from mailflow.services.returned_watch import ReturnedFolderHandler, watched_folders
from tests.fixtures.pki import TestPki
from tests.signatures.conftest import Step8

pytestmark = [pytest.mark.slow, pytest.mark.libreoffice]
STABLE = 0.3


@pytest.fixture
def s(sqlite_db: Database, step8: Callable[..., Step8]) -> Step8:
    return step8(sqlite_db)


@pytest.fixture
def folder(s: Step8) -> Path:
    (path,) = watched_folders(s.h.engine.settings)
    path.mkdir(parents=True, exist_ok=True)
    return path


def make_watcher(s: Step8, **options: object) -> FolderWatcher:
    handler = ReturnedFolderHandler(s.service, s.database, s.h.clock)
    settings = {"stable_seconds": STABLE, "rescan_seconds": 60.0, **options}
    return FolderWatcher(watched_folders(s.h.engine.settings), handler, **settings)  # type: ignore[arg-type]


@pytest.fixture
def watcher(s: Step8) -> Iterator[FolderWatcher]:
    w = make_watcher(s)
    yield w
    w.stop()


def rows(s: Step8) -> int:
    with s.database.reader() as session:
        return int(session.execute(select(func.count()).select_from(ReturnedFile)).scalar_one())


def pdfs_in(path: Path) -> list[str]:
    return sorted(p.name for p in path.iterdir() if p.is_file() and not p.name.endswith(NOTE_SUFFIX))


def test_temporary_names_are_never_touched() -> None:
    for name in ("~$surat.pdf", ".surat.pdf", "surat.pdf.part", "surat.pdf.crdownload", "Thumbs.db"):
        assert is_temporary(name), name
    for name in ("surat.pdf", "SCAN0001.PDF", "surat ttd (1).pdf"):
        assert not is_temporary(name), name


def test_a_file_written_slowly_is_read_only_once_complete(
    s: Step8, folder: Path, watcher: FolderWatcher, pki: TestPki
) -> None:
    signed = pki.sign(s.pdf, pki.hendra)
    watcher.start()
    target = folder / "lambat.pdf"
    chunks = [signed[i : i + len(signed) // 5 + 1] for i in range(0, len(signed), len(signed) // 5 + 1)]
    assert len(chunks) >= 5
    with target.open("wb") as handle:
        for chunk in chunks:
            handle.write(chunk)
            handle.flush()
            time.sleep(STABLE * 3)  # longer than the stability period: size and mtime hold still
            assert target.exists() and rows(s) == 0 and watcher.stats.done == 0
    assert watcher.wait_until(lambda: watcher.stats.done == 1, timeout=60)
    assert watcher.stats.accepted == 1
    assert pdfs_in(folder / PROCESSED) == ["lambat.pdf"] and not target.exists()
    note = (folder / PROCESSED / ("lambat.pdf" + NOTE_SUFFIX)).read_text(encoding="utf-8")
    assert note.startswith("Diterima: surat ") and s.number in note
    assert {e.step: e for e in s.h.events(s.number)}[9].finished_at is not None


def test_a_file_present_before_the_watcher_starts(
    s: Step8, folder: Path, watcher: FolderWatcher, pki: TestPki
) -> None:
    (folder / "sudah-ada.pdf").write_bytes(pki.sign(s.pdf, pki.hendra))
    watcher.start()
    assert watcher.wait_until(lambda: watcher.stats.done == 1, timeout=60)
    assert pdfs_in(folder / PROCESSED) == ["sudah-ada.pdf"]


def test_two_hundred_files_at_once_each_processed_once(
    s: Step8, folder: Path, watcher: FolderWatcher, pki: TestPki
) -> None:
    signed = [pki.sign(s.pdf, pki.hendra) for _ in range(200)]
    assert len(set(signed)) == 200  # each signature differs: 200 distinct files
    temporary = ["~$surat.pdf", ".surat.pdf", "surat.pdf.part", "unduhan.pdf.crdownload"]
    watcher.start()
    for name in temporary:
        (folder / name).write_bytes(signed[0])
    for index, data in enumerate(signed):
        (folder / f"ttd-{index:03d}.pdf").write_bytes(data)
    assert watcher.wait_until(lambda: watcher.stats.done == 200, timeout=600), watcher.stats
    time.sleep(STABLE * 5)
    assert watcher.stats.done == 200 and watcher.stats.accepted == 1
    assert len(pdfs_in(folder / PROCESSED)) == 1 and len(pdfs_in(folder / REJECTED)) == 199
    assert sorted(pdfs_in(folder)) == sorted(temporary)  # temporary files untouched
    with s.database.reader() as session:
        statuses = session.execute(
            select(ReturnedFile.status, func.count()).group_by(ReturnedFile.status)
        ).all()
        assert dict(statuses) == {"accepted": 1, "rejected": 199}
        codes = session.execute(select(QuarantineItem.reason_code).distinct()).scalars().all()
        assert codes == [sig.NOT_WAITING]
        stored = dict(session.execute(select(ReturnedFile.stored_path, ReturnedFile.status)).all())
    assert all(Path(str(p)).is_file() for p in stored)  # every row points at its file
    assert (
        sorted(Path(str(p)).parent.name for p, st in stored.items() if st == "rejected") == [REJECTED] * 199
    )
    (kept,) = [Path(str(p)) for p, st in stored.items() if st == "accepted"]
    assert kept.parent.name == s.number  # the accepted copy lives beside its case
    assert [e.step for e in s.h.events(s.number)].count(9) == 1


def test_renamed_in_from_outside_and_renamed_inside(
    s: Step8, folder: Path, watcher: FolderWatcher, pki: TestPki, tmp_path: Path
) -> None:
    outside = tmp_path / "unduhan" / "surat.pdf"
    outside.parent.mkdir()
    outside.write_bytes(pki.sign(s.pdf, pki.hendra))
    partial = folder / "kedua.pdf.crdownload"
    partial.write_bytes(pki.sign(s.pdf, pki.hendra))
    watcher.start()
    outside.rename(folder / "surat.pdf")  # arrives as `created` without `closed`: stability decides
    partial.rename(folder / "kedua.pdf")  # a rename inside the folder: complete at once
    assert watcher.wait_until(lambda: watcher.stats.done == 2, timeout=60)
    assert watcher.stats.accepted == 1  # one letter, two signed copies: the second is not waited for
    assert sorted(pdfs_in(folder / PROCESSED) + pdfs_in(folder / REJECTED)) == ["kedua.pdf", "surat.pdf"]


def test_polling_observer_falls_back_to_stability(s: Step8, folder: Path, pki: TestPki) -> None:
    watcher = make_watcher(s, use_polling=True)
    try:
        watcher.start()
        (folder / "dipoll.pdf").write_bytes(pki.sign(s.pdf, pki.hendra))
        assert watcher.wait_until(lambda: watcher.stats.done == 1, timeout=60)
        assert watcher.stats.accepted == 1
    finally:
        watcher.stop()


def test_rejected_file_gets_its_reason_beside_it(
    s: Step8, folder: Path, watcher: FolderWatcher, pki: TestPki
) -> None:
    watcher.start()
    (folder / "salah orang.pdf").write_bytes(pki.sign(s.pdf, pki.wrong))
    (folder / "bukan-pdf.pdf").write_bytes(b"Ini hanya teks.\n" * 50)
    assert watcher.wait_until(lambda: watcher.stats.done == 2, timeout=60)
    rejected = folder / REJECTED
    assert pdfs_in(rejected) == ["bukan-pdf.pdf", "salah orang.pdf"]
    wrong = (rejected / ("salah orang.pdf" + NOTE_SUFFIX)).read_text(encoding="utf-8")
    assert wrong.startswith("Ditolak: PDF ini ditandatangani oleh Ir. Budi Santoso")
    assert "[wrong_signer]" in wrong
    assert "bukan PDF" in (rejected / ("bukan-pdf.pdf" + NOTE_SUFFIX)).read_text(encoding="utf-8")
    with s.database.reader() as session:
        paths = session.execute(select(QuarantineItem.path)).scalars().all()
        assert sorted(Path(str(p)).parent.name for p in paths) == [REJECTED, REJECTED]


def test_a_file_that_keeps_failing_is_set_aside(s: Step8, folder: Path, pki: TestPki) -> None:
    """A real fault: the case's letter folder is blocked by a plain file, so storing fails."""
    letters = s.h.engine.settings.paths.letters
    (case_folder,) = [p for p in (letters / "2026").iterdir() if p.name == s.number]
    blocked = case_folder.rename(case_folder.with_name(case_folder.name + ".moved"))
    case_folder.write_text("kein Ordner")
    watcher = make_watcher(s, max_attempts=2)
    try:
        watcher.start()
        (folder / "gagal.pdf").write_bytes(pki.sign(s.pdf, pki.hendra))
        assert watcher.wait_until(lambda: watcher.stats.done == 1, timeout=60)
    finally:
        watcher.stop()
    assert watcher.stats.failures == 2 and watcher.stats.rejected == 1
    note = (folder / REJECTED / ("gagal.pdf" + NOTE_SUFFIX)).read_text(encoding="utf-8")
    assert "gagal diproses" in note
    with s.database.reader() as session:
        item = session.execute(select(QuarantineItem)).scalar_one()
        assert item.reason_code == sig.PROCESSING_FAILED
    assert {e.step: e for e in s.h.events(s.number)}[8].finished_at is None  # nothing half-done
    assert blocked.is_dir() and case_folder.is_file()
