"""Group commit: a fetched batch of messages ingested with one fsync round and one transaction.

Per batch (the poller's `batch_size`, one FETCH):
1. the raw bytes of every message are written (not yet fsynced), then each message is parsed,
   its attachments written the same way;
2. one sync round (adapters.durable.SyncRound) fsyncs all those files at once, renames them into
   place and fsyncs their directories: every file a row will name is on disk before the commit;
3. one transaction claims the rows of the batch in UID order, then processes each message:
   classification, registration and the engine's hooks, so a state change and the mails it
   causes still commit together, for the whole batch at once;
4. the poller then marks the batch on the server (one MOVE or STORE) as before.

A message whose processing raises rolls the whole transaction back; the batch is then retried
one message per transaction (IngestService.ingest), where the failing message counts its
attempt or is quarantined and its neighbours commit: one poisoned message costs its batch one
extra pass, never its neighbours' work. The same happens when the database chose this batch's
transaction as a deadlock victim (two pollers on PostgreSQL whose replies lock rows in another
order). A message whose parsing raises is quarantined at once, alone.

Rows are claimed before any message is processed, in UID order, so every transaction takes the
message rows first (ascending) and shared rows such as the case-number counter after them: two
pollers on one mailbox wait for each other instead of deadlocking.

Crash safety is the single-message argument, batch-wide: nothing of the batch is visible before
its commit, and a crash after it leaves only the server marking to finish. While a message is
parsed or processed the in-flight marker names it, so a message that kills the process is
counted against itself (IngestService.record_crash); the poller then takes the batch holding it
one message at a time, so its neighbours commit without it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.exc import InterfaceError, OperationalError

from mailflow.adapters.db.engine import is_lock_conflict
from mailflow.adapters.durable import SyncRound
from mailflow.adapters.mailstore import StoredBlob
from mailflow.domain.inbound import InboundMail
from mailflow.errors import StorageError
from mailflow.services.ingest.service import Incoming, IngestService, Outcome

log = logging.getLogger("mailflow.ingest")


class Tracker(Protocol):
    """The in-flight marker (adapters.inflight.InFlightMarkers): which message is being worked on."""

    def begin(self, uidvalidity: int | None, uid: int | None, sha256: str, raw_path: str) -> None: ...

    def clear(self) -> None: ...


@dataclass(frozen=True)
class _Parsed:
    index: int
    item: Incoming
    blob: StoredBlob
    mail: InboundMail


class GroupCommit:
    def __init__(self, service: IngestService, tracker: Tracker) -> None:
        self.service = service
        self.tracker = tracker

    def ingest(self, items: Sequence[Incoming]) -> list[Outcome]:
        """Ingest `items` (one fetched batch) with group commit; outcomes in the order of `items`."""
        outcomes: dict[int, Outcome] = {}
        parsed, failed = self._write_and_parse(items)
        for index, item, blob, exc in failed:
            outcomes[index] = self.service.parse_failed(item, blob, exc)
        if parsed:
            outcomes.update(self._commit(parsed))
        return [outcomes[index] for index in range(len(items))]

    def ingest_each(self, items: Sequence[Incoming]) -> list[Outcome]:
        """One message per transaction, every file fsynced before it is processed: for a batch
        holding a message that killed a process, so that its neighbours commit without it."""
        outcomes: list[Outcome] = []
        try:
            for item, blob in zip(items, self.service.store(list(items)), strict=True):
                self._begin(item, blob)
                outcomes.append(self.service.ingest(item, blob))
        finally:  # only a process that dies leaves its marker behind
            self.tracker.clear()
        return outcomes

    # --- steps ----------------------------------------------------------------------------

    def _write_and_parse(
        self, items: Sequence[Incoming]
    ) -> tuple[list[_Parsed], list[tuple[int, Incoming, StoredBlob, Exception]]]:
        round_ = SyncRound()
        parsed: list[_Parsed] = []
        failed: list[tuple[int, Incoming, StoredBlob, Exception]] = []
        try:
            blobs = self.service.raw_store.deferred(round_).put_many([item.raw for item in items])
            attachments = self.service.attachment_store.deferred(round_)
            for index, (item, blob) in enumerate(zip(items, blobs, strict=True)):
                self._begin(item, blob)
                try:
                    mail = self.service.parse(item, attachments)
                except Exception as exc:  # noqa: BLE001 - quarantined as parse_failed after the round
                    failed.append((index, item, blob, exc))
                    continue
                parsed.append(_Parsed(index, item, blob, mail))
            self.tracker.clear()
            round_.run()
        except OSError as exc:
            round_.discard()
            raise StorageError(f"cannot store the fetched messages: {exc}") from exc
        except BaseException:
            round_.discard()
            raise
        return parsed, failed

    def _commit(self, parsed: list[_Parsed]) -> dict[int, Outcome]:
        service = self.service
        current: _Parsed | None = None
        try:
            with service.database.transaction() as session:
                claims = service.claim_many(session, [(p.item, p.blob, p.mail) for p in parsed])
                earlier = service.earlier_mails(session, [row for row, _fresh in claims])
                done = []
                for entry, (row, fresh) in zip(parsed, claims, strict=True):
                    if fresh:
                        current = entry
                        self._begin(entry.item, entry.blob)
                        service.process(session, row, entry.mail, entry.item.mailbox, earlier)
                        earlier.add(row)
                    done.append((entry.index, row, fresh))
                current = None
                self.tracker.clear()  # a crash in the commit is no message's fault
            return {
                index: Outcome(row.id, row.status, row.kind, row.case_id, skipped=not fresh)
                for index, row, fresh in done
            }
        except StorageError as exc:
            self.tracker.clear()
            if not is_lock_conflict(exc):
                raise  # the database is away: the poller waits and takes the batch again
            log.warning("batch of %d messages lost a lock conflict (%s); one by one", len(parsed), exc)
        except (OperationalError, InterfaceError):
            self.tracker.clear()
            raise
        except Exception as exc:  # noqa: BLE001 - any failure: each message is retried alone, logged there
            self.tracker.clear()
            where = f"uid {current.item.uid}" if current is not None else "claiming the rows"
            log.warning(
                "batch of %d messages failed at %s (%s: %s); processing them one by one",
                len(parsed), where, type(exc).__name__, exc,
            )  # fmt: skip
        return self._retry_each(parsed)

    def _retry_each(self, parsed: list[_Parsed]) -> dict[int, Outcome]:
        outcomes: dict[int, Outcome] = {}
        try:
            for entry in parsed:
                self._begin(entry.item, entry.blob)
                outcomes[entry.index] = self.service.ingest(entry.item, entry.blob, entry.mail)
        finally:
            self.tracker.clear()
        return outcomes

    def _begin(self, item: Incoming, blob: StoredBlob) -> None:
        self.tracker.begin(item.uidvalidity, item.uid, blob.sha256, str(blob.path))
