"""Plays the demo script on the real system: every mail goes over SMTP and IMAP, every step is
done by the same services `mailflow run` uses, and the clock moves only when the script says.

Between two scripted moments the runner ticks the reminder job at exactly the instants where a
reminder or an escalation falls due, so they go out on the right business minute."""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from mailflow.adapters.db.migrate import upgrade
from mailflow.adapters.db.models import (
    Case,
    Document,
    Message,
    OutboxMail,
    StepEvent,
)
from mailflow.adapters.imap import ImapConnection, ImapError
from mailflow.bootstrap import App
from mailflow.bootstrap.ingest import build_ingest, build_sender, pollers
from mailflow.bootstrap.watch import build_watcher
from mailflow.config.loader import load_config
from mailflow.demo import auto, people
from mailflow.demo.checks import DemoChecks
from mailflow.demo.mailserver import ImapServer, MailboxServer, Received, SmtpServer
from mailflow.demo.people import HARI_PENDEK
from mailflow.demo.photos import phone_photo
from mailflow.demo.pki import Pki, sign_pdf
from mailflow.demo.plain_pdf import docx_lines, text_pdf
from mailflow.demo.scenario import (
    ACTIONS,
    COMPLAINTS,
    Action,
    Answer,
    Citizen,
    Complaint,
    Sign,
)
from mailflow.demo.setup import (
    IMAP_PASSWORD,
    MAILBOX,
    DemoClock,
    libreoffice_available,
    start_of_demo,
    write_site,
)
from mailflow.domain.directory import Person
from mailflow.domain.durations import BusinessDuration, format_seconds
from mailflow.domain.periods import PeriodKind, period_containing
from mailflow.domain.sop import Step
from mailflow.errors import UsageError
from mailflow.i18n import translate
from mailflow.services.conversation.reminders import REMINDER_KINDS
from mailflow.services.ingest.poller import account_for
from mailflow.services.letters.conversion import ConversionService
from mailflow.services.reports.weekly_email import build_weekly_email, write_weekly_files

WITA = ZoneInfo("Asia/Makassar")
AUTO_CASES = ("A", "C")  # with another SOP: one complaint for one OPD, one for two
AUTO_MAX_ANSWERS = 200
Report = Callable[[datetime, str, str], None]  # (demo time, kind, text): the progress lines


@dataclass
class Outcome:
    """How the demo ended, for the summary and the exit code."""

    folder: Path
    numbers: dict[str, str] = field(default_factory=dict)  # scenario key -> case number
    problems: list[str] = field(default_factory=list)
    converted: bool = True
    weekly_files: dict[str, Path] = field(default_factory=dict)


class DemoRunner:
    """`imap` is the complaint mailbox's server: pymap by default; the tests pass Dovecot."""

    def __init__(
        self,
        folder: Path | None,
        *,
        lang: str = "id",
        report: Report | None = None,
        imap: MailboxServer | None = None,
        convert: bool | None = None,
        shift: timedelta = timedelta(0),
        sop: Path | None = None,
    ) -> None:
        """`shift` moves the whole script in time (whole weeks keep its weekdays); the tests play
        it in the past because Dovecot will not file a message under a date in the future."""
        self.folder = (folder or Path(tempfile.mkdtemp(prefix="mailflow-demo-"))).resolve()
        self.lang = lang
        self.report: Report = report or (lambda when, kind, text: None)
        self.shift = shift
        self.sop_file = sop  # another SOP: officials follow its declared steps (demo.auto)
        self.clock = DemoClock(start_of_demo() + shift)
        self.imap: MailboxServer = imap or ImapServer(MAILBOX, IMAP_PASSWORD, self.folder / "servers")
        self.convert = convert
        self.smtp: SmtpServer | None = None
        self.app: App | None = None
        self._imap_connection: ImapConnection | None = None
        self.cases: set[str] = set()
        self.outcome = Outcome(self.folder)

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> App:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.imap.start()
        self.smtp = SmtpServer(self.imap, self.clock, MAILBOX)
        self.smtp.start()
        self.pki = Pki.create(self.folder / "pki")
        self.outcome.converted = libreoffice_available() if self.convert is None else self.convert
        config = write_site(
            self.folder,
            imap_port=self.imap.port,
            imap_user=self.imap.user,
            imap_password=self.imap.password,
            smtp_port=self.smtp.port,
            root_pem=self.pki.root_pem,
            convert=self.outcome.converted,
            lang=self.lang,
            sop=self.sop_file,
        )
        app = App(settings=load_config(config, env={}), clock=self.clock)
        upgrade(app.database)
        self.app = app
        self.post = people.Post(self.smtp.port, WITA)
        self.ingest = build_ingest(app)
        self.poller = pollers(app, self.ingest)[0]
        self.sender = build_sender(app)
        self.conversion = ConversionService(app.database, app.settings, clock=self.clock)
        self.watcher = build_watcher(app)
        self.reminders = app.reminders
        self.followup = app.conversation.followup
        return app

    def stop(self) -> None:
        if self._imap_connection is not None:
            self._imap_connection.close()
            self._imap_connection = None
        if hasattr(self, "conversion"):
            self.conversion.close()
        if self.app is not None:
            self.app.close()
        if self.smtp is not None:
            self.smtp.stop()
        self.imap.stop()

    # --- the script ------------------------------------------------------------------------------

    def say(self, kind: str, text: str) -> None:
        self.report(self.clock.now(), kind, text)

    def play(self, cases: set[str] | None = None) -> Outcome:
        """Play the script (or only the complaints whose keys are in `cases`), then check. With
        another SOP file the officials follow its steps instead of the script (`play_auto`)."""
        assert self.app is not None
        if self.sop_file is not None:
            return self.play_auto(cases)
        known = {c.key for c in COMPLAINTS}
        if cases is not None and not cases <= known:
            unknown, choices = ", ".join(sorted(cases - known)), ", ".join(sorted(known))
            raise UsageError(self._t("demo.unknown_cases", unknown=unknown, choices=choices))
        self.cases = known if cases is None else cases
        events: list[tuple[datetime, Complaint | Action]] = [
            (_at(c.at) + self.shift, c) for c in COMPLAINTS if c.key in self.cases
        ]
        events += [(_at(a.at) + self.shift, a) for a in ACTIONS if a.case in self.cases]
        events.sort(key=lambda item: item[0])
        self.pump()
        for when, event in events:
            self.advance_to(when)
            if isinstance(event, Complaint):
                self.complain(event)
            elif isinstance(event, Answer):
                self.answer(event)
            elif isinstance(event, Citizen):
                self.citizen(event)
            else:
                self.sign(event)
            self.pump()
            self.tell_changes(event.key if isinstance(event, Complaint) else event.case)
        self.check()
        return self.outcome

    def play_auto(self, cases: set[str] | None = None) -> Outcome:
        """The complaints of the script (by default one for one OPD and one for two), answered by
        officials who follow whatever SOP the site runs (mailflow.demo.auto)."""
        assert self.app is not None
        known = {c.key for c in COMPLAINTS if c.expect == "closed" and not c.confidential}
        if cases is not None and not cases <= known:
            unknown, choices = ", ".join(sorted(cases - known)), ", ".join(sorted(known))
            raise UsageError(self._t("demo.unknown_cases", unknown=unknown, choices=choices))
        self.cases = set(AUTO_CASES) if cases is None else cases
        complaints = [c for c in COMPLAINTS if c.key in self.cases]
        self.pump()
        for _ in range(AUTO_MAX_ANSWERS):
            waiting = self._waiting_event()
            answer_at = None
            if waiting is not None:
                answer_at = self.app.calendar.add(waiting[3], auto.pace(self.app.sop.step(waiting[1])))
            if complaints and (answer_at is None or _at(complaints[0].at) + self.shift <= answer_at):
                complaint = complaints.pop(0)
                self.advance_to(_at(complaint.at) + self.shift)
                self.complain(complaint)
                self.tell_changes(complaint.key)
                continue
            if waiting is None or answer_at is None:
                break
            key, number, actor, _started, opd = waiting
            self.advance_to(answer_at)
            self.answer_auto(key, self.app.sop.step(number), actor, opd)
            self.pump()
            self.tell_changes(key)
        self.check()
        return self.outcome

    def _waiting_event(self) -> tuple[str, int, str, datetime, str | None] | None:
        """The earliest open step of the played cases that waits on a person."""
        assert self.app is not None
        numbers = {self.outcome.numbers[k]: k for k in self.cases if k in self.outcome.numbers}
        with self.app.database.reader() as session:
            rows = session.execute(
                select(StepEvent, Case.number)
                .join(Case, Case.id == StepEvent.case_id)
                .where(StepEvent.finished_at.is_(None), Case.number.in_(list(numbers)))
                .order_by(StepEvent.started_at, StepEvent.id)
            ).all()
        for event, number in rows:
            if not self.app.sop.step(event.step).by_system and event.actor_person:
                return numbers[number], event.step, event.actor_person, event.started_at, event.opd_code
        return None

    def answer_auto(self, key: str, step: Step, actor: str, opd: str | None) -> None:
        """`actor` answers the mail of `step` as the SOP says (demo.auto), or returns it signed."""
        assert self.app is not None
        person = self._person(actor)
        number = self.outcome.numbers[key]
        with self.app.database.reader() as session:
            suggested = session.execute(select(Case.suggested_opds).where(Case.number == number)).scalar_one()
        codes = tuple(c for c in (suggested or "").split(",") if c)
        reply = auto.answer_for(step, codes, opd, self.app.directory)
        mail = self._action_mail(key, step.number, person.email, opd)
        if reply.body is None:
            signed = sign_pdf(self._letter_pdf(mail), self.pki.person(person.name, person.email))
            name = f"{step.key}_{number}_{opd}_ttd.pdf"
            message = people.reply(
                mail, name=person.name, address=person.email, style="gmail", when=self.clock.now(), zone=WITA,
                body="Terlampir surat yang sudah saya tandatangani secara elektronik.",
                attachments=(people.Attachment(name, "application/pdf", signed),),
            )  # fmt: skip
            self.post.send(message)
            self.say("signed", f"{person.jabatan or person.name}: {self._t('demo.signed.mail')}")
            return
        message = people.reply(
            mail, name=person.name, address=person.email, body=reply.body, style="gmail",
            when=self.clock.now(), zone=WITA,
        )  # fmt: skip
        self.post.send(message)
        self.say("reply", f"{person.jabatan or person.name} (gmail): {reply.body.splitlines()[0][:70]}")

    def complain(self, complaint: Complaint) -> None:
        photos = [
            people.Attachment(name, "image/jpeg", self._photo(complaint, index))
            for index, name in enumerate(complaint.photos)
        ]
        if complaint.via == "form":
            message = people.web_form(
                name=complaint.name,
                address=complaint.address,
                phone=complaint.phone,
                to=MAILBOX,
                subject=complaint.subject,
                body=complaint.body,
                when=self.clock.now(),
                zone=WITA,
                attachments=photos,
            )
        else:
            message = people.complaint(
                name=complaint.name,
                address=complaint.address,
                to=MAILBOX,
                subject=complaint.subject,
                body=complaint.body,
                when=self.clock.now(),
                zone=WITA,
                attachments=photos,
            )
        self.post.send(message)
        self.pump()
        number = self._case_number(str(message["Subject"]))  # a form's carries its prefix
        self.outcome.numbers[complaint.key] = number
        self.say("complaint", f"{complaint.name} <{complaint.address}> → {number}: {complaint.subject}")

    @staticmethod
    def _photo(complaint: Complaint, index: int) -> bytes:
        """The complainant's phone photo, taken in Bontang (0°08' N, 117°30' E), EXIF and all."""
        return phone_photo(complaint.name, latitude=0.1337 + index / 1000, longitude=117.4983, seed=index)

    def answer(self, answer: Answer) -> None:
        person = self._person(answer.person)
        mail = self._action_mail(answer.case, answer.step, person.email)
        message = people.reply(
            mail,
            name=person.name,
            address=person.email,
            body=answer.body,
            style=answer.style,
            when=self.clock.now(),
            zone=WITA,
        )
        self.post.send(message)
        first_line = answer.body.splitlines()[0]
        self.say("reply", f"{person.jabatan or person.name} ({answer.style}): {first_line[:70]}")

    def citizen(self, citizen: Citizen) -> None:
        """The complainant answers the final answer or the follow-up question (a reply token)."""
        complaint = next(c for c in COMPLAINTS if c.key == citizen.case)
        mail = self._citizen_mail(citizen.case, complaint.address, citizen.to)
        message = people.reply(
            mail, name=complaint.name, address=complaint.address, body=citizen.body, style=citizen.style,
            when=self.clock.now(), zone=WITA,
        )  # fmt: skip
        self.post.send(message)
        self.say("citizen", f"{complaint.name} ({citizen.style}): {citizen.body.splitlines()[0][:70]}")

    def sign(self, sign: Sign) -> None:
        assert self.app is not None
        opd = self.app.directory.opd(sign.opd)
        head = self.app.directory.person(opd.kepala)
        mail = self._action_mail(sign.case, 8, head.email)
        signed = sign_pdf(self._letter_pdf(mail), self.pki.person(head.name, head.email))
        name = f"surat_tanggapan_{self.outcome.numbers[sign.case]}_{sign.opd}_ttd.pdf"
        if sign.via == "mail":
            message = people.reply(
                mail,
                name=head.name,
                address=head.email,
                style="gmail",
                when=self.clock.now(),
                zone=WITA,
                body="Terlampir surat tanggapan yang sudah saya tandatangani secara elektronik.",
                attachments=(people.Attachment(name, "application/pdf", signed),),
            )
            self.post.send(message)
            self.say("signed", f"{head.jabatan}: {self._t('demo.signed.mail')}")
            return
        returned = self.app.settings.paths.letters / "returned"
        returned.mkdir(parents=True, exist_ok=True)
        partial = returned / f"{name}.part"  # written whole, then renamed in: never read half-written
        partial.write_bytes(signed)
        partial.rename(returned / name)
        self.say("signed", f"{head.jabatan}: {self._t('demo.signed.folder', folder=returned)}")

    # --- moving the system and the clock -------------------------------------------------------------

    def pump(self, rounds: int = 20) -> None:
        """Let the system work until it is quiet: read the mailbox, convert, send, take files."""
        for _ in range(rounds):
            before = self._activity()
            self._poll()
            self.conversion.run_once()  # without LibreOffice: letters become pdf_failed, sent as DOCX
            self.sender.send_pass()
            self.watcher.run_once(settle=False)
            if self._activity() == before:
                return

    def _poll(self) -> None:
        """One pass over the complaint mailbox on a kept connection (a login costs pymap ~0.25 s)."""
        if self._imap_connection is None:
            self._imap_connection = ImapConnection.open(account_for(self.poller.mailbox))
        try:
            self.poller.sync(self._imap_connection)
        except ImapError:
            self._imap_connection.close()
            self._imap_connection = None
            self.poller.poll_once()

    def advance_to(self, when: datetime) -> None:
        """Move the clock to `when`, ticking the reminders at every instant one falls due."""
        assert self.app is not None
        while True:
            moments = [
                m
                for m in (
                    self._next_reminder(self.clock.now(), when),
                    self._next_followup(self.clock.now(), when),
                )
                if m is not None
            ]
            if not moments:
                break
            due = min(moments)
            self.clock.set(due)
            if self.reminders.run(self.app.database, due):
                self.tell_reminders(due)
            asked = self.followup.run(self.app.database, due)
            if asked:
                self.say("followup", self._t("demo.followup", count=asked))
            self.pump()
        self.clock.set(max(when, self.clock.now()))

    def _next_followup(self, after: datetime, until: datetime) -> datetime | None:
        """When the next follow-up question falls due ([satisfaction] followup_days after closing)."""
        assert self.app is not None
        section = self.app.settings.satisfaction
        if not section.enabled:
            return None
        with self.app.database.reader() as session:
            closed = session.execute(
                select(Case.closed_at).where(
                    Case.status == "closed", Case.followup_asked_at.is_(None), Case.closed_at.is_not(None)
                )
            ).scalars()
            moments = [
                self.app.calendar.add(c, BusinessDuration(days=section.followup_days)) for c in closed if c
            ]
        upcoming = [m for m in moments if after < m <= until]
        return min(upcoming) if upcoming else None

    def tell_changes(self, key: str) -> None:
        """What the last action did to its case: steps finished (and how long they took), started."""
        assert self.app is not None
        now, app = self.clock.now(), self.app
        number = self.outcome.numbers.get(key)
        with app.database.reader() as session:
            events = (
                session.execute(
                    select(StepEvent)
                    .join(Case, Case.id == StepEvent.case_id)
                    .where(
                        Case.number == number, (StepEvent.finished_at == now) | (StepEvent.started_at == now)
                    )
                    .order_by(StepEvent.id)
                )
                .scalars()
                .all()
            )
            status = session.execute(select(Case.status).where(Case.number == number)).scalar_one_or_none()
        for event in events:
            where = f" {event.opd_code}" if event.opd_code else ""
            if event.finished_at == now and event.outcome in ("done", "rejected"):
                taken = format_seconds(event.business_seconds or 0, self.lang)
                verdict = (
                    self._t("engine.cli.on_time")
                    if event.on_time
                    else self._t("engine.cli.late", late=format_seconds(event.late_seconds or 0, self.lang))
                )
                self.say(
                    "step",
                    self._t("demo.step.done", step=event.step, where=where, taken=taken, verdict=verdict),
                )
            if event.started_at == now and event.finished_at is None:
                actor = app.directory.person(event.actor_person) if event.actor_person else None
                who = (actor.jabatan or actor.name) if actor else event.actor_role
                local = event.due_at.astimezone(app.zone)
                due = f"{HARI_PENDEK[local.weekday()]} {local:%d/%m %H.%M}"
                self.say("step", self._t("demo.step.started", step=event.step, where=where, who=who, due=due))
        if status in ("closed", "rejected"):
            self.say(
                "step",
                self._t("demo.case.end", number=number, status=self._t(f"engine.case.status.{status}")),
            )

    def tell_reminders(self, when: datetime) -> None:
        assert self.app is not None
        with self.app.database.reader() as session:
            mails = (
                session.execute(
                    select(OutboxMail).where(
                        OutboxMail.created_at == when, OutboxMail.kind.in_(REMINDER_KINDS)
                    )
                )
                .scalars()
                .all()
            )
            for mail in mails:
                person = self.app.directory.person_by_email(mail.to_addr)
                who = (person.jabatan or person.name) if person else mail.to_addr
                kind = "escalation" if mail.kind == "escalation" else "reminder"
                self.say(kind, f"{who}: {mail.subject}")

    def _t(self, key: str, **values: object) -> str:
        return translate(key, self.lang, **values)

    def _next_reminder(self, after: datetime, until: datetime) -> datetime | None:
        assert self.app is not None
        calendar, sop = self.app.calendar, self.app.sop
        fractions = self.app.settings.reminders.at_fractions
        candidates: list[datetime] = []
        with self.app.database.reader() as session:
            rows = session.execute(
                select(StepEvent)
                .join(Case, Case.id == StepEvent.case_id)
                .where(StepEvent.finished_at.is_(None), Case.status == "open")
            ).scalars()
            for event in rows:
                if sop.step(event.step).by_system:
                    continue
                total = calendar.business_seconds(event.started_at, event.due_at)
                for index, fraction in enumerate(fractions):
                    if event.reminders_sent & (1 << index):
                        continue
                    minutes = math.ceil(total * fraction / 60)
                    candidates.append(calendar.add(event.started_at, BusinessDuration(minutes=minutes)))
                if event.escalated_at is None:
                    candidates.append(event.due_at)
        upcoming = []
        for instant in candidates:
            moment = calendar.next_working_instant(instant)
            if after < moment <= until:
                upcoming.append(moment)
        return min(upcoming) if upcoming else None

    def _activity(self) -> tuple[int, int, int, int]:
        assert self.app is not None
        with self.app.database.reader() as session:
            messages = len(session.execute(select(Message.id)).all())
            sent = len(session.execute(select(OutboxMail.id).where(OutboxMail.status == "sent")).all())
            documents = len(session.execute(select(Document.id).where(Document.status != "generated")).all())
            queued = len(session.execute(select(OutboxMail.id)).all())
        return messages, sent, documents, queued

    # --- finding things ----------------------------------------------------------------------------

    def _person(self, person_id: str) -> Person:
        assert self.app is not None
        return self.app.directory.person(person_id)

    def _case_number(self, subject: str) -> str:
        assert self.app is not None
        with self.app.database.reader() as session:
            number = (
                session.execute(select(Case.number).where(Case.subject == subject).order_by(Case.id.desc()))
                .scalars()
                .first()
            )
        if number is None:
            raise RuntimeError(f"the complaint {subject!r} was not registered")
        return number

    def _action_mail(self, key: str, step: int, address: str, opd: str | None = None) -> Received:
        assert self.smtp is not None
        number = self.outcome.numbers[key]
        for received in reversed(self.smtp.inbox(address)):
            message = received.message
            same_step = message["X-Mailflow-Case"] == number and message["X-Mailflow-Step"] == str(step)
            if same_step and (opd is None or message["X-Mailflow-OPD"] == opd):
                return received
        raise RuntimeError(f"{address} has no mail for step {step} of {number}")

    def _citizen_mail(self, key: str, address: str, kind: str) -> Received:
        """The newest mail to the complainant of case `key` that asked them something: the final
        answer (with the satisfaction links) or the follow-up question."""
        assert self.smtp is not None
        number = self.outcome.numbers[key]
        subject_key = "engine.subject.answer" if kind == "answer" else "branches.subject.followup"
        language = next(c.language for c in COMPLAINTS if c.key == key)
        wanted = translate(subject_key, language)  # they are written to in their language
        for received in reversed(self.smtp.inbox(address)):
            subject = str(received.message["Subject"] or "")
            if number in subject and wanted in subject:
                return received
        raise RuntimeError(f"{address} has no {kind} mail for {number}")

    def _letter_pdf(self, mail: Received) -> bytes:
        """The PDF the head received; without LibreOffice a plain rendition of the DOCX."""
        docx = None
        for part in mail.message.iter_attachments():
            name = part.get_filename() or ""
            if name.endswith(".pdf"):
                return bytes(part.get_payload(decode=True) or b"")
            if name.endswith(".docx"):
                docx = bytes(part.get_payload(decode=True) or b"")
        if docx is None:
            raise RuntimeError("the mail for step 8 carries no letter")
        scratch = self.folder / "servers" / "draft.docx"
        scratch.write_bytes(docx)
        return text_pdf(docx_lines(scratch))

    # --- the end ---------------------------------------------------------------------------------------

    def check(self) -> None:
        """Every case reached its expected state (and a rahasia identity never left Diskominfo)."""
        assert self.app is not None and self.smtp is not None
        if self.sop_file is not None and not self.outcome.numbers:
            self.outcome.problems.append("no complaint was registered")
        checks = DemoChecks(self.app, self.smtp, self.folder / "servers", scripted=self.sop_file is None)
        self.outcome.problems.extend(checks.run(self.outcome.numbers, self.cases))

    def weekly_email(self) -> dict[str, Path]:
        """The week's compliance email as the admins get it: .eml, .html and the chart .png."""
        assert self.app is not None
        ctx = self.app.report_context(now=self.clock.now())
        first_week = (start_of_demo() + self.shift).astimezone(WITA).date()
        period = period_containing(PeriodKind.WEEKLY, first_week)
        email = build_weekly_email(ctx, period, out_dir=self.folder / "laporan" / "mingguan")
        files = write_weekly_files(
            email,
            self.folder / "laporan" / "mingguan",
            from_addr=MAILBOX,
            from_name=self.app.settings.smtp.from_name,
            to_addr="admin.lapor@bontangkota.go.id",
            now=self.clock.now(),
        )
        self.outcome.weekly_files = files
        return files


def _at(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=WITA)
