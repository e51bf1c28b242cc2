"""The per-mailbox loop: one IMAP connection, IDLE where offered (re-issued well before the
29-minute limit) or polling, batched fetches, and reconnect with exponential backoff and jitter
on any network, server or database error. One bad message never stops the loop (ingest counts
its attempts and quarantines it).

A pass (`sync`) over the folder:
1. select it; a UIDVALIDITY other than the recorded one starts a safe re-scan (every UID is new;
   ingest recognises known mails by Message-ID + hash);
2. search the UIDs still there (move mode: all; flag mode: those without the processed keyword);
3. messages whose rows are already final only need their server marking (a crash came between
   commit and move); the others are fetched in batches of `batch_size` (BODY.PEEK[]; header only
   when over the size limit) and ingested with group commit: one fsync round and one
   transaction per batch (services.ingest.batch);
4. each batch is then marked on the server (one MOVE to the processed folder, or one STORE of
   the processed keyword; quarantined messages one MOVE to the quarantine folder) and
   `server_state` recorded.
While a message is parsed or processed, an in-flight marker names it (adapters.inflight); a
marker left by a dead process counts as a failed attempt at the start of the next pass, and the
batch holding that message is then ingested one message per transaction.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.models import MailboxState, Message
from mailflow.adapters.imap import Envelope, Fetched, FolderState, ImapAccount, ImapConnection, ImapLoginError
from mailflow.adapters.inflight import InFlightMarkers
from mailflow.clock import Clock
from mailflow.config.model import MailboxSection
from mailflow.domain.backoff import backoff_delay
from mailflow.errors import MailflowError
from mailflow.logs import Outage
from mailflow.services.audit import audit
from mailflow.services.ingest.batch import GroupCommit
from mailflow.services.ingest.rows import FINAL
from mailflow.services.ingest.service import Incoming, IngestService, Outcome
from mailflow.services.loop_errors import TRANSIENT_ERRORS, failure_kind, short
from mailflow.services.outbound.accounts import OAuthAccount, token_source

log = logging.getLogger("mailflow.poller")
PROCESSED_KEYWORD = "$MailflowProcessed"


@dataclass(frozen=True)
class PollTuning:
    idle_renew_seconds: float = 25 * 60  # servers may drop IDLE after 29 minutes (RFC 2177)
    backoff_base_seconds: float = 1.0
    backoff_max_seconds: float = 300.0
    envelope_chunk: int = 1000


@dataclass
class PollStats:
    seen: int = 0
    processed: int = 0
    skipped: int = 0
    quarantined: int = 0
    marked: int = 0
    cycles: int = 0
    reconnects: int = 0
    outcomes: list[Outcome] = field(default_factory=list, repr=False)

    def add(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)
        if outcome.skipped:
            self.skipped += 1
        elif outcome.status == "quarantined":
            self.quarantined += 1
        elif outcome.status != "received":
            self.processed += 1


def account_for(mailbox: MailboxSection, timeout: float = 60.0, lang: str = "id") -> ImapAccount:
    password = mailbox.password.get_secret_value() if mailbox.password else ""
    bearer = None
    if mailbox.auth == "oauth2" and mailbox.oauth2 is not None:
        bearer = token_source(OAuthAccount(mailbox.name, mailbox.user, mailbox.oauth2), lang)
    return ImapAccount(
        host=mailbox.host,
        port=mailbox.port,
        user=mailbox.user,
        password=password,
        security=mailbox.security,
        timeout=timeout,
        bearer=bearer,
        mechanism=mailbox.oauth2.mechanism if mailbox.oauth2 else "xoauth2",
    )


class MailboxPoller:
    def __init__(
        self,
        mailbox: MailboxSection,
        ingest: IngestService,
        database: Database,
        clock: Clock,
        *,
        tuning: PollTuning | None = None,
        connect: Callable[[MailboxSection], ImapConnection] | None = None,
    ) -> None:
        self.mailbox = mailbox
        self.ingest = ingest
        self.database = database
        self.clock = clock
        self.tuning = tuning or PollTuning()
        lang = ingest.settings.general.language
        self._connect = connect or (lambda box: ImapConnection.open(account_for(box, lang=lang)))
        self.stats = PollStats()
        self.idling = threading.Event()  # set while waiting in IDLE (tests and status use it)
        self.thread: threading.Thread | None = None  # set by bootstrap.ingest.run_pollers
        self._folders_ready = False
        self.inflight = InFlightMarkers(ingest.settings.data_dir / "inflight", mailbox.name, mailbox.folder)
        self.group = GroupCommit(ingest, self.inflight)
        # UIDs a dead process was working on: their batches go one message per transaction
        self.suspects: set[int] = set()
        self.last_synced: float | None = None  # time.monotonic() of the last complete pass (health)
        self.observe: Callable[[Outcome], None] = lambda _outcome: None  # metrics
        self.repeat_log_seconds = 60.0

    # --- one pass ---------------------------------------------------------------------------

    def poll_once(self) -> PollStats:
        conn = self._connect(self.mailbox)
        try:
            self.sync(conn)
        finally:
            conn.close()
        return self.stats

    def sync(self, conn: ImapConnection) -> None:
        box = self.mailbox
        state = conn.select(box.folder)
        self._record_uidvalidity(state)
        self._count_crashes(state.uidvalidity)
        keyword = PROCESSED_KEYWORD if box.mark_processed == "flag" else None
        uids = conn.search(without_keyword=keyword)
        self.stats.seen += len(uids)
        known = self._known(state.uidvalidity, uids)
        finished = [uid for uid in uids if known.get(uid) in FINAL]
        self._mark(conn, state.uidvalidity, finished)
        self._forget_gone(state.uidvalidity, set(uids))
        todo = [uid for uid in uids if known.get(uid) not in FINAL]
        limit = self.ingest.limits.max_message_bytes
        envelopes = conn.envelopes(todo, chunk=self.tuning.envelope_chunk) if todo else []
        normal = [e for e in envelopes if e.size <= limit]
        large = [e for e in envelopes if e.size > limit]
        self._batches(
            conn, state, [normal[i : i + box.batch_size] for i in range(0, len(normal), box.batch_size)]
        )
        for envelope in large:
            fetched = conn.fetch([envelope.uid], header_only=True)
            self._mark(conn, state.uidvalidity, self._ingest(state, [envelope], fetched, header_only=True))
        self.stats.cycles += 1
        self.last_synced = time.monotonic()

    def _batches(
        self, conn: ImapConnection, state: FolderState, batches: Sequence[Sequence[Envelope]]
    ) -> None:
        """Ingest and mark each batch, the next one being fetched meanwhile: the server sends it
        and imapclient reads it (mostly outside the GIL) while this thread parses and commits.
        The connection serves one command at a time: the fetch ahead ends before the MOVE."""
        if not batches:
            return
        fetched = conn.fetch([e.uid for e in batches[0]])
        if len(batches) == 1:
            self._mark(conn, state.uidvalidity, self._ingest(state, batches[0], fetched, header_only=False))
            return
        with ThreadPoolExecutor(1, thread_name_prefix=f"fetch-{self.mailbox.name}") as reader:
            for index, batch in enumerate(batches):
                ahead = None
                if index + 1 < len(batches):
                    ahead = reader.submit(conn.fetch, [e.uid for e in batches[index + 1]])
                try:
                    done = self._ingest(state, batch, fetched, header_only=False)
                except BaseException:
                    if ahead is not None:
                        wait([ahead])  # never leave the connection mid-command
                    raise
                fetched = ahead.result() if ahead is not None else []
                self._mark(conn, state.uidvalidity, done)

    def _ingest(
        self, state: FolderState, batch: Sequence[Envelope], fetched: Sequence[Fetched], *, header_only: bool
    ) -> list[int]:
        """Ingest one fetched batch; returns the UIDs that are final (to be marked)."""
        sizes = {e.uid: e.size for e in batch}
        items = [
            Incoming(
                mailbox=self.mailbox,
                folder=self.mailbox.folder,
                uidvalidity=state.uidvalidity,
                uid=message.uid,
                raw=message.raw,
                internaldate=message.internaldate,
                truncated_size=sizes[message.uid] if header_only else None,
            )
            for message in fetched
        ]
        if self.suspects.intersection(item.uid for item in items if item.uid is not None):
            outcomes = self.group.ingest_each(items)
        else:
            outcomes = self.group.ingest(items)
        done: list[int] = []
        for item, outcome in zip(items, outcomes, strict=True):
            self.stats.add(outcome)
            self.observe(outcome)
            if outcome.status in FINAL and item.uid is not None:
                done.append(item.uid)
        return done

    def _count_crashes(self, uidvalidity: int) -> None:
        """Messages a dead poller of this machine was processing count one failed attempt each
        (not when its raw file never reached the disk: then it is only taken alone next)."""
        for path, marker in self.inflight.orphans():
            if marker is not None and marker.uidvalidity == uidvalidity:
                if marker.uid is not None:
                    self.suspects.add(marker.uid)
                outcome = self.ingest.record_crash(self.mailbox, marker)
                if outcome is not None and outcome.status == "quarantined":
                    self.stats.quarantined += 1
            self.inflight.drop(path)

    # --- server marking ---------------------------------------------------------------------

    def _mark(self, conn: ImapConnection, uidvalidity: int, uids: Sequence[int]) -> None:
        """Move/flag final messages on the server, then record that it was done.

        The folder's mailbox_state row is locked meanwhile: two pollers of one mailbox mark one
        after the other, so the second finds the messages gone (a no-op) instead of copying them
        a second time into the processed folder (a MOVE is copy + expunge on many servers).
        """
        if not uids:
            return
        self._ensure_folders(conn)
        box = self.mailbox
        with self.database.transaction() as session:
            self._state_row(session)
            # Locked here in UID order, as a batch claims them (IngestService.claim_many): the UPDATE
            # below would take them in the table's order, and a second poller claiming the same
            # batch meanwhile would deadlock with it on PostgreSQL.
            rows = session.execute(
                select(Message.uid, Message.status)
                .where(*self._where(uidvalidity), Message.uid.in_(uids))
                .order_by(Message.uid)
                .with_for_update()
            ).all()
            final = [(int(uid), status) for uid, status in rows if uid is not None and status in FINAL]
            quarantined = [uid for uid, status in final if status == "quarantined"]
            processed = [uid for uid, status in final if status != "quarantined"]
            conn.move(quarantined, box.quarantine_folder)
            if box.mark_processed == "move":
                conn.move(processed, box.processed_folder)
            else:
                conn.add_keyword(processed, PROCESSED_KEYWORD)
            session.execute(
                update(Message)
                .where(*self._where(uidvalidity), Message.uid.in_([*quarantined, *processed]))
                .values(server_state="done")
            )
        self.stats.marked += len(quarantined) + len(processed)
        self.suspects.difference_update(uids)

    def _ensure_folders(self, conn: ImapConnection) -> None:
        if self._folders_ready:
            return
        conn.ensure_folder(self.mailbox.quarantine_folder)
        if self.mailbox.mark_processed == "move":
            conn.ensure_folder(self.mailbox.processed_folder)
        conn.select(self.mailbox.folder)  # some servers drop the selection on CREATE
        self._folders_ready = True

    def _forget_gone(self, uidvalidity: int, present: set[int]) -> None:
        """Rows still 'pending' whose message is no longer in the folder were marked by an earlier
        run that stopped before recording it."""
        with self.database.transaction() as session:
            pending = session.execute(
                select(Message.id, Message.uid)
                .where(
                    *self._where(uidvalidity), Message.server_state == "pending", Message.status.in_(FINAL)
                )
                .order_by(Message.uid)
                .with_for_update()  # in UID order, as a batch claims them (see _mark)
            ).all()
            gone = [row_id for row_id, uid in pending if uid not in present]
            if gone:
                session.execute(update(Message).where(Message.id.in_(gone)).values(server_state="done"))

    def _known(self, uidvalidity: int, uids: Sequence[int]) -> dict[int, str]:
        if not uids:
            return {}
        with self.database.reader() as session:
            rows = session.execute(
                select(Message.uid, Message.status).where(*self._where(uidvalidity), Message.uid >= min(uids))
            ).all()
        return {int(uid): status for uid, status in rows if uid is not None}

    def _where(self, uidvalidity: int) -> tuple[ColumnElement[bool], ...]:
        return (
            Message.account == self.mailbox.name,
            Message.folder == self.mailbox.folder,
            Message.uidvalidity == uidvalidity,
        )

    def _record_uidvalidity(self, state: FolderState) -> None:
        now = self.clock.now()
        with self.database.transaction() as session:
            row = self._state_row(session)
            if row is None:
                try:
                    with session.begin_nested():
                        session.add(
                            MailboxState(
                                account=self.mailbox.name, folder=self.mailbox.folder,
                                uidvalidity=state.uidvalidity, last_uid=0, updated_at=now,
                            )
                        )  # fmt: skip
                        session.flush()
                except IntegrityError:  # the other poller recorded it first
                    row = self._state_row(session)
            if row is not None and row.uidvalidity != state.uidvalidity:
                log.warning(
                    "%s/%s: UIDVALIDITY changed %s -> %s; re-scanning (known mails are recognised)",
                    self.mailbox.name, self.mailbox.folder, row.uidvalidity, state.uidvalidity,
                )  # fmt: skip
                audit(
                    session,
                    now,
                    "system",
                    "uidvalidity_changed",
                    detail={
                        "mailbox": self.mailbox.name,
                        "folder": self.mailbox.folder,
                        "old": row.uidvalidity,
                        "new": state.uidvalidity,
                    },
                )
                row.uidvalidity, row.last_uid = state.uidvalidity, 0
            if row is not None:
                row.updated_at = now
                if state.uidnext:
                    row.last_uid = max(row.last_uid, state.uidnext - 1)

    def _state_row(self, session: Session) -> MailboxState | None:
        return session.execute(
            select(MailboxState)
            .where(MailboxState.account == self.mailbox.name, MailboxState.folder == self.mailbox.folder)
            .with_for_update()
        ).scalar_one_or_none()

    # --- the long-running loop --------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Until `stop` is set: connect, sync, IDLE (or sleep), sync again; reconnect on errors.
        Server, network and database errors are waited out with backoff and logged once per
        minute while they last (mailflow.logs.Outage), then the recovery; a refused login and
        anything unexpected are logged loudly each time."""
        failures = 0
        outage = Outage(
            log, self.mailbox.name, lang=self.ingest.settings.general.language, window=self.repeat_log_seconds
        )
        while not stop.is_set():
            conn: ImapConnection | None = None
            try:
                conn = self._connect(self.mailbox)
                self._folders_ready = False
                self.sync(conn)
                failures = 0
                outage.recovered()
                self._wait_loop(conn, stop, outage)
            except TRANSIENT_ERRORS as exc:
                loud = isinstance(exc, ImapLoginError)
                outage.failed(failure_kind(exc), short(exc), level=logging.ERROR if loud else logging.WARNING)
                self._pause(stop, failures)
                failures += 1
            except MailflowError as exc:
                outage.failed("other", short(exc), level=logging.ERROR)
                self._pause(stop, failures)
                failures += 1
            except Exception as exc:
                log.exception("%s: unexpected error in the poll loop", self.mailbox.name)
                outage.failed("other", short(exc), level=logging.ERROR)
                self._pause(stop, failures)
                failures += 1
            finally:
                self.idling.clear()
                if conn is not None:
                    conn.close()

    def _wait_loop(self, conn: ImapConnection, stop: threading.Event, outage: Outage) -> None:
        box = self.mailbox
        use_idle = box.idle and conn.has_idle
        while not stop.is_set():
            if use_idle:
                self.idling.set()
                conn.idle_wait(min(self.tuning.idle_renew_seconds, box.poll_interval_seconds), stop)
                self.idling.clear()
            else:
                stop.wait(box.poll_interval_seconds)
                conn.noop()
            if not stop.is_set():
                self.sync(conn)
                outage.recovered()

    def _pause(self, stop: threading.Event, failures: int) -> None:
        delay = backoff_delay(
            failures,
            base=self.tuning.backoff_base_seconds,
            cap=self.tuning.backoff_max_seconds,
            draw=random.random(),  # noqa: S311 - jitter, not security
        )
        log.debug("%s: reconnecting in %.1f s", self.mailbox.name, delay)
        self.stats.reconnects += 1
        stop.wait(delay)
