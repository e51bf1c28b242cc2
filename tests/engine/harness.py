"""Drive the conversation engine in-process: a case as registration leaves it, replies as
officials write them (quoted history included), and the mails the engine queued."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.models import Case, Complainant, Message, MessageAttachment, OutboxMail, StepEvent
from mailflow.adapters.docx_text import docx_text
from mailflow.adapters.mail_templates import MailTemplates
from mailflow.bootstrap import build_calendar
from mailflow.bootstrap.conversation import Conversation, build_conversation
from mailflow.clock import ManualClock
from mailflow.config.directory_file import load_directory
from mailflow.config.loader import load_config
from mailflow.config.model import Settings
from mailflow.config.sop_file import load_sop
from mailflow.domain.calendar import BusinessCalendar
from mailflow.domain.directory import Directory
from mailflow.domain.inbound import AttachmentInfo, InboundMail
from mailflow.services.conversation.engine import Engine
from mailflow.services.conversation.replies import ReplyOutcome, ReplyProcessor
from mailflow.services.conversation.step_letters import LetterMaker
from mailflow.services.operations.starter import write_starter

_uid = itertools.count(1)


@dataclass
class Harness:
    database: Database
    conversation: Conversation
    clock: ManualClock
    base: Path
    sent_seen: set[int] = field(default_factory=set)

    @property
    def engine(self) -> Engine:
        return self.conversation.engine

    @property
    def replies(self) -> ReplyProcessor:
        return self.conversation.replies

    @property
    def settings(self) -> Settings:
        return self.conversation.mails.settings

    @property
    def directory(self) -> Directory:
        return self.conversation.mails.directory

    @property
    def calendar(self) -> BusinessCalendar:
        return self.conversation.mails.calendar

    def use_letters(self, maker: LetterMaker | None) -> None:
        """Make (or stop making) real letters from now on."""
        self.conversation.letters.maker = maker

    @property
    def now(self) -> datetime:
        return self.clock.now()

    def register(
        self,
        subject: str = "Lampu jalan mati di Jl. Ahmad Yani",
        body: str = "Lampu jalan mati di Jl. Ahmad Yani, Kelurahan Api-Api, sejak 3 malam.",
        *,
        name: str | None = "Siti Rahma",
        email: str | None = "siti.rahma@gmail.com",
        phone: str | None = "0812-3456-7890",
        confidentiality: str = "biasa",
        suggested: str | None = "DISHUB",
        category: str | None = "Penerangan jalan",
        attachments: tuple[AttachmentInfo, ...] = (),
    ) -> str:
        """A case as step 1 leaves it (registration is the ingest's job), then the engine's hook.
        `attachments`: the complaint mail's files, stored as ingest stores them."""
        now = self.now
        with self.database.transaction() as session:
            number = f"LPR-2026-{next(_uid):05d}"
            source = self._message(session, f"<aduan{next(_uid)}@mail.gmail.com>", email, number, "complaint")
            _store_attachments(session, source, attachments)
            complainant = Complainant(
                name=name, email=email, phone=phone, confidentiality=confidentiality, created_at=now
            )
            case = Case(
                number=number,
                subject=subject,
                summary=body,
                body=body,
                category=category,
                suggested_opds=suggested,
                confidentiality=confidentiality,
                received_at=now,
                created_at=now,
                updated_at=now,
                complainant=complainant,
                current_step=1,
                source_message_id=source.id,
            )
            session.add(case)
            session.flush()
            session.add(
                StepEvent(
                    case_id=case.id,
                    step=1,
                    actor_role="ADMIN",
                    actor_person="admin_lapor",
                    started_at=now,
                    due_at=now + timedelta(hours=1),
                    finished_at=now,
                    outcome="done",
                    finished_by="system",
                    command="system",
                    business_seconds=0,
                    late_seconds=0,
                    on_time=True,
                    reminders_sent=0,
                )
            )
            self.engine.case_registered(session, case, now)
        return number

    def mails(self, to: str | None = None, kind: str | None = None, *, new: bool = True) -> list[OutboxMail]:
        """Outbox mails (only those not returned before, when `new`)."""
        with self.database.reader() as session:
            query = select(OutboxMail).order_by(OutboxMail.id)
            if to:
                query = query.where(OutboxMail.to_addr == to.lower())
            rows = [r for r in session.execute(query).scalars() if kind is None or r.kind.startswith(kind)]
            for row in rows:
                session.expunge(row)
        if new:
            rows = [r for r in rows if r.id not in self.sent_seen]
        self.sent_seen.update(r.id for r in rows)
        return rows

    def reply(
        self,
        mail: OutboxMail,
        body: str,
        *,
        sender: str | None = None,
        via: str = "address",
        html: str | None = None,
        attachments: tuple[AttachmentInfo, ...] = (),
        auth_results: tuple[str, ...] = (),
        advance: timedelta = timedelta(minutes=10),
    ) -> ReplyOutcome:
        """`sender` (default: the mail's recipient) replies to `mail` the way Gmail does."""
        self.clock.advance(advance)
        quoted = "\n".join("> " + line for line in mail.text_body.splitlines())
        text = (
            f"{body}\n\nPada tanggal Sen, 30 Nov 2026 pukul 08.40 LAPOR Bontang <lapor@diskominfo.bontangkota.go.id>\n"
            f"menulis:\n{quoted}\n"
        )
        to = (
            (mail.reply_to,)
            if via == "address" and mail.reply_to
            else ("lapor@diskominfo.bontangkota.go.id",)
        )
        inbound = InboundMail(
            message_id=f"<reply{next(_uid)}@mail.gmail.com>",
            subject=f"Re: {mail.subject}",
            from_addr=(sender or mail.to_addr).lower(),
            from_name=None,
            to=to,
            in_reply_to=(mail.message_id,) if via in ("address", "thread") else (),
            text=text if html is None else "",
            html=html,
            content_type="text/plain" if html is None else "text/html",
            attachments=attachments,
            authentication_results=auth_results,
        )
        return self.deliver(inbound)

    def deliver(self, inbound: InboundMail) -> ReplyOutcome:
        now = self.now
        with self.database.transaction() as session:
            row = self._message(session, inbound.message_id, inbound.from_addr, inbound.subject, "reply")
            _store_attachments(session, row, inbound.attachments)
            outcome = self.replies.handle(session, row, inbound, now)
        self.check_current_steps()
        return outcome

    def check_current_steps(self) -> None:
        """Every open case's current_step is its lowest open step, and a closed case has none: the
        engine derives it from the events it holds instead of reading them again, so the harness
        checks it against the database after every reply."""
        with self.database.reader() as session:
            cases = session.execute(select(Case.id, Case.status, Case.current_step)).all()
            query = (
                select(StepEvent.case_id, func.min(StepEvent.step))
                .where(StepEvent.finished_at.is_(None))
                .group_by(StepEvent.case_id)
            )
            lowest: dict[int, int] = dict(session.execute(query).all())
        for case_id, status, current in cases:
            expected = lowest.get(case_id) if status == "open" else None
            assert current == expected, (case_id, status, current, expected)

    def _message(
        self, session: Session, message_id: str, sender: str | None, subject: str, kind: str
    ) -> Message:
        row = Message(
            account="diskominfo",
            folder="INBOX",
            uidvalidity=1,
            uid=next(_uid),
            message_id=message_id,
            sha256=f"{next(_uid):064d}",
            raw_path="-",
            size=1,
            from_addr=sender,
            subject=subject,
            received_at=self.now,
            kind=kind,
            status="received",
        )
        session.add(row)
        session.flush()
        return row

    def case(self, number: str) -> Case:
        with self.database.reader() as session:
            case = session.execute(select(Case).where(Case.number == number)).scalar_one()
            session.expunge(case)
            return case

    def events(self, number: str) -> list[StepEvent]:
        with self.database.reader() as session:
            case = session.execute(select(Case).where(Case.number == number)).scalar_one()
            rows = list(
                session.execute(
                    select(StepEvent).where(StepEvent.case_id == case.id).order_by(StepEvent.id)
                ).scalars()
            )
            for row in rows:
                session.expunge(row)
            return rows


def _store_attachments(session: Session, message: Message, attachments: tuple[AttachmentInfo, ...]) -> None:
    """The message's files as ingest stores them (services/ingest/service: message_attachments)."""
    for info in attachments:
        session.add(
            MessageAttachment(
                message_id=message.id,
                position=info.position,
                original_name=info.original_name,
                content_type=info.content_type,
                stored_path=info.stored_path,
                size=info.size,
                sha256=info.sha256,
                inline=info.inline,
                refused_reason=info.refused_reason,
                damaged=info.damaged,
            )
        )
    session.flush()


def make_harness(
    database: Database,
    tmp: Path,
    start: datetime,
    letters: LetterMaker | None = None,
    edit: dict[str, str] | None = None,
) -> Harness:
    site = tmp / "site"
    write_starter(site)
    config = site / "mailflow.toml"
    text = config.read_text(encoding="utf-8")
    for old, new in (edit or {}).items():
        assert old in text, old
        text = text.replace(old, new)
    config.write_text(text, encoding="utf-8")
    settings = load_config(config, env={})
    directory = load_directory(settings.paths.directory)
    calendar = build_calendar(settings)
    sop = load_sop(settings.paths.sop)
    conversation = build_conversation(
        settings=settings,
        sop=sop,
        calendar=calendar,
        directory=directory,
        templates=MailTemplates.for_folder(settings.paths.templates),
        letters=letters,
        docx_reader=docx_text,
    )
    return Harness(database, conversation, ManualClock(start), site)


def parse_raw(raw: bytes):  # type: ignore[no-untyped-def]
    return message_from_bytes(raw, policy=policy.default)
