"""Exactly-once ingest of one message: store raw -> row -> classify -> dispatch, in one transaction.

The order is what makes a crash harmless:
1. the raw bytes go to the content-addressed store and are fsynced;
2. one transaction inserts the `messages` row (unique on account, folder, UIDVALIDITY, UID),
   classifies the mail and carries out the decision (a case with its step-1 event and its
   acknowledgement in the outbox, or the engine's hook), and commits;
3. only then does the poller mark the message on the server (move or flag), and afterwards
   records that (`server_state = 'done'`).
A crash before 2 commits leaves no trace but the raw file (written again, same name); after it,
the row says the work is done and the next pass only finishes the server marking. A second
poller blocks on the same row's unique key, sees it processed, and skips it. A message seen
again under a new UIDVALIDITY is recognised by Message-ID + SHA-256 and never processed twice.

Failures: an exception rolls the transaction back; a separate transaction counts the attempt
and records the error; after `limits.max_attempts` the message is quarantined. A QuarantineError
(e.g. from the engine's hook) quarantines at once. Parsing is deterministic, so a message whose
parsing raises (a parser bug: the parser itself is built not to raise on bad input) is
quarantined at once (`parse_failed`), its traceback logged that one time.

Hostile or broken mail is decided on its first pass: MIME too deep or too split to read whole
(`mime_broken`), no usable From (`no_from`), a reply whose From had to be guessed
(`from_unverified`) are quarantined with an Indonesian reason; read receipts and machine reports
are recorded and never answered. The parser's defects are kept on the row (`messages.defects`)
and an attachment cut short is stored flagged `damaged`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.models import Case, Message, MessageAttachment, OutboxMail
from mailflow.adapters.inflight import InFlight
from mailflow.adapters.mailstore import ContentStore, StoredBlob
from mailflow.adapters.mime_parse import ParseLimits, parse_message
from mailflow.clock import Clock
from mailflow.config.model import MailboxSection, Settings
from mailflow.domain.inbound import InboundMail
from mailflow.domain.noise import Noise, NoiseKind, detect_noise
from mailflow.domain.reply_signals import case_tag_regex, reply_signals
from mailflow.domain.rules import Action, Decision, MailFacts, Rule, evaluate
from mailflow.domain.safe_text import escape
from mailflow.errors import NotFoundError, QuarantineError, StorageError
from mailflow.i18n import translate
from mailflow.services.audit import audit
from mailflow.services.ingest.quarantine import quarantine_message
from mailflow.services.ingest.registration import Registrar
from mailflow.services.ingest.rows import FINAL, EarlierMails, defects_json, header_facts

log = logging.getLogger("mailflow.ingest")
TAKEN_IN = "as-complaint"  # the rule name of a mail an admin took in as a complaint


class IngestHooks(Protocol):
    """What the conversation engine plugs in. Both run inside the message's transaction, so the
    engine's state changes, its outbox mails and the message's new status commit together."""

    def case_registered(self, session: Session, case: Case, now: datetime) -> None:
        """A complaint became `case` (step 1 done): start step 2 here."""

    def handle_reply(self, session: Session, message: Message, inbound: InboundMail, now: datetime) -> None:
        """A reply-like mail from a person (never an auto-reply or bounce). Set `message.status`
        ("processed", "unhandled", ...) or call services.quarantine.quarantine_message; a status
        left at "received" becomes "processed". Raise QuarantineError to quarantine at once."""


class DefaultHooks:
    """Until the engine is plugged in: nothing starts at registration, replies wait as "unhandled"."""

    def case_registered(self, session: Session, case: Case, now: datetime) -> None:
        return None

    def handle_reply(self, session: Session, message: Message, inbound: InboundMail, now: datetime) -> None:
        message.status = "unhandled"
        audit(session, now, inbound.from_addr or "?", "reply_unhandled", message_id=message.id)


@dataclass(frozen=True)
class Incoming:
    """One message as the poller fetched it."""

    mailbox: MailboxSection
    folder: str
    uidvalidity: int | None
    uid: int | None
    raw: bytes
    internaldate: datetime | None
    truncated_size: int | None = None  # set when only the header was fetched (over the size limit)


@dataclass(frozen=True)
class Outcome:
    message_id: int | None
    status: str
    kind: str | None = None
    case_id: int | None = None
    skipped: bool = False  # someone else (or an earlier run) already processed it


class IngestService:
    def __init__(
        self,
        *,
        settings: Settings,
        database: Database,
        rules: list[Rule],
        registrar: Registrar,
        clock: Clock,
        hooks: IngestHooks | None = None,
    ) -> None:
        self.settings = settings
        self.database = database
        self.rules = rules
        self.registrar = registrar
        self.clock = clock
        self.hooks: IngestHooks = hooks or DefaultHooks()
        self.raw_store = ContentStore(settings.raw_mail_dir, suffix=".eml")
        self.attachment_store = ContentStore(settings.attachments_dir)
        self.limits = ParseLimits(
            max_message_bytes=int(settings.limits.max_message_mb * 1024 * 1024),
            max_attachment_bytes=int(settings.limits.max_attachment_mb * 1024 * 1024),
        )
        own = (str(settings.smtp.from_address), str(settings.tokens.reply_address))
        self.own_addresses = tuple(a.lower() for a in own)
        self.own_domains = tuple(dict.fromkeys(a.rsplit("@", 1)[1].lower() for a in own))
        self.case_tag = case_tag_regex(settings.numbering.case_pattern)
        self.lang = settings.general.language
        # every rule file's form labels: the web-form check in evaluate() reads them all, so the
        # registrar does too (those of the rules that matched first)
        self.form_fields = tuple(pair for rule in rules for pair in rule.settings.fields)

    # --- entry points ---------------------------------------------------------------------

    def store(self, items: list[Incoming]) -> list[StoredBlob]:
        """Write the raw bytes of a fetched batch durably (one directory fsync per directory)."""
        return self.raw_store.put_many([item.raw for item in items])

    def ingest(
        self, item: Incoming, stored: StoredBlob | None = None, mail: InboundMail | None = None
    ) -> Outcome:
        """Store (unless `stored` says it is), then process `item` exactly once in its own
        transaction (`mail`: already parsed, e.g. when a batch is retried one by one)."""
        blob = stored or self.raw_store.put(item.raw)
        if mail is None:
            try:
                mail = self.parse(item)
            except Exception as exc:  # noqa: BLE001 - logged with its traceback by parse_failed
                return self.parse_failed(item, blob, exc)
        try:
            with self.database.transaction() as session:
                row, fresh = self.claim(session, item, blob, mail)
                if not fresh:
                    return Outcome(row.id, row.status, row.kind, row.case_id, skipped=True)
                self.process(session, row, mail, item.mailbox)
                return Outcome(row.id, row.status, row.kind, row.case_id)
        except QuarantineError as exc:
            return self._record_failure(item, blob.sha256, str(blob.path), mail, exc, quarantine=True)
        except (StorageError, OperationalError, InterfaceError):
            raise  # the database is away, not the message's fault: the poller waits and retries it
        except Exception as exc:
            log.warning("processing %s uid %s failed: %s", item.mailbox.name, item.uid, exc, exc_info=True)
            return self._record_failure(item, blob.sha256, str(blob.path), mail, exc, quarantine=False)

    def parse_failed(self, item: Incoming, blob: StoredBlob, exc: Exception) -> Outcome:
        """Quarantine a message whose parsing raised. Parsing is deterministic: another attempt
        would fail the same way, so the message is decided now and this traceback is the only
        one it ever logs."""
        log.error("parsing %s uid %s failed; quarantined", item.mailbox.name, item.uid, exc_info=exc)
        reason = translate("ingest.reason.parse_failed", self.lang, error=f"{type(exc).__name__}: {exc}")
        return self._record_failure(
            item, blob.sha256, str(blob.path), header_facts(item.raw), exc,
            quarantine=True, code="parse_failed", reason=reason,
        )  # fmt: skip

    def record_crash(self, mailbox: MailboxSection, marker: InFlight) -> Outcome | None:
        """Count the attempt a dead process was making on the message `marker` names (it never
        reached `_record_failure`); after `limits.max_attempts` the message is quarantined
        instead of killing every poller that takes it. None when its raw file is gone."""
        try:
            raw = self.raw_store.read(marker.raw_path)
        except StorageError as exc:
            log.warning("in-flight message %s uid %s: %s; not counted", mailbox.name, marker.uid, exc)
            return None
        item = Incoming(mailbox, marker.folder, marker.uidvalidity, marker.uid, raw, None)
        log.error(
            "%s uid %s: the process stopped while processing this message; counted as a failed attempt",
            mailbox.name, marker.uid,
        )  # fmt: skip
        reason = translate("ingest.reason.crashed", self.lang)
        return self._record_failure(
            item, marker.sha256, marker.raw_path, header_facts(raw), None,
            quarantine=False, code="crashed", reason=reason,
        )  # fmt: skip

    def reprocess(self, message_id: int, mailbox: MailboxSection) -> Outcome:
        """Process a stored message again from its raw file (quarantine retry)."""
        with self.database.reader() as session:
            row = session.get(Message, message_id)
            if row is None:
                raise NotFoundError(translate("ingest.err.no_message", self.lang, id=message_id))
            raw = self.raw_store.read(row.raw_path)
            item = Incoming(mailbox, row.folder, row.uidvalidity, row.uid, raw, row.received_at)
        return self.ingest(item)

    # --- steps ----------------------------------------------------------------------------

    def parse(self, item: Incoming, attachments: ContentStore | None = None) -> InboundMail:
        """Parse `item`, its attachments written to `attachments` (default: the durable store;
        a batch passes the store deferred to its sync round)."""
        store = self.attachment_store if attachments is None else attachments
        mail = parse_message(item.raw, store=store, limits=self.limits)
        if item.truncated_size is not None:
            mail = replace(mail, truncated=True, size=item.truncated_size)
        return mail

    def claim(
        self, session: Session, item: Incoming, blob: StoredBlob, mail: InboundMail
    ) -> tuple[Message, bool]:
        """The row of this message, locked; `fresh` is False when it needs no processing."""
        return self._claim(session, item, blob.sha256, str(blob.path), mail)

    def claim_many(
        self, session: Session, entries: Sequence[tuple[Incoming, StoredBlob, InboundMail]]
    ) -> list[tuple[Message, bool]]:
        """`claim` for a batch of one folder, in the order of `entries` (ascending UIDs): one
        query locks the rows that exist, one insert adds the others. When another poller
        inserted one of them meanwhile (its insert waits for that poller's commit, then fails),
        the batch is claimed row by row like single messages."""
        keys = {(item.mailbox.name, item.folder, item.uidvalidity) for item, _blob, _mail in entries}
        if len(keys) != 1 or any(item.uid is None for item, _blob, _mail in entries):
            return [self.claim(session, *entry) for entry in entries]
        first = entries[0][0]
        uids = [item.uid for item, _blob, _mail in entries]
        query = select(Message).where(
            Message.account == first.mailbox.name,
            Message.folder == first.folder,
            Message.uidvalidity == first.uidvalidity,
            Message.uid.in_(uids),
        )
        locked = session.execute(query.order_by(Message.uid).with_for_update()).scalars()
        rows = {row.uid: row for row in locked}
        new = [
            self._new_row(item, blob.sha256, str(blob.path), mail)
            for item, blob, mail in entries
            if item.uid not in rows
        ]
        if new:
            try:
                with session.begin_nested():
                    session.add_all(new)
                    session.flush()
            except IntegrityError:
                return [self.claim(session, *entry) for entry in entries]
            rows.update((row.uid, row) for row in new)
        claimed = [rows[item.uid] for item, _blob, _mail in entries]
        return [(row, row.status == "received") for row in claimed]

    def _claim(
        self, session: Session, item: Incoming, sha256: str, path: str, mail: InboundMail
    ) -> tuple[Message, bool]:
        row = self._find(session, item)
        if row is None:
            row = self._new_row(item, sha256, path, mail)
            try:
                with session.begin_nested():
                    session.add(row)
                    session.flush()
            except IntegrityError:  # another poller inserted it first: wait for its outcome
                found = self._find(session, item)
                if found is None:
                    raise
                row = found
        return row, row.status == "received"

    def _find(self, session: Session, item: Incoming) -> Message | None:
        if item.uid is None:
            return None
        query = select(Message).where(
            Message.account == item.mailbox.name,
            Message.folder == item.folder,
            Message.uidvalidity == item.uidvalidity,
            Message.uid == item.uid,
        )
        return session.execute(query.with_for_update()).scalar_one_or_none()

    def _new_row(self, item: Incoming, sha256: str, path: str, mail: InboundMail) -> Message:
        now = self.clock.now()
        return Message(
            account=item.mailbox.name,
            folder=item.folder,
            uidvalidity=item.uidvalidity,
            uid=item.uid,
            message_id=mail.message_id[:998] if mail.message_id else None,
            sha256=sha256,
            raw_path=path,
            size=mail.size or len(item.raw),
            from_addr=mail.from_addr[:320] if mail.from_addr else None,
            subject=mail.subject[:2000],
            date_header=mail.date,
            defects=defects_json(mail),
            # the server's arrival time, but never later than ours (a server clock running ahead
            # would otherwise give step 1 a negative duration)
            received_at=min(item.internaldate or now, now),
            status="received",
            attempts=0,
            server_state="pending",
        )

    def process(
        self,
        session: Session,
        row: Message,
        mail: InboundMail,
        mailbox: MailboxSection,
        earlier: EarlierMails | None = None,
    ) -> None:
        """Classify the claimed, fresh `row` and carry out the decision in `session` (`earlier`:
        a batch's view of the mails it may repeat, instead of one query per message)."""
        now = self.clock.now()
        original = earlier.original_of(row) if earlier is not None else self._duplicate_of(session, row)
        first_attempt = row.attempts == 0
        row.attempts += 1
        row.processed_at = now
        self._attachments(session, row, mail, first_attempt=first_attempt)
        if original is not None:
            row.kind, row.status, row.case_id = "duplicate", "duplicate", original.case_id
            row.rule = original.rule
            audit(
                session,
                now,
                "system",
                "message_duplicate",
                message_id=row.id,
                detail={"original": original.id},
            )
            return
        if mail.truncated:
            row.kind = "oversize"
            reason = translate("ingest.reason.too_large", self.lang, size=row.size,
                               limit=self.settings.limits.max_message_mb)  # fmt: skip
            quarantine_message(session, row, code="too_large", reason=reason, now=now)
            return
        if mail.broken is not None:
            row.kind = "broken"
            reason = translate("ingest.reason.mime_broken", self.lang, detail=mail.broken)
            quarantine_message(session, row, code="mime_broken", reason=reason, now=now)
            return
        noise = self.noise_of(mail)
        if noise is not None and not noise.kind.may_match_rules:
            self._record_noise(session, row, noise, now)
            return
        if mail.from_addr is None:
            # nobody to answer and nobody to hold to account: never a case, never a command
            row.kind = "no_from"
            detail = translate(f"ingest.from.{mail.from_problem or 'missing'}", self.lang)
            reason = translate("ingest.reason.no_from", self.lang, detail=detail)
            quarantine_message(session, row, code="no_from", reason=reason, now=now)
            return
        decision = self.classify(mail, mailbox.name, automated=noise is not None)
        self._dispatch(session, row, mail, decision, noise, now)

    def noise_of(self, mail: InboundMail) -> Noise | None:
        return detect_noise(mail, own_addresses=self.own_addresses, own_domains=self.own_domains)

    def classify(self, mail: InboundMail, mailbox: str, *, automated: bool) -> Decision:
        signals = reply_signals(
            mail,
            reply_address=str(self.settings.tokens.reply_address),
            own_domains=self.own_domains,
            case_tag=self.case_tag,
        )
        return evaluate(self.rules, MailFacts.of(mail, mailbox, signals, automated=automated))

    def _dispatch(
        self,
        session: Session,
        row: Message,
        mail: InboundMail,
        decision: Decision,
        noise: Noise | None,
        now: datetime,
    ) -> None:
        row.rule = decision.rule
        if decision.action is Action.COMPLAINT:
            self.register_complaint(session, row, mail, decision, now)
        elif decision.action is Action.REPLY and noise is None and mail.identity is None:
            # A From read out of a header without <...> is a guess: good for acknowledging a
            # complaint, never for advancing a step (InboundMail.identity).
            row.kind = "reply"
            reason = translate("ingest.reason.from_unverified", self.lang, address=escape(mail.from_addr))
            quarantine_message(session, row, code="from_unverified", reason=reason, now=now)
        elif decision.action is Action.REPLY and noise is None:
            row.kind = "reply"
            self.hooks.handle_reply(session, row, mail, now)
            if row.status == "received":
                row.status = "processed"
        elif decision.action is Action.QUARANTINE:
            row.kind = "rule"
            reason = decision.reason or translate("ingest.reason.rule", self.lang, rule=decision.rule)
            quarantine_message(session, row, code="rule", reason=reason, now=now)
        elif decision.action is Action.IGNORE or noise is not None:
            # machine mail that no rule accepted, or a rule said so: recorded, never answered
            row.kind = (
                "automated" if noise is not None and decision.action is not Action.IGNORE else "ignored"
            )
            row.status = "ignored"
            row.last_error = decision.reason or (noise.reason if noise else None)
        else:
            row.kind = "unmatched"
            reason = translate("ingest.reason.no_rule", self.lang)
            quarantine_message(session, row, code="no_rule", reason=reason, now=now)

    # --- complaints (also taken in by an admin: services/ingest/take_in) ---------------------

    def register_complaint(
        self, session: Session, row: Message, mail: InboundMail, decision: Decision, now: datetime
    ) -> Case:
        """`row` becomes a case (step 1, acknowledgement) and the engine starts step 2. Ignore rules
        that matched a mail looking like a complaint (a web form) are recorded with it."""
        settings = replace(decision.settings, fields=(*decision.settings.fields, *self.form_fields))
        case = self.registrar.register(session, message=row, mail=mail, rule=settings, now=now)
        row.kind, row.status, row.case_id = "complaint", "processed", case.id
        if decision.not_ignored:
            detail = {"rules": list(decision.not_ignored), "signal": decision.complaint_signal}
            audit(
                session,
                now,
                "system",
                "message_not_ignored",
                case_id=case.id,
                message_id=row.id,
                detail=detail,
            )
        self.hooks.case_registered(session, case, now)
        return case

    def complaint_decision(self, mail: InboundMail, mailbox: str) -> Decision:
        """The rules' settings for `mail` taken in as a complaint by an admin: ignore rules left out,
        read as written by a person, and a complaint whatever else the rules say."""
        signals = reply_signals(
            mail,
            reply_address=str(self.settings.tokens.reply_address),
            own_domains=self.own_domains,
            case_tag=self.case_tag,
        )
        rules = [rule for rule in self.rules if rule.action is not Action.IGNORE]
        decision = evaluate(rules, MailFacts.of(mail, mailbox, signals, automated=False))
        if decision.action is Action.COMPLAINT:
            return decision
        return replace(decision, action=Action.COMPLAINT, rule=TAKEN_IN, reason=None)

    def parse_stored(self, row: Message) -> InboundMail:
        """The stored raw mail of `row`, parsed again (its attachments are stored already)."""
        return parse_message(
            self.raw_store.read(row.raw_path), store=self.attachment_store, limits=self.limits
        )

    def _record_noise(self, session: Session, row: Message, noise: Noise, now: datetime) -> None:
        row.kind, row.status, row.last_error = noise.kind.value, "processed", noise.reason
        failed: list[int] = []
        if noise.kind is NoiseKind.BOUNCE and noise.bounced_message_ids:
            for outbox in session.execute(
                select(OutboxMail).where(OutboxMail.message_id.in_(noise.bounced_message_ids))
            ).scalars():
                outbox.status = "failed"
                outbox.last_error = f"bounced (message {row.id}): {noise.reason}"[:2000]
                failed.append(outbox.id)
        audit(
            session,
            now,
            row.from_addr or "?",
            f"message_{noise.kind.value}",
            message_id=row.id,
            detail={"reason": noise.reason, "outbox_failed": failed},
        )

    def earlier_mails(self, session: Session, rows: Sequence[Message]) -> EarlierMails:
        """The final rows that `rows` (one batch of one account) may repeat, in one query."""
        return EarlierMails(session, rows)

    def _duplicate_of(self, session: Session, row: Message) -> Message | None:
        """An earlier row of the same mail (same account, Message-ID and bytes), e.g. after a
        UIDVALIDITY change or a message copied back into the folder."""
        query = select(Message).where(
            Message.account == row.account,
            Message.sha256 == row.sha256,
            Message.id != row.id,
            Message.status.in_(FINAL),
        )
        if row.message_id is not None:
            query = query.where(Message.message_id == row.message_id)
        return session.execute(query.order_by(Message.id).limit(1)).scalar_one_or_none()

    def _attachments(self, session: Session, row: Message, mail: InboundMail, *, first_attempt: bool) -> None:
        if not mail.attachments:
            return
        if not first_attempt:  # only an attempt adds them: a row never attempted has none yet
            exists = session.execute(
                select(MessageAttachment.id).where(MessageAttachment.message_id == row.id).limit(1)
            ).first()
            if exists is not None:
                return
        for info in mail.attachments:
            session.add(
                MessageAttachment(
                    message_id=row.id,
                    position=info.position,
                    original_name=info.original_name,
                    content_type=info.content_type[:200],
                    stored_path=info.stored_path,
                    size=info.size,
                    sha256=info.sha256,
                    inline=info.inline,
                    refused_reason=info.refused_reason,
                    damaged=info.damaged,
                    defects=json.dumps(list(info.defects))[:2000] if info.defects else None,
                )
            )

    def _record_failure(
        self,
        item: Incoming,
        sha256: str,
        path: str,
        mail: InboundMail,
        exc: Exception | None,
        *,
        quarantine: bool,
        code: str | None = None,
        reason: str | None = None,
    ) -> Outcome:
        """Count the failed attempt in its own transaction; quarantine when it is time."""
        now = self.clock.now()
        code = code or (exc.code if isinstance(exc, QuarantineError) else "failed")
        reason = reason or f"{type(exc).__name__}: {exc}"
        with self.database.transaction() as session:
            row, fresh = self._claim(session, item, sha256, path, mail)
            if not fresh:
                return Outcome(row.id, row.status, row.kind, row.case_id, skipped=True)
            row.attempts += 1
            row.last_error = reason[:4000]
            if quarantine or row.attempts >= self.settings.limits.max_attempts:
                quarantine_message(session, row, code=code, reason=reason, now=now)
            return Outcome(row.id, row.status, row.kind, row.case_id)
