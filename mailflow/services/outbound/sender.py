"""Outbox delivery: claim queued mails, build them, send over SMTP, record delivery.

- **Claims** are leases: a row goes `queued` -> `sending` (owner, lease_until) in a short
  transaction (PostgreSQL: SELECT ... FOR UPDATE SKIP LOCKED; SQLite: one UPDATE ... RETURNING
  under its single writer), so several senders never take the same row. A lease that expired
  (its sender died) is taken again.
- **Never twice**: a row is `sent` in its own transaction right after the server's 250 reply,
  and a `sent` row is never claimed again. The Message-ID was fixed when the mail was queued and
  the bytes are deterministic, so the one unavoidable window (a crash between the 250 and that
  commit, a few milliseconds) can only resend the very same message, which mail systems
  recognise by its Message-ID.
- **Retries**: a transient failure (4xx, network) counts an attempt and waits with exponential
  backoff and jitter (`sending.retry_base_seconds` .. `retry_max_seconds`); a permanent one (5xx)
  or `sending.max_attempts` marks the row `failed`. A letter whose PDF is not converted yet
  (`resolve_attachments` returns None) is put back without counting an attempt.
- **Rate limit and digest**: at most `limits.max_mails_per_address_per_day` mails are sent to
  one address per local day; later ones are `held`. The limit is a loop guard (domain/pacing):
  it holds mail to addresses outside the directory and answers to mail that could not act, never
  a directory person's work. An address's mails are claimed by one sender at a time, so several
  senders cannot each send the last allowed one. In the first pass after local midnight the held
  mails of each address are bundled into one `digest` mail (never held itself) and marked
  `digested`.
- **Grouping**: action mails to one directory person go out at most once per
  `sending.group_minutes`; those due meanwhile wait for the window's end and go out together as
  one grouped mail (services/outbound/grouping). Only rows never handed to SMTP are bundled.
- **One mail never stops the sender**: a row whose recipient is not a valid address (queued by an
  older version), or that raises anything while it is prepared or built, is marked `failed` with
  its reason (an unreadable attachment, an OSError, is an attempt retried with backoff) and the
  pass goes on with the next row. Only database and transport trouble ends a pass early.
"""

from __future__ import annotations

import json
import logging
import os
import random
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.models import OutboxMail
from mailflow.adapters.mail_templates import MailTemplates
from mailflow.adapters.mime_build import build_mime
from mailflow.adapters.processes import pid_alive
from mailflow.adapters.smtp import PermanentDeliveryError, SmtpAccount, SmtpTransport
from mailflow.clock import Clock
from mailflow.config.model import Settings
from mailflow.domain.backoff import backoff_delay
from mailflow.domain.directory import Directory
from mailflow.domain.outgoing import Problem, envelope_problem, split_addresses, valid_cc
from mailflow.domain.pacing import held_by_daily_cap, is_action
from mailflow.domain.safe_text import escape
from mailflow.errors import MailflowError, StorageError, TransientError
from mailflow.logs import Outage
from mailflow.services.loop_errors import TRANSIENT_ERRORS, failure_kind, short
from mailflow.services.outbound.accounts import SMTP_NAME, OAuthAccount, token_source
from mailflow.services.outbound.digest import DigestBuilder
from mailflow.services.outbound.grouping import GroupBuilder, Paced
from mailflow.services.outbound.outbox import reason_text, resolve_attachments

log = logging.getLogger("mailflow.sender")
MAX_BATCHES_PER_PASS = 1000


class SmtpUnreachableError(MailflowError):
    """The SMTP server could not be reached at all: the pass ends, the mails wait untouched."""


PASS_ERRORS: tuple[type[Exception], ...] = (*TRANSIENT_ERRORS, SmtpUnreachableError)


@dataclass(frozen=True)
class SendTuning:
    lease_seconds: float = 300.0
    attachments_wait_seconds: float = 30.0  # a letter's PDF is not ready: look again after this
    idle_seconds: float = 5.0  # `mailflow send` without --once: pause between empty passes


@dataclass
class SendStats:
    sent: int = 0
    held: int = 0
    failed: int = 0
    deferred: int = 0
    waiting: int = 0
    digests: int = 0
    paced: int = 0  # action mails put back until their person's grouping window ends
    grouped: int = 0  # grouped mails made

    def total(self) -> int:
        return self.sent + self.held + self.failed + self.deferred + self.waiting + self.paced + self.grouped


def smtp_account(settings: Settings) -> SmtpAccount:
    smtp = settings.smtp
    bearer = None
    if smtp.auth == "oauth2" and smtp.oauth2 is not None and smtp.user:
        bearer = token_source(OAuthAccount(SMTP_NAME, smtp.user, smtp.oauth2), settings.general.language)
    return SmtpAccount(
        host=smtp.host,
        port=smtp.port,
        security=smtp.security,
        user=smtp.user,
        password=smtp.password.get_secret_value() if smtp.password else None,
        timeout=smtp.timeout_seconds,
        bearer=bearer,
        mechanism=smtp.oauth2.mechanism if smtp.oauth2 else "xoauth2",
    )


CLAIM_LOCK_KEY = 0x6D61696C666C6F77  # "mailflow": the advisory lock that serialises claims


class OutboxSender:
    def __init__(
        self,
        *,
        settings: Settings,
        database: Database,
        clock: Clock,
        templates: MailTemplates,
        transport: Callable[[], SmtpTransport] | None = None,
        owner: str | None = None,
        tuning: SendTuning | None = None,
        directory: Directory | None = None,
    ) -> None:
        """`directory`: its people's addresses are "official" (domain/pacing): never held by the
        daily cap for their work, and their action mails grouped."""
        self.settings = settings
        self.database = database
        self.clock = clock
        self.tuning = tuning or SendTuning()
        self.host = socket.gethostname()
        self.owner = owner or f"{self.host}:{os.getpid()}:{random.getrandbits(32):08x}"
        self._transport = transport or (lambda: SmtpTransport(smtp_account(settings)))
        self.zone = ZoneInfo(settings.general.timezone)
        self.digests = DigestBuilder(settings=settings, templates=templates, zone=self.zone)
        self.grouping = GroupBuilder(settings=settings, templates=templates)
        self.officials = frozenset(
            address
            for person in (directory.people if directory is not None else ())
            for address in person.addresses()
        )
        # Rows the last claim took from `queued`: never handed to SMTP, so they may be grouped
        # (a row taken over from an expired lease may have been delivered just before).
        self._fresh: frozenset[int] = frozenset()
        self.observe: Callable[[SendStats], None] = lambda _stats: None  # metrics, after each pass
        self.repeat_log_seconds = 60.0
        # Mails the server accepted (250) whose `sent` could not be recorded because the database
        # was away: recorded first thing once it is back, and never claimed or sent again meanwhile.
        self._unrecorded: dict[int, bytes] = {}

    # --- passes ---------------------------------------------------------------------------

    def send_pass(self) -> SendStats:
        """Digest yesterday's held mails, then deliver everything due now."""
        stats = SendStats()
        self._record_unrecorded(stats)
        now = self.clock.now()
        stats.digests = self.digests.bundle_held(self.database, now, self.day_start(now))
        with self._transport() as transport:
            for _ in range(MAX_BATCHES_PER_PASS):
                claimed = self.claim(self.clock.now())
                if not claimed:
                    break
                for index, outbox_id in enumerate(claimed):
                    self._reach(transport, claimed[index:])
                    self._deliver(transport, outbox_id, stats)
        return stats

    def run(self, stop: threading.Event) -> None:
        """Send until `stop` is set. An SMTP server that cannot be reached or a database that is
        away ends the pass (no mail is charged an attempt for it) and is logged once, then once
        per minute with a count while it lasts, then the recovery (mailflow.logs.Outage)."""
        outage = Outage(log, "sender", lang=self.settings.general.language, window=self.repeat_log_seconds)
        while not stop.is_set():
            try:
                stats = self.send_pass()
            except PASS_ERRORS as exc:
                outage.failed(failure_kind(exc), short(exc))
                stop.wait(self.tuning.idle_seconds)
                continue
            except Exception:  # a bug must not end the thread while the process runs on
                log.exception("send pass failed unexpectedly")
                stop.wait(self.tuning.idle_seconds)
                continue
            outage.recovered()
            self.observe(stats)
            if stats.total() == 0:
                stop.wait(self.tuning.idle_seconds)

    def _reach(self, transport: SmtpTransport, waiting: list[int]) -> None:
        """Connect before the next mail; when the server cannot be reached at all, put the
        claimed mails back untouched (not an attempt: the server is down, not the mail) and end
        the pass, instead of failing every queued mail on its own."""
        try:
            transport.connect()
        except TransientError as exc:
            self._release(waiting)
            raise SmtpUnreachableError(str(exc)) from exc

    def _release(self, outbox_ids: list[int]) -> None:
        with self.database.transaction() as session:
            session.execute(
                update(OutboxMail)
                .where(
                    OutboxMail.id.in_(outbox_ids),
                    OutboxMail.status == "sending",
                    OutboxMail.lease_owner == self.owner,
                )
                .values(status="queued", lease_owner=None, lease_until=None)
            )

    def _record_unrecorded(self, stats: SendStats) -> None:
        for outbox_id, raw in list(self._unrecorded.items()):
            self._finish_sent(outbox_id, raw, stats)  # raises while the database is still away

    def day_start(self, now: datetime) -> datetime:
        local = now.astimezone(self.zone).date()
        return datetime.combine(local, time(0), tzinfo=self.zone).astimezone(UTC)

    # --- claiming ---------------------------------------------------------------------------

    def claim(self, now: datetime) -> list[int]:
        lease = now + timedelta(seconds=self.tuning.lease_seconds)
        orphaned = self._orphaned_leases()
        due = or_(
            (OutboxMail.status == "queued") & (OutboxMail.next_attempt_at <= now),
            (OutboxMail.status == "sending") & (OutboxMail.lease_until < now),
            (OutboxMail.status == "sending") & OutboxMail.lease_owner.in_(orphaned),
            # ours, left by a pass that an outage ended (one sender per owner: nothing else of
            # ours is in flight when it claims), except mails sent but not yet recorded
            (OutboxMail.status == "sending") & (OutboxMail.lease_owner == self.owner),
        )
        if self._unrecorded:
            due = due & OutboxMail.id.not_in(list(self._unrecorded))
        # An address belongs to one sender at a time, so the daily limit, counted in _prepare,
        # cannot be passed by two senders each seeing one mail short of it.
        busy = select(OutboxMail.to_addr).where(
            OutboxMail.status == "sending",
            OutboxMail.lease_owner != self.owner,
            OutboxMail.lease_until >= now,
            OutboxMail.lease_owner.not_in(orphaned),
        )
        due = due & OutboxMail.to_addr.not_in(busy)
        batch = self.settings.sending.batch_size
        pick = (
            select(OutboxMail.id, OutboxMail.status)
            .where(due)
            .order_by(OutboxMail.next_attempt_at, OutboxMail.id)
            .limit(batch)
        )
        with self.database.transaction() as session:
            if self.database.is_postgres:
                # Claims are short; serialising them is what makes the `busy` test above exact
                # under READ COMMITTED (SQLite's single writer does the same by itself, and its
                # BEGIN IMMEDIATE keeps the rows picked here unchanged until the update).
                session.execute(select(func.pg_advisory_xact_lock(CLAIM_LOCK_KEY)))
                pick = pick.with_for_update(skip_locked=True)
            picked = session.execute(pick).all()
            ids = [row.id for row in picked] if self.database.is_postgres else sorted(r.id for r in picked)
            if ids:
                session.execute(
                    update(OutboxMail)
                    .where(OutboxMail.id.in_(ids))
                    .values(status="sending", lease_owner=self.owner, lease_until=lease)
                )
            self._fresh = frozenset(row.id for row in picked if row.status == "queued")
            return ids

    def _orphaned_leases(self) -> list[str]:
        """Lease owners on this machine whose process is gone (killed or crashed): their rows
        need not wait for the lease to expire. Other machines' leases always do."""
        with self.database.reader() as session:
            owners = session.execute(
                select(OutboxMail.lease_owner)
                .where(OutboxMail.status == "sending", OutboxMail.lease_owner.like(f"{self.host}:%"))
                .distinct()
            ).scalars()
            return [owner for owner in owners if owner and not _process_alive(owner)]

    # --- one mail ---------------------------------------------------------------------------

    def _deliver(self, transport: SmtpTransport, outbox_id: int, stats: SendStats) -> None:
        try:
            prepared = self._prepare(outbox_id, stats)
        except (SQLAlchemyError, StorageError):
            raise  # the database, not this mail: the pass ends and is tried again
        except Exception as exc:
            log.exception("outbox %s cannot be prepared", outbox_id)
            self._finish_failure(outbox_id, _unexpected(exc), permanent=True, stats=stats)
            return
        if prepared is None:
            return
        raw, recipients = prepared
        try:
            transport.send(raw, mail_from=str(self.settings.smtp.from_address), rcpt_to=recipients)
        except PermanentDeliveryError as exc:
            self._finish_failure(outbox_id, str(exc), permanent=True, stats=stats)
            return
        except TransientError as exc:
            self._finish_failure(outbox_id, str(exc), permanent=False, stats=stats)
            return
        except Exception as exc:
            # The connection may be half-way through a transaction: start the next mail afresh.
            # Counted as an attempt, so it ends `failed` after sending.max_attempts.
            log.exception("outbox %s: unexpected error while sending", outbox_id)
            transport.close()
            self._finish_failure(outbox_id, _unexpected(exc), permanent=False, stats=stats)
            return
        self._finish_sent(outbox_id, raw, stats)

    def _prepare(self, outbox_id: int, stats: SendStats) -> tuple[bytes, list[str]] | None:
        """Check the lease, the rate limit and the attachments; build the bytes. None: not now."""
        now = self.clock.now()
        with self.database.transaction() as session:
            row = session.get(OutboxMail, outbox_id, with_for_update=True)
            if row is None or row.status != "sending" or row.lease_owner != self.owner:
                return None
            problem = envelope_problem(row.to_addr, row.reply_to, _header_names(row))
            if problem is not None:  # queued before outbox.queue checked: never sendable
                self._count_failure(row, reason_text(problem, row.language), permanent=True, now=now)
                stats.failed += 1
                log.warning("outbox %s failed: %s", outbox_id, row.last_error)
                return None
            official = row.to_addr in self.officials
            if official and is_action(row.kind) and self.grouping.window:
                paced = self.grouping.pace(session, row, now, owner=self.owner, fresh=self._fresh)
                if paced is Paced.WAIT:
                    stats.paced += 1
                    return None
                if paced is Paced.GROUPED:  # the grouped mail is queued: a later claim sends it
                    stats.grouped += 1
                    return None
            if (
                held_by_daily_cap(row.kind, official=official)
                and self._sent_today(session, row.to_addr, now)
                >= self.settings.limits.max_mails_per_address_per_day
            ):
                row.status, row.lease_owner, row.lease_until = "held", None, None
                row.next_attempt_at = now
                stats.held += 1
                return None
            files = resolve_attachments(session, row)
            if files is None:  # a letter's PDF is on its way: not an attempt
                row.status, row.lease_owner, row.lease_until = "queued", None, None
                row.next_attempt_at = now + timedelta(seconds=self.tuning.attachments_wait_seconds)
                stats.waiting += 1
                return None
            try:
                raw = build_mime(
                    row,
                    from_addr=str(self.settings.smtp.from_address),
                    from_name=self.settings.smtp.from_name,
                    files=files,
                )
            except OSError as exc:  # a file vanished or a share is down: may come back
                problem = Problem("unreadable", escape(str(exc), limit=300))
                self._count_failure(row, reason_text(problem, row.language), permanent=False, now=now)
                stats.deferred += 1
                log.warning("outbox %s deferred: %s", outbox_id, row.last_error)
                return None
            except Exception as exc:  # noqa: BLE001 - anything else the email package refuses
                problem = Problem("unbuildable", escape(f"{type(exc).__name__}: {exc}", limit=300))
                self._count_failure(row, reason_text(problem, row.language), permanent=True, now=now)
                stats.failed += 1
                log.warning("outbox %s failed: %s", outbox_id, row.last_error)
                return None
            cc, _refused = valid_cc(split_addresses(row.cc_addrs))
            recipients = [row.to_addr, *(a for a in cc if a != row.to_addr)]
            return raw, recipients

    def _sent_today(self, session: Session, to_addr: str, now: datetime) -> int:
        return int(
            session.execute(
                select(func.count())
                .select_from(OutboxMail)
                .where(
                    OutboxMail.to_addr == to_addr,
                    OutboxMail.status == "sent",
                    OutboxMail.sent_at >= self.day_start(now),
                )
            ).scalar_one()
        )

    def _finish_sent(self, outbox_id: int, raw: bytes, stats: SendStats) -> None:
        now = self.clock.now()
        try:
            with self.database.transaction() as session:
                row = session.get(OutboxMail, outbox_id, with_for_update=True)
                if row is None:
                    self._unrecorded.pop(outbox_id, None)
                    return
                row.status, row.sent_at, row.raw = "sent", now, raw
                row.attempts += 1
                row.last_error, row.lease_owner, row.lease_until = None, None, None
        except BaseException:  # whatever stopped the record (mostly the database), it was delivered:
            self._unrecorded[outbox_id] = raw  # record it when the database is back, never resend it
            raise
        self._unrecorded.pop(outbox_id, None)
        stats.sent += 1
        log.info("sent outbox %s", outbox_id)

    def _finish_failure(self, outbox_id: int, error: str, *, permanent: bool, stats: SendStats) -> None:
        now = self.clock.now()
        with self.database.transaction() as session:
            row = session.get(OutboxMail, outbox_id, with_for_update=True)
            if row is None or row.status != "sending":
                return
            self._count_failure(row, error, permanent=permanent, now=now)
            if row.status == "failed":
                stats.failed += 1
            else:
                stats.deferred += 1
        log.warning(
            "outbox %s not sent (%s): %s", outbox_id, "permanent" if permanent else "will retry", error
        )

    def _count_failure(self, row: OutboxMail, error: str, *, permanent: bool, now: datetime) -> None:
        sending = self.settings.sending
        row.attempts += 1
        row.last_error = error[:4000]
        row.lease_owner, row.lease_until = None, None
        if permanent or row.attempts >= sending.max_attempts:
            row.status = "failed"
            return
        delay = backoff_delay(
            row.attempts - 1,
            base=sending.retry_base_seconds,
            cap=sending.retry_max_seconds,
            draw=random.random(),  # noqa: S311 - jitter, not security
        )
        row.status, row.next_attempt_at = "queued", now + timedelta(seconds=delay)


def _header_names(row: OutboxMail) -> list[str]:
    try:
        headers = json.loads(row.headers) if row.headers else {}
    except ValueError:
        return ["(unreadable headers)"]
    return [str(name) for name in headers] if isinstance(headers, dict) else ["(unreadable headers)"]


def _unexpected(exc: BaseException) -> str:
    return escape(f"{type(exc).__name__}: {exc}", limit=1000)


def _process_alive(owner: str) -> bool:
    try:
        pid = int(owner.split(":")[1])
    except (IndexError, ValueError):
        return True  # not ours to judge: wait for the lease
    return pid_alive(pid)
