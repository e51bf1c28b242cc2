"""The watched folders' side of returned letters: the watcher's handler and its wiring.

    watcher = build_watcher(app)          # (mailflow.bootstrap.watch) a FolderWatcher over
                                          # <letters>/returned + watcher.folders
    watcher.start(); ...; watcher.stop()  # `mailflow run` keeps it running beside the poller
    watcher.run_once()                    # `mailflow watch --once`

Per file: read it (size-limited), and if its hash is known answer as before (a crash between the
commit and the move, or the same file dropped twice); otherwise inspect it outside any
transaction, then record the decision in one short transaction (ReturnedLetterService.record).
Two processes racing on the same bytes meet at the unique hash: the loser sees the winner's row.
A refused file whose bytes change afterwards is decided again (adapters.watcher): `decided` tells
the watcher whether a set-aside file still holds the bytes of its decision, and `reopened` closes
the quarantine entry of the earlier bytes (with an audit entry), which no longer exist anywhere.

A burst is decided with group commit (`handle_many`): every file read and inspected, then one
transaction records every decision, the signed copies kept beside their cases made durable in
one sync round before it commits; `moved_many` records the files' new places in one transaction.
A file whose recording raises rolls the batch back, and the batch is recorded again one file per
transaction, so the failing file counts its attempt alone and its neighbours are decided.

With `workers` > 0 the files are inspected in that many worker processes (adapters.worker_pool)
while this thread records the ones already inspected: a transaction then holds the decisions
inspected by the time the previous one committed. Reading a PDF is CPU-bound Python, so this is
what uses a second core; and a file that hangs or kills its reader is refused as unreadable
(`inspect_timeout` seconds at most) instead of stopping the folder.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.exc import IntegrityError

from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.models import QuarantineItem, ReturnedFile
from mailflow.adapters.durable import SyncRound
from mailflow.adapters.watcher import Disposition
from mailflow.adapters.worker_pool import WorkerFailure, WorkerPool
from mailflow.clock import Clock
from mailflow.config.model import Settings
from mailflow.domain import signatures as sig
from mailflow.i18n import translate
from mailflow.services.audit import audit
from mailflow.services.returned.finder import EMPTY_VALUES
from mailflow.services.returned.inspection import Inspection
from mailflow.services.returned.outcome import ReturnedOutcome
from mailflow.services.returned.service import ReturnedLetterService, Source

log = logging.getLogger("mailflow.returned")


def _table(model: type[ReturnedFile] | type[QuarantineItem]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


_FILES, _QUARANTINE = _table(ReturnedFile), _table(QuarantineItem)
# a moved file's rows follow it, unless they already name another place (a newer decision's)
_POINT_FILE = (
    update(_FILES)
    .where(_FILES.c.id == bindparam("row_id"), _FILES.c.stored_path == bindparam("moved_from"))
    .values(stored_path=bindparam("moved_to"))
)
_POINT_QUARANTINE = (
    update(_QUARANTINE)
    .where(
        _QUARANTINE.c.returned_file_id == bindparam("row_id"), _QUARANTINE.c.path == bindparam("moved_from")
    )
    .values(path=bindparam("moved_to"))
)


def watched_folders(settings: Settings) -> tuple[Path, ...]:
    """`<letters>/returned` and every `watcher.folders` entry (relative to the config file)."""
    folders = [settings.paths.letters / "returned"]
    for folder in settings.watcher.folders:
        folders.append(folder if folder.is_absolute() else settings.base_dir / folder)
    return tuple(dict.fromkeys(f.resolve() for f in folders))


class ReturnedFolderHandler:
    """adapters.watcher.FileHandler for returned letters."""

    def __init__(
        self,
        service: ReturnedLetterService,
        database: Database,
        clock: Clock,
        *,
        workers: int = 0,
        inspect_timeout: float = 120.0,
    ) -> None:
        self.service = service
        self.database = database
        self.clock = clock
        self._pool: WorkerPool[tuple[str, str], Inspection | None] | None = None
        if workers > 0:
            self._pool = WorkerPool(
                service.inspector(), workers=workers, timeout=inspect_timeout, name="inspect", window=4
            )
        self._pool_started = False
        self._pool_lock = threading.Lock()  # the watcher's thread and `run_once` callers

    def start(self) -> None:
        """Start the inspection workers before the first burst needs them."""
        self._start_pool()

    def close(self, timeout: float = 30.0) -> None:
        """End the inspection workers (after the burst being decided, waiting `timeout` at most:
        past it they are left to end with this process, which closes their pipes)."""
        if not self._pool_lock.acquire(timeout=timeout):
            log.warning("inspection workers still busy after %g s; left to end with the process", timeout)
            return
        try:
            if self._pool is not None and self._pool_started:
                self._pool.close()
                self._pool_started = False
        finally:
            self._pool_lock.release()

    def handle(self, path: Path) -> Disposition:
        data, inspection = self._read(path)
        with self.database.reader() as session:
            prior = session.execute(
                select(ReturnedFile).where(ReturnedFile.sha256 == inspection.sha256)
            ).scalar_one_or_none()
            if prior is not None:
                return _disposition(self.service.duplicate(prior))
        if self._pool_started and inspection.error_code != sig.TOO_LARGE:
            # a running pool reads it: a file that hangs or kills its reader costs only itself
            with self._pool_lock:
                ((_index, result),) = [r for ready in self._stream([path], [inspection]) for r in ready]
            return self._record(path, data, self._from_worker(data, inspection, result))
        return self._record(path, data, self._inspect(data, inspection))

    def _record(self, path: Path, data: bytes, inspection: Inspection) -> Disposition:
        for attempt in (1, 2):
            try:
                with self.database.transaction() as session:
                    source = Source("folder", path, path.name)
                    outcome = self.service.record(session, source, inspection, data, self.clock.now())
                return _disposition(outcome)
            except IntegrityError:
                if attempt == 2:
                    raise
                log.info("%s: recorded concurrently by another process; reading its decision", path.name)
        raise AssertionError("unreachable")

    def handle_many(self, paths: Sequence[Path]) -> list[Disposition | Exception]:
        """`handle` for a burst, in order (see the module text): a decision or what it raised."""
        results: dict[int, Disposition | Exception] = {}
        read: list[tuple[int, Path, bytes, Inspection]] = []
        for index, path in enumerate(paths):
            try:
                data, inspection = self._read(path)
            except Exception as exc:  # noqa: BLE001 - that file's failure, counted by the watcher
                results[index] = exc
            else:
                read.append((index, path, data, inspection))
        with self.database.reader() as session:
            hashes = {inspection.sha256 for _i, _p, _d, inspection in read}
            known = session.execute(select(ReturnedFile).where(ReturnedFile.sha256.in_(hashes))).scalars()
            priors = {row.sha256: row for row in known}
            for index, _path, _data, inspection in read:
                if inspection.sha256 in priors:
                    results[index] = _disposition(self.service.duplicate(priors[inspection.sha256]))
        todo = [
            (index, path, data, inspection) for index, path, data, inspection in read if index not in results
        ]
        readable = [item for item in todo if item[3].error_code != sig.TOO_LARGE]
        if len(readable) > 1 and self._start_pool():
            results.update(self._record_all([item for item in todo if item[3].error_code == sig.TOO_LARGE]))
            with self._pool_lock:
                stream = self._stream([item[1] for item in readable], [item[3] for item in readable])
                for ready in stream:
                    group = []
                    for position, result in ready:
                        index, path, data, inspection = readable[position]
                        group.append((index, path, data, self._from_worker(data, inspection, result)))
                    results.update(self._record_all(group))  # the workers read the next files meanwhile
        else:
            inspected = [
                (index, path, data, self._inspect(data, inspection)) for index, path, data, inspection in todo
            ]
            results.update(self._record_all(inspected))
        return [results[index] for index in range(len(paths))]

    def _start_pool(self) -> bool:
        """Whether inspection workers run (started now if need be); a pool that cannot start
        (no processes allowed here) leaves the reading to this thread, as with `workers = 0`."""
        with self._pool_lock:
            if self._pool is None:
                return False
            if not self._pool_started:
                try:
                    self._pool.start()
                except Exception:  # reading in this thread still decides every file
                    log.exception("inspection workers cannot start; the watcher reads the files itself")
                    self._pool = None
                    return False
                self._pool_started = True
            return True

    def _stream(
        self, paths: Sequence[Path], read: Sequence[Inspection]
    ) -> Iterator[list[tuple[int, Inspection | WorkerFailure | None]]]:
        assert self._pool is not None
        jobs = [(str(path), r.sha256) for path, r in zip(paths, read, strict=True)]
        return self._pool.stream(jobs)

    def _from_worker(
        self, data: bytes, read: Inspection, result: Inspection | WorkerFailure | None
    ) -> Inspection:
        """A worker's answer about the bytes this thread read (`read`: their hash and size)."""
        if isinstance(result, Inspection):
            return result
        if result is None:  # the file changed after this thread read it: inspect what was read
            return self._inspect(data, read)  # (the watcher then sees the change and decides again)
        detail = f"the PDF cannot be read: {result.detail} ({result.kind})"
        log.warning("returned file %s: %s", read.sha256[:12], detail)
        return replace(read, error_code=sig.CORRUPT, error=detail)

    def _inspect(self, data: bytes, inspection: Inspection) -> Inspection:
        return inspection if inspection.error_code == sig.TOO_LARGE else self.service.inspect(data)

    def _record_all(
        self, todo: Sequence[tuple[int, Path, bytes, Inspection]]
    ) -> dict[int, Disposition | Exception]:
        if not todo:
            return {}
        round_ = SyncRound()
        decided: dict[int, Disposition | Exception] = {}
        try:
            with self.database.transaction() as session:
                # the batch's hashes looked up once, in the writing transaction: each file's own
                # lookup is left to the second copy of the same bytes within the batch
                hashes = [inspection.sha256 for _i, _p, _d, inspection in todo]
                known = set(
                    session.execute(
                        select(ReturnedFile.sha256).where(ReturnedFile.sha256.in_(hashes))
                    ).scalars()
                )
                for index, path, data, inspection in todo:
                    source = Source("folder", path, path.name)
                    unknown = inspection.sha256 not in known
                    known.add(inspection.sha256)
                    outcome = self.service.record(
                        session, source, inspection, data, self.clock.now(), round_, unknown=unknown
                    )
                    decided[index] = _disposition(outcome)
                round_.run()  # the kept copies are on disk before the rows naming them commit
        except Exception as exc:  # noqa: BLE001 - each file is recorded alone next, logged there
            round_.discard()
            what = f"{type(exc).__name__}: {exc}"
            log.warning("a batch of %d files failed (%s); one file at a time", len(todo), what)
        else:
            return decided
        alone: dict[int, Disposition | Exception] = {}
        for index, path, data, inspection in todo:
            try:
                alone[index] = self._record(path, data, inspection)
            except Exception as exc:  # noqa: BLE001 - that file's failure, counted by the watcher
                alone[index] = exc
        return alone

    def give_up(self, path: Path, error: str) -> Disposition:
        """Record a file that failed every attempt (quarantine + audit) so it leaves the folder."""
        digest = _hash_or_marker(path)
        now = self.clock.now()
        lang = self.service.lang
        note = translate("signatures.reason.processing_failed", lang, **{**EMPTY_VALUES, "detail": error})
        with self.database.transaction() as session:
            prior = session.execute(
                select(ReturnedFile).where(ReturnedFile.sha256 == digest)
            ).scalar_one_or_none()
            if prior is not None:
                return _disposition(self.service.duplicate(prior))
            row = ReturnedFile(
                sha256=digest,
                source="folder",
                original_name=path.name[:500],
                stored_path=str(path),
                status="rejected",
                reason=f"{sig.PROCESSING_FAILED}: {error}",
                created_at=now,
                processed_at=now,
            )
            session.add(row)
            session.flush()
            session.add(
                QuarantineItem(
                    kind="file",
                    returned_file_id=row.id,
                    path=str(path),
                    reason_code=sig.PROCESSING_FAILED,
                    reason=error,
                    created_at=now,
                    retries=0,
                )
            )
            audit(session, now, "folder", "signature.failed", detail={"file": path.name, "error": error})
            return Disposition(False, note, row.id)

    def decided(self, path: Path) -> bool:
        digest = _hash_or_marker(path)
        with self.database.reader() as session:
            recorded = session.execute(
                select(ReturnedFile.sha256)
                .where(ReturnedFile.stored_path == str(path))
                .order_by(ReturnedFile.id.desc())
                .limit(1)
            ).scalar_one_or_none()
        return recorded == digest

    def reopened(self, record_id: int | None, path: Path) -> None:
        now = self.clock.now()
        with self.database.transaction() as session:
            # only refusals: an accepted file's row points at the copy kept beside its case
            where = (
                ReturnedFile.id == record_id
                if record_id is not None
                else ReturnedFile.stored_path == str(path)
            )
            query = select(ReturnedFile).where(where, ReturnedFile.status == "rejected")
            for row in session.execute(query).scalars():
                row.stored_path = None  # those bytes are gone: overwritten or appended to
                items = session.execute(
                    select(QuarantineItem).where(
                        QuarantineItem.returned_file_id == row.id, QuarantineItem.released_at.is_(None)
                    )
                ).scalars()
                for item in items:
                    item.released_at = now
                detail = {"file": path.name, "returned_file": row.id, "sha256": row.sha256}
                audit(session, now, "folder", "signature.reconsidered", case_id=row.case_id, detail=detail)

    def moved(self, disposition: Disposition, source: Path, destination: Path) -> None:
        """Keep the rows pointing at the file where it now lies."""
        self.moved_many([(disposition, source, destination)])

    def moved_many(self, moves: Sequence[tuple[Disposition, Path, Path]]) -> None:
        """`moved` for several files, in one transaction."""
        moves = [move for move in moves if move[0].record_id is not None]
        if not moves:
            return
        # one executemany per table for the whole burst instead of two statements per file
        values = [
            {"row_id": disposition.record_id, "moved_from": str(source), "moved_to": str(destination)}
            for disposition, source, destination in moves
        ]
        with self.database.transaction() as session:
            session.execute(_POINT_FILE, values)
            session.execute(_POINT_QUARANTINE, values)

    def _read(self, path: Path) -> tuple[bytes, Inspection]:
        """The file's bytes (or none, when over the size limit: then only its hash is computed)."""
        limit = self.service.max_bytes
        size = path.stat().st_size
        if size > limit:
            digest = _hash_file(path)
            detail = f"{size} > {limit} bytes"
            return b"", Inspection(digest, size, error_code=sig.TOO_LARGE, error=detail)
        data = path.read_bytes()
        return data, Inspection(hashlib.sha256(data).hexdigest(), len(data))


def _disposition(outcome: ReturnedOutcome) -> Disposition:
    return Disposition(outcome.accepted, outcome.note, outcome.returned_file_id)


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _hash_or_marker(path: Path) -> str:
    try:
        return _hash_file(path)
    except OSError:
        return hashlib.sha256(f"unreadable:{path}".encode()).hexdigest()
