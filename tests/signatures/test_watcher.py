"""The watched folder with real inotify (and polling) events, real files and the real service.

No timed assertions: the tests wait (with generous limits) for what must happen, and check that
nothing happened where nothing may, after waiting several stability periods.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.models import AuditEntry, QuarantineItem, ReturnedFile
from mailflow.adapters.watcher import (
    NOTE_SUFFIX,
    PROCESSED,
    REJECTED,
    Disposition,
    FolderWatcher,
    is_temporary,
)
from mailflow.domain import signatures as sig
from mailflow.services.returned.watch import ReturnedFolderHandler, watched_folders
from tests.fixtures.pki import TestPki
from tests.signatures.conftest import KADIS_DISHUB, Step8

pytestmark = [pytest.mark.slow, pytest.mark.libreoffice]
STABLE = 0.3


@pytest.fixture
def s(sqlite_db: Database, step8: Callable[..., Step8]) -> Step8:
    return step8(sqlite_db)


@pytest.fixture
def folder(s: Step8) -> Path:
    (path,) = watched_folders(s.h.settings)
    path.mkdir(parents=True, exist_ok=True)
    return path


def make_watcher(s: Step8, workers: int = 0, **options: object) -> FolderWatcher:
    handler = ReturnedFolderHandler(s.service, s.database, s.h.clock, workers=workers)
    settings = {"stable_seconds": STABLE, "rescan_seconds": 60.0, **options}
    return FolderWatcher(watched_folders(s.h.settings), handler, **settings)  # type: ignore[arg-type]


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


def test_two_hundred_files_at_once_each_processed_once(s: Step8, folder: Path, pki: TestPki) -> None:
    # read by one worker process, as `mailflow run` does on two cores (watcher.inspect_workers)
    watcher = make_watcher(s, workers=1)
    signed = [pki.sign(s.pdf, pki.hendra) for _ in range(200)]
    assert len(set(signed)) == 200  # each signature differs: 200 distinct files
    temporary = ["~$surat.pdf", ".surat.pdf", "surat.pdf.part", "unduhan.pdf.crdownload"]
    watcher.start()
    for name in temporary:
        (folder / name).write_bytes(signed[0])
    for index, data in enumerate(signed):
        (folder / f"ttd-{index:03d}.pdf").write_bytes(data)
    try:
        assert watcher.wait_until(lambda: watcher.stats.done == 200, timeout=600), watcher.stats
        time.sleep(STABLE * 5)
        pool = watcher.handler._pool  # type: ignore[attr-defined]
        workers = [w.process for w in pool._pool]
        assert len(workers) == 1 and workers[0].is_alive() and pool.restarts == 0
    finally:
        watcher.stop()
    assert not workers[0].is_alive()  # stopping the watcher ends its worker
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
    assert s.h.mails(to=KADIS_DISHUB, kind="explain") == []  # copies of a signed letter: nobody told


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
    # nobody sent the files, but the head whose letter waits is told about the one naming it
    (told,) = s.h.mails(to=KADIS_DISHUB, kind="explain")
    assert told.subject.startswith(f"[{s.number}]")
    assert "salah orang.pdf" in told.text_body and "folder surat kembali" in told.text_body
    assert "Ir. Budi Santoso, M.T." in told.text_body


def test_a_file_that_keeps_failing_is_set_aside(s: Step8, folder: Path, pki: TestPki) -> None:
    """A real fault: the case's letter folder is blocked by a plain file, so storing fails."""
    letters = s.h.settings.paths.letters
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


# --- issue 11 point 13: complete means "held still after the last write", and a refused file
# that changes is decided again ------------------------------------------------------------------


def in_rounds(data: bytes, rounds: int) -> list[bytes]:
    size = len(data) // rounds + 1
    return [data[i : i + size] for i in range(0, len(data), size)]


def test_a_letter_written_in_several_open_write_close_rounds_is_taken_once_whole(
    s: Step8, folder: Path, pki: TestPki
) -> None:
    """A scanner or sync client: 4 rounds of open-append-close with pauses shorter than
    stable_seconds. Before, the first close was taken: refused as corrupt, and the rest arrived
    as a second file refused as not a PDF, so the valid letter was lost in rejected/."""
    stable = 1.0
    signed = pki.sign(s.pdf, pki.hendra)
    watcher = make_watcher(s, stable_seconds=stable)
    try:
        watcher.start()
        target = folder / "pindai.pdf"
        for chunk in in_rounds(signed, 4):
            with target.open("ab") as handle:
                handle.write(chunk)
            time.sleep(stable * 0.4)
        assert target.read_bytes() == signed
        assert watcher.wait_until(lambda: watcher.stats.done >= 1, timeout=60)
        time.sleep(stable * 3)  # nothing else may come of it
        assert (watcher.stats.accepted, watcher.stats.rejected) == (1, 0)
    finally:
        watcher.stop()
    assert pdfs_in(folder / PROCESSED) == ["pindai.pdf"] and pdfs_in(folder / REJECTED) == []
    assert (folder / PROCESSED / "pindai.pdf").read_bytes() == signed
    assert rows(s) == 1
    with s.database.reader() as session:
        assert session.execute(select(QuarantineItem)).scalars().all() == []
    assert {e.step: e for e in s.h.events(s.number)}[9].finished_at is not None


def test_a_refused_file_rewritten_through_a_handle_kept_open_is_decided_again(
    s: Step8, folder: Path, watcher: FolderWatcher, pki: TestPki
) -> None:
    """A writer that keeps the file open (a sync client, a share) writes it again after the
    watcher refused it and moved it to rejected/: the write follows the file there. Before, the
    valid letter stayed in rejected/ under a refusal of its first, truncated bytes."""
    signed = pki.sign(s.pdf, pki.hendra)
    target = folder / "sinkron.pdf"
    target.write_bytes(b"")
    kept_open = target.open("r+b")  # opened before the watcher moves the file
    try:
        watcher.start()
        with target.open("r+b") as first:  # the first, incomplete round: closed, then silence
            first.write(signed[: len(signed) // 3])
        assert watcher.wait_until(lambda: watcher.stats.rejected == 1, timeout=60)
        assert pdfs_in(folder / REJECTED) == ["sinkron.pdf"] and not target.exists()
        kept_open.seek(0)
        kept_open.write(signed)
        kept_open.truncate()
    finally:
        kept_open.close()
    assert watcher.wait_until(lambda: watcher.stats.accepted == 1, timeout=60), watcher.stats
    assert pdfs_in(folder / PROCESSED) == ["sinkron.pdf"] and pdfs_in(folder / REJECTED) == []
    assert not (folder / REJECTED / ("sinkron.pdf" + NOTE_SUFFIX)).exists()
    assert {e.step: e for e in s.h.events(s.number)}[9].finished_at is not None
    with s.database.reader() as session:
        decided = dict(session.execute(select(ReturnedFile.status, ReturnedFile.reason)).all())
        assert set(decided) == {"accepted", "rejected"}
        assert (decided["rejected"] or "").startswith(sig.CORRUPT)  # the truncated bytes, by hash
        item = session.execute(select(QuarantineItem)).scalar_one()
        assert item.reason_code == sig.CORRUPT and item.released_at is not None
        actions = session.execute(select(AuditEntry.action)).scalars().all()
        assert "signature.reconsidered" in actions


def test_a_truncated_file_refused_then_saved_again_whole_is_accepted(
    s: Step8, folder: Path, watcher: FolderWatcher, pki: TestPki
) -> None:
    signed = pki.sign(s.pdf, pki.hendra)
    watcher.start()
    (folder / "surat.pdf").write_bytes(signed[: len(signed) // 2])
    assert watcher.wait_until(lambda: watcher.stats.rejected == 1, timeout=60)
    (folder / "surat.pdf").write_bytes(signed)  # the same name, now whole
    assert watcher.wait_until(lambda: watcher.stats.accepted == 1, timeout=60)
    assert pdfs_in(folder / PROCESSED) == ["surat.pdf"] and pdfs_in(folder / REJECTED) == ["surat.pdf"]
    assert (folder / PROCESSED / "surat.pdf").read_bytes() == signed


class OverwrittenWhileDecided:
    """The real handler; while it decides, the writer saves the whole letter over the file.
    Only the moment is arranged here (a race that real timing cannot produce on demand): the
    handler, the database and the file system are the real ones."""

    def __init__(self, real: ReturnedFolderHandler, whole: bytes) -> None:
        self.real = real
        self.whole = whole
        self.overwritten = False

    def handle(self, path: Path) -> Disposition:
        disposition = self.real.handle(path)
        if not self.overwritten:
            self.overwritten = True
            path.write_bytes(self.whole)
        return disposition

    def __getattr__(self, name: str) -> object:
        return getattr(self.real, name)


def test_a_file_overwritten_while_it_is_decided_is_decided_again(
    s: Step8, folder: Path, pki: TestPki
) -> None:
    """Before, the refusal of the first bytes moved whatever lay at the path, the valid letter
    included, into rejected/."""
    signed = pki.sign(s.pdf, pki.hendra)
    real = ReturnedFolderHandler(s.service, s.database, s.h.clock)
    handler = OverwrittenWhileDecided(real, signed)
    watcher = FolderWatcher(watched_folders(s.h.settings), handler, stable_seconds=STABLE)  # type: ignore[arg-type]
    (folder / "balapan.pdf").write_bytes(signed[:1000])
    try:
        watcher.start()
        assert watcher.wait_until(lambda: watcher.stats.accepted == 1, timeout=60), watcher.stats
    finally:
        watcher.stop()
    assert handler.overwritten and watcher.stats.rejected == 0
    assert pdfs_in(folder / PROCESSED) == ["balapan.pdf"] and pdfs_in(folder / REJECTED) == []
    with s.database.reader() as session:
        item = session.execute(select(QuarantineItem)).scalar_one()  # the first bytes, released
        assert item.reason_code == sig.CORRUPT and item.released_at is not None


def test_watch_once_after_a_restart_reconsiders_a_refused_file_written_after_its_note(
    s: Step8, folder: Path, pki: TestPki
) -> None:
    """What was seen in memory is gone after a restart: the note's time tells what changed."""
    signed = pki.sign(s.pdf, pki.hendra)
    (folder / "lama.pdf").write_bytes(signed[:2000])
    first = make_watcher(s).run_once()
    assert [d.disposition.accepted for d in first] == [False]
    refused = folder / REJECTED / "lama.pdf"
    assert make_watcher(s).run_once() == []  # unchanged: left alone
    with refused.open("r+b") as handle:  # e.g. a share that finishes writing it later
        handle.write(signed)
    later = make_watcher(s).run_once()
    assert [d.disposition.accepted for d in later] == [True]
    assert pdfs_in(folder / PROCESSED) == ["lama.pdf"] and pdfs_in(folder / REJECTED) == []


# --- issue 16: a burst is decided with group commit ------------------------------------------------


@contextmanager
def inserting_transactions(database: Database) -> Iterator[list[int]]:
    """The transactions (numbered from 1 as they begin) that inserted a returned_files row."""
    inserting: list[int] = []
    current = [0]

    def begin(_conn: object) -> None:
        current[0] += 1

    def execute(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        if (
            statement.lstrip().upper().startswith("INSERT INTO RETURNED_FILES")
            and current[0] not in inserting
        ):
            inserting.append(current[0])

    event.listen(database.engine, "begin", begin)
    event.listen(database.engine, "before_cursor_execute", execute)
    try:
        yield inserting
    finally:
        event.remove(database.engine, "begin", begin)
        event.remove(database.engine, "before_cursor_execute", execute)


def test_a_burst_is_recorded_in_one_transaction_and_a_failing_file_alone(
    s: Step8, folder: Path, pki: TestPki
) -> None:
    """Five files at once: one transaction records them all. Then a real fault in one file (its
    case's letter folder is blocked by a plain file, so keeping the signed copy fails) rolls that
    batch back; the others are decided one at a time and only the failing file is retried."""
    watcher = make_watcher(s, max_attempts=2)
    with inserting_transactions(s.database) as inserting:
        first = [folder / f"bukan-ttd-{n}.pdf" for n in range(5)]
        for n, path in enumerate(first):
            path.write_bytes(s.pdf + f"%{n}\n".encode())  # unsigned copies: refused, nothing stored
        assert len(watcher.process_many(first)) == 5
        assert len(inserting) == 1 and watcher.stats.rejected == 5

        letters = s.h.settings.paths.letters
        (case_folder,) = [p for p in (letters / "2026").iterdir() if p.name == s.number]
        case_folder.rename(case_folder.with_name(case_folder.name + ".moved"))
        case_folder.write_text("bukan folder")
        signed = folder / "ttd.pdf"
        signed.write_bytes(pki.sign(s.pdf, pki.hendra))
        second = [folder / f"rusak-{n}.pdf" for n in range(3)]
        for n, path in enumerate(second):
            path.write_bytes(b"%PDF-1.7 rusak " + bytes([n]))
        inserting.clear()
        assert [d.source.name for d in watcher.process_many([signed, *second])] == [p.name for p in second]
        assert len(inserting) == 1 + 1 + 3  # the batch, rolled back; then each file alone
        assert watcher.stats.failures == 1 and signed.exists()
        done = watcher.process_many([signed])  # the second attempt is the last: set aside
    assert [d.disposition.accepted for d in done] == [False] and watcher.stats.failures == 2
    with s.database.reader() as session:
        reasons = dict(session.execute(select(ReturnedFile.original_name, ReturnedFile.reason)).all())
    assert reasons["ttd.pdf"].startswith(sig.PROCESSING_FAILED)
    assert all(reasons[p.name].startswith(sig.CORRUPT) for p in second)
    assert all(reasons[p.name].startswith(sig.UNSIGNED) for p in first)
    assert {e.step: e for e in s.h.events(s.number)}[8].finished_at is None  # nothing half-done


def test_a_burst_with_the_same_bytes_twice_decides_them_once_in_one_transaction(
    s: Step8, folder: Path, pki: TestPki
) -> None:
    """The batch looks its hashes up once; a second copy of the same bytes within the batch is
    still looked up on its own, so it is answered as a duplicate of the first instead of failing
    the batch at the unique hash (which would send every file through one transaction each). A
    corrupt and an unsigned file in the same batch are refused beside them."""
    watcher = make_watcher(s)
    signed = pki.sign(s.pdf, pki.hendra)
    first, copy = folder / "ttd.pdf", folder / "ttd (1).pdf"
    broken, unsigned = folder / "rusak.pdf", folder / "belum-ttd.pdf"
    first.write_bytes(signed)
    copy.write_bytes(signed)
    broken.write_bytes(b"%PDF-1.7 rusak")
    unsigned.write_bytes(s.pdf)
    with inserting_transactions(s.database) as inserting:
        done = watcher.process_many([first, copy, broken, unsigned])
    assert len(inserting) == 1  # one transaction recorded the whole batch
    decided = {d.source.name: d.disposition for d in done}
    assert decided["ttd.pdf"].accepted and decided["ttd (1).pdf"].accepted
    assert decided["ttd (1).pdf"].record_id == decided["ttd.pdf"].record_id  # the first decision stands
    assert not decided["rusak.pdf"].accepted and not decided["belum-ttd.pdf"].accepted
    with s.database.reader() as session:
        found = session.execute(select(ReturnedFile.original_name, ReturnedFile.status, ReturnedFile.reason))
        recorded = {name: (status, reason or "") for name, status, reason in found}
    assert set(recorded) == {"ttd.pdf", "rusak.pdf", "belum-ttd.pdf"}
    assert recorded["ttd.pdf"][0] == "accepted"
    assert recorded["rusak.pdf"][1].startswith(sig.CORRUPT)
    assert recorded["belum-ttd.pdf"][1].startswith(sig.UNSIGNED)
    steps = [e.step for e in s.h.events(s.number)]
    assert steps.count(9) == 1 and steps.count(10) == 1  # signed once, the next step started once
    assert pdfs_in(folder / PROCESSED) == ["ttd (1).pdf", "ttd.pdf"]
    assert pdfs_in(folder / REJECTED) == ["belum-ttd.pdf", "rusak.pdf"]
