"""The conversion worker: turns every `generated` letter into a checked PDF, off the poll loop.

    worker = ConversionService(app.database, app.settings, clock=app.clock)
    worker.run_once()                       # convert everything pending, then return
    thread = worker.start_thread(stop)      # `mailflow run`: a thread until `stop` is set
    worker.wake()                           # after committing new letters: look now, not at the next poll

Each document: LibreOffice (a warm process, adapters.converter) writes the PDF to a temporary
file; the document id goes into the PDF's document information (pypdf, in memory); PDFium reads the
text back, as it will read the signed letter when it returns (services.returned.inspection), and
the letter number, the case number and the document id must all be there; the stamped PDF is
written once and hashed from memory. Then, in one transaction
with the row locked, the PDF is renamed into place beside the DOCX and the row becomes
`converted` (with the PDF's SHA-256). A conversion that fails twice (the converter restarts in
between), a missing LibreOffice or `converter.enabled = false` make it `pdf_failed` with the
reason in the audit log, and mails carry the DOCX instead (services.outbox.resolve_attachments).

Several warm converters (`converter.workers`, default one per core, at most 4) convert side by
side, each in its own thread with its own LibreOffice and profile; a round hands every pending
letter to exactly one of them.

Claiming: on PostgreSQL the row is locked FOR UPDATE SKIP LOCKED for the whole conversion, so
several `mailflow run` processes never convert the same letter. On SQLite (one machine) the
conversion runs outside any transaction, since holding SQLite's single write lock for seconds
would stall the poller; the final update re-checks the status, so a letter converted by two
processes at once is recorded once and the loser's file is discarded.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import queue
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailflow.adapters.converter import ConversionError, WarmConverter
from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.models import Case, Document
from mailflow.adapters.durable import write_atomic
from mailflow.adapters.letter_store import move_into_place
from mailflow.adapters.pdf_qr import page_text
from mailflow.adapters.pdf_text import DOC_ID_KEY, missing_in_text, stamp_metadata_bytes
from mailflow.clock import Clock, SystemClock
from mailflow.config.model import Settings
from mailflow.domain.documents import DocumentStatus
from mailflow.errors import DependencyError, MailflowError
from mailflow.logs import Outage
from mailflow.services.audit import audit
from mailflow.services.loop_errors import TRANSIENT_ERRORS, failure_kind, short

log = logging.getLogger(__name__)
_BATCH = 50
_AUTO_WORKERS_MAX = 4
_TEXT_PAGES = 50


@dataclass(frozen=True)
class _Job:
    document_id: int
    doc_uid: str
    number: str | None
    case_number: str | None
    docx_path: str | None


@dataclass(frozen=True)
class _Outcome:
    ok: bool
    reason: str = ""
    temporary: Path | None = None
    final: Path | None = None
    sha256: str | None = None


@dataclass
class ConversionSummary:
    """What a round did; the lists are appended to from the converter threads (list.append is
    atomic), so the counts are read only after the round."""

    converted: list[str] = field(default_factory=list)  # document ids (doc_uid)
    failed: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.converted) + len(self.failed)


class ConversionService:
    def __init__(
        self,
        database: Database,
        settings: Settings,
        *,
        converter: WarmConverter | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.database = database
        self.settings = settings
        self.clock = clock or SystemClock()
        self._owns_converter = converter is None
        # slot i holds converter i (None until first needed); a given converter is the only one
        self._converters: list[WarmConverter | None] = [converter] if converter is not None else []
        self._wake = threading.Event()
        self._pool_lock = threading.Lock()
        self._earlier_starts = 0  # LibreOffice processes started by converters closed since
        self._slots_started: set[int] = set()  # slots whose first start is not a restart

    @property
    def workers(self) -> int:
        """How many converters run side by side (a given converter: just that one)."""
        if not self._owns_converter:
            return 1
        configured = self.settings.converter.workers
        return configured or max(1, min(_AUTO_WORKERS_MAX, os.cpu_count() or 1))

    @property
    def converter(self) -> WarmConverter:
        """The first converter (the only one with `workers = 1`)."""
        return self._slot(0)

    def _slot(self, index: int) -> WarmConverter:
        with self._pool_lock:
            while len(self._converters) <= index:
                self._converters.append(None)
            converter = self._converters[index]
            if converter is None:
                section = self.settings.converter
                converter = WarmConverter(
                    work_dir=self.settings.data_dir / "converter",
                    soffice=section.soffice,
                    uno_python=section.uno_python,
                    timeout=section.timeout_seconds,
                    startup_timeout=section.startup_timeout_seconds,
                )
                self._converters[index] = converter
            return converter

    # --- running ------------------------------------------------------------------------------

    def run_once(self, limit: int | None = None) -> ConversionSummary:
        """Convert every letter that is `generated` now (at most `limit`); returns what happened."""
        summary = ConversionSummary()
        seen: set[int] = set()
        while limit is None or len(seen) < limit:
            candidates = [i for i in self._pending() if i not in seen]
            if limit is not None:
                candidates = candidates[: limit - len(seen)]
            if not candidates:
                break
            seen.update(candidates)
            self._round(candidates, summary)
        return summary

    def _round(self, candidates: list[int], summary: ConversionSummary) -> None:
        """Each candidate to exactly one converter: one at a time, or one thread per converter
        taking the next letter from a shared queue (an error in one thread is raised after all
        threads stopped, as the single-converter loop would raise it)."""
        workers = min(self.workers, len(candidates))
        if workers <= 1:
            for document_id in candidates:
                self._process(document_id, summary, self.converter)
            return
        jobs: queue.SimpleQueue[int] = queue.SimpleQueue()
        for document_id in candidates:
            jobs.put(document_id)
        errors: list[BaseException] = []

        def work(converter: WarmConverter) -> None:
            while not errors:
                try:
                    document_id = jobs.get_nowait()
                except queue.Empty:
                    return
                try:
                    self._process(document_id, summary, converter)
                except BaseException as exc:  # noqa: BLE001 - raised again in the caller's thread below
                    errors.append(exc)
                    return

        threads = [
            threading.Thread(target=work, args=(self._slot(i),), name=f"mailflow-converter-{i}", daemon=True)
            for i in range(workers)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]

    def run_forever(self, stop: threading.Event) -> None:
        """Convert until `stop` is set; sleeps `converter.poll_seconds` when there is nothing to do.
        A database that is away is logged once a minute while it lasts, then its recovery."""
        outage = Outage(log, "converter", lang=self.settings.general.language)
        try:
            while not stop.is_set():
                try:
                    done = self.run_once().total
                    outage.recovered()
                except TRANSIENT_ERRORS as exc:
                    outage.failed(failure_kind(exc), short(exc))
                    done = 0
                except Exception as exc:  # the worker thread must outlive any one bad round
                    log.exception("conversion round failed; trying again at the next poll")
                    outage.failed("other", short(exc), level=logging.ERROR)
                    done = 0
                if not done:
                    self._wake.wait(self.settings.converter.poll_seconds)
                    self._wake.clear()
        finally:
            self.close()

    def start_thread(self, stop: threading.Event) -> threading.Thread:
        thread = threading.Thread(
            target=self.run_forever, args=(stop,), name="mailflow-converter", daemon=True
        )
        thread.start()
        return thread

    def wake(self) -> None:
        self._wake.set()

    def close(self) -> None:
        if not self._owns_converter:
            return
        with self._pool_lock:
            converters, self._converters = self._converters, []
        for index, converter in enumerate(converters):
            if converter is not None:
                if converter.starts:
                    self._slots_started.add(index)
                self._earlier_starts += converter.starts
                converter.close()

    @property
    def restarts(self) -> int:
        """How often a LibreOffice was started again after its first start (a hung or crashed
        conversion, or this worker restarted by `mailflow run`)."""
        with self._pool_lock:
            converters = list(enumerate(self._converters))
        current = sum(c.starts for _, c in converters if c is not None)
        slots = self._slots_started | {i for i, c in converters if c is not None and c.starts}
        return max(0, self._earlier_starts + current - len(slots))

    # --- one document ---------------------------------------------------------------------------

    def _pending(self) -> list[int]:
        with self.database.reader() as session:
            query = select(Document.id).where(Document.status == DocumentStatus.GENERATED.value)
            return list(session.execute(query.order_by(Document.id).limit(_BATCH)).scalars())

    def _process(self, document_id: int, summary: ConversionSummary, converter: WarmConverter) -> None:
        if self.database.is_postgres:
            with self.database.transaction() as session:
                row = self._locked(session, document_id, skip_locked=True)
                if row is None:
                    return
                outcome = self._convert(_job(session, row), converter)
                self._record(session, row, outcome, summary)
            return
        with self.database.reader() as session:
            row = session.get(Document, document_id)
            if row is None or row.status != DocumentStatus.GENERATED.value:
                return
            job = _job(session, row)
        outcome = self._convert(job, converter)
        with self.database.transaction() as session:
            row = self._locked(session, document_id, skip_locked=False)
            if row is None:  # another process finished it meanwhile: keep its result
                _discard(outcome)
                return
            self._record(session, row, outcome, summary)

    @staticmethod
    def _locked(session: Session, document_id: int, *, skip_locked: bool) -> Document | None:
        query = select(Document).where(
            Document.id == document_id, Document.status == DocumentStatus.GENERATED.value
        )
        return session.execute(query.with_for_update(skip_locked=skip_locked)).scalar_one_or_none()

    def _convert(self, job: _Job, converter: WarmConverter) -> _Outcome:
        if not self.settings.converter.enabled:
            return _Outcome(ok=False, reason="converter disabled in the configuration")
        if not job.docx_path or not Path(job.docx_path).is_file():
            return _Outcome(ok=False, reason=f"the DOCX is missing: {job.docx_path}")
        docx = Path(job.docx_path)
        temporary = docx.with_name(f".{docx.stem}.{os.getpid()}.pdf")
        error = ""
        for attempt in (1, 2):
            try:
                converter.convert(docx, temporary)
                return self._check(job, temporary, docx.with_suffix(".pdf"))
            except DependencyError as exc:
                return _Outcome(ok=False, reason=str(exc))
            except ConversionError as exc:
                error = str(exc)
                log.warning("conversion of %s failed (attempt %s): %s", job.doc_uid, attempt, exc)
        return _Outcome(ok=False, reason=error)

    def _check(self, job: _Job, temporary: Path, final: Path) -> _Outcome:
        """The PDF carries its id in the metadata and its number, case and id in the text."""
        try:
            stamped = stamp_metadata_bytes(temporary.read_bytes(), {DOC_ID_KEY: job.doc_uid})
            needles = [n for n in (job.number, job.case_number, job.doc_uid) if n]
            missing = missing_in_text(page_text(stamped, max_pages=_TEXT_PAGES).text, needles)
            if not missing:
                write_atomic(temporary, stamped, sync_folder=False)  # the rename into place syncs it
        except MailflowError as exc:
            missing, reason = ["?"], str(exc)
        except OSError as exc:
            missing, reason = ["?"], f"cannot write the PDF: {exc}"
        else:
            reason = f"the PDF text lacks {', '.join(missing)}" if missing else ""
        if missing:
            temporary.unlink(missing_ok=True)
            return _Outcome(ok=False, reason=reason)
        digest = hashlib.sha256(stamped).hexdigest()
        return _Outcome(ok=True, temporary=temporary, final=final, sha256=digest)

    def _record(self, session: Session, row: Document, outcome: _Outcome, summary: ConversionSummary) -> None:
        now = self.clock.now()
        if outcome.ok and outcome.temporary and outcome.final:
            move_into_place(outcome.temporary, outcome.final)
            row.pdf_path, row.pdf_sha256 = str(outcome.final), outcome.sha256
            row.status = DocumentStatus.CONVERTED.value
            summary.converted.append(row.doc_uid)
            log.info("letter %s converted to PDF", row.doc_uid)
            return
        row.status = DocumentStatus.PDF_FAILED.value
        summary.failed.append(row.doc_uid)
        log.warning("letter %s: no PDF (%s); mails will carry the DOCX", row.doc_uid, outcome.reason)
        audit(
            session,
            now,
            "system",
            "letter.pdf_failed",
            case_id=row.case_id,
            document_id=row.id,
            detail={"reason": outcome.reason, "at": _iso(now)},
        )


def _job(session: Session, row: Document) -> _Job:
    case_number = None
    if row.case_id is not None:
        case_number = session.execute(select(Case.number).where(Case.id == row.case_id)).scalar_one_or_none()
    return _Job(row.id, row.doc_uid, row.number, case_number, row.docx_path)


def _discard(outcome: _Outcome) -> None:
    if outcome.temporary is not None:
        with contextlib.suppress(OSError):
            outcome.temporary.unlink()


def _iso(instant: datetime) -> str:
    return instant.isoformat(timespec="seconds")
