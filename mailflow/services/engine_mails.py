"""The engine's mails: the action mail of each step (with its reply token), the complainant's
notices and confirmations, built from a case view that is redacted for OPD recipients."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailflow.adapters.db.models import Case, CaseRoute, Complainant, StepEvent
from mailflow.domain.directory import Person
from mailflow.domain.documents import Audience, DocumentKind
from mailflow.domain.mail import AttachmentRef, OutgoingMail
from mailflow.domain.redaction import Identity, must_redact, redact
from mailflow.domain.sop import Role, Track
from mailflow.domain.tokens import issue, reply_address
from mailflow.domain.workflow import (
    Transition,
    allowed_commands,
)
from mailflow.i18n import translate
from mailflow.services import outbox
from mailflow.services.action_mails import CaseView
from mailflow.services.engine_letters import EngineLetters
from mailflow.services.engine_state import SUMMARY_LIMIT, Act, open_events


class EngineMails(EngineLetters):
    def case_view(self, session: Session, case: Case, audience: Audience, lang: str) -> CaseView:
        complainant = session.get(Complainant, case.complainant_id) if case.complainant_id else None
        identity = Identity(
            name=complainant.name if complainant else None,
            email=complainant.email if complainant else None,
            phone=complainant.phone if complainant else None,
            address=complainant.address if complainant else None,
        )
        summary = (case.summary or case.body or "").strip()
        if len(summary) > SUMMARY_LIMIT:
            summary = summary[:SUMMARY_LIMIT].rstrip() + " …"
        title = case.subject or case.number
        shown: str | None = None
        if audience is Audience.OPD and must_redact(case.confidentiality, audience):
            summary, title = redact(summary, identity), redact(title, identity)
        elif audience is Audience.INTERNAL and complainant is not None:
            shown = _complainant_line(complainant, lang)
        return CaseView(
            case_id=case.id,
            number=case.number,
            title=title,
            summary=summary,
            received=case.received_at,
            category=case.category,
            complainant=shown,
            track=Track(case.track),
            suggested_opds=tuple(o for o in (case.suggested_opds or "").split(",") if o),
        )

    def _send_action(
        self,
        session: Session,
        case: Case,
        event: StepEvent,
        route: CaseRoute | None,
        person: Person,
        attachments: Sequence[AttachmentRef],
        names: Sequence[str],
        now: datetime,
    ) -> None:
        lang = self.composer.lang_for(person)
        audience = Audience.OPD if Role(event.actor_role).is_opd_role else Audience.INTERNAL
        view = self.case_view(session, case, audience, lang)
        token = self.token_for(event, person, now)
        address = reply_address(self.settings.tokens.reply_address, token)
        opd = self.directory.opd(route.opd_code) if route else None
        bidang_codes = [b.code for b in opd.bidang] if opd and event.step == 6 else []
        cc = []
        if event.step == 8 and opd is not None:
            cc = [self.directory.person(opd.sekretaris).email]
        mail = self.composer.action(
            view=view,
            step=event.step,
            person=person,
            reply_address=address,
            message_id_prefix=token,
            ask_values=self._ask_values(session, case, route, lang),
            due=event.due_at,
            verbs=allowed_commands(event.step),
            attachments=attachments,
            attachment_names=names,
            extra_lines=self._extra_lines(case, event.step, lang),
            bidang_codes=bidang_codes,
            dedup_key=f"action:{event.id}:{person.id}",
            step_event_id=event.id,
            cc=cc,
        )
        self.queue(session, mail, now)

    def token_for(self, event: StepEvent, person: Person, now: datetime) -> str:
        return issue(
            self.settings.token_secret,
            case_id=event.case_id,
            step=event.step,
            route_key=event.route_key,
            actor=person.id,
            now=now,
            valid_days=self.settings.tokens.validity_days,
            attempt=event.attempt,
        )

    def _ask_values(self, session: Session, case: Case, route: CaseRoute | None, lang: str) -> dict[str, str]:
        routes = list(session.execute(select(CaseRoute).where(CaseRoute.case_id == case.id)).scalars())
        suggested = [c for c in (case.suggested_opds or "").split(",") if c]
        values = {
            "opds": ", ".join(self._opd_name(c) for c in (suggested or [r.opd_code for r in routes])) or "-",
            "opd": self._opd_name(route.opd_code) if route else "-",
            "bidang": "-",
            "arahan": route.instruction or "-" if route else "-",
        }
        if route is not None and route.bidang_code:
            bidang = self.directory.opd(route.opd_code).find_bidang(route.bidang_code)
            values["bidang"] = bidang.name if bidang else route.bidang_code
        if routes:
            values["opds"] = ", ".join(self._opd_name(r.opd_code) for r in routes if r.status != "cancelled")
        return values

    def _extra_lines(self, case: Case, step: int, lang: str) -> list[str]:
        if step == 2 and case.suggested_opds:
            names = ", ".join(f"{c} ({self._opd_name(c)})" for c in case.suggested_opds.split(",") if c)
            return [
                (
                    "Usulan OPD dari aturan kotak masuk: "
                    if lang == "id"
                    else "Department proposed by the inbox rules: "
                )
                + names
            ]
        return []

    def _opd_name(self, code: str) -> str:
        opd = self.directory.find_opd(code)
        return opd.name if opd else code

    def _notify_complainant(
        self, session: Session, case: Case, transition: Transition, now: datetime
    ) -> None:
        complainant = session.get(Complainant, case.complainant_id) if case.complainant_id else None
        if complainant is None or not complainant.email or complainant.confidentiality == "anonim":
            return
        lang = case.language or self.settings.general.language
        view = self.case_view(session, case, Audience.PUBLIC, lang)
        if transition.notify_complainant == "rejected":
            mail = self.composer.complainant(
                template="complainant_rejected",
                view=view,
                to_addr=complainant.email,
                name=complainant.name,
                lang=lang,
                subject_key="engine.subject.rejected",
                values={"reason": transition.close_reason},
                dedup_key=f"complainant:rejected:{case.id}",
            )
        else:
            refs, _ = self._attachments(session, case, None, (DocumentKind.SIGNED_RESPONSE,))
            routes = session.execute(select(CaseRoute).where(CaseRoute.case_id == case.id)).scalars()
            opds = ", ".join(self._opd_name(r.opd_code) for r in routes if r.status != "cancelled")
            mail = self.composer.complainant(
                template="complainant_answer",
                view=view,
                to_addr=complainant.email,
                name=complainant.name,
                lang=lang,
                subject_key="engine.subject.answer",
                values={"text": transition.answer_text, "opds": opds},
                attachments=refs,
                dedup_key=f"complainant:answer:{case.id}",
            )
        self.queue(session, mail, now)

    def _confirm(self, session: Session, case: Case, kind: str, act: Act, now: datetime) -> None:
        person = self.directory.person_by_email(act.by)
        lang = self.composer.lang_for(person)
        view = self.case_view(session, case, Audience.OPD, lang)
        due = min((e.due_at for e in open_events(session, case) if e.step == 7), default=None)
        text = translate(
            f"engine.confirm.{kind}",
            lang,
            number=case.number,
            due=self.composer.when(due, lang) if due else "-",
        )
        mail = self.composer.notice(
            kind=f"confirm.{kind}",
            to_addr=act.by,
            to_name=person.name if person else None,
            recipient=(person.jabatan or person.name) if person else act.by,
            subject=self.composer.subject(view, "engine.subject.confirm", lang),
            paragraphs=[text],
            lang=lang,
            case_id=case.id,
            dedup_key=f"confirm:{kind}:{case.id}:{act.message_id}",
        )
        self.queue(session, mail, now)

    def queue(self, session: Session, mail: OutgoingMail, now: datetime) -> None:
        outbox.queue(session, mail, now=now, domain=self.mail_domain)


def _complainant_line(complainant: Complainant, lang: str) -> str:
    if complainant.confidentiality == "anonim":
        return "(anonim)" if lang == "id" else "(anonymous)"
    parts = [p for p in (complainant.name, complainant.email, complainant.phone) if p]
    line = ", ".join(parts) or "-"
    if complainant.confidentiality == "rahasia":
        line += " (rahasia: hanya untuk Diskominfo)" if lang == "id" else " (confidential: Diskominfo only)"
    return line
