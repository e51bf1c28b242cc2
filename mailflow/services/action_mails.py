"""The mails the conversation engine sends: one action mail per actor and step, explanations,
status and help answers, reminders, escalations, and the complainant's notices.

Every builder returns an OutgoingMail; the engine queues it in the transaction of the state
change. OPD-facing mails of a confidential complaint are built from a redacted case view.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import quote

from mailflow.domain.calendar import BusinessCalendar, format_local
from mailflow.domain.commands import Verb
from mailflow.domain.directory import Directory, Person
from mailflow.domain.mail import AttachmentRef, OutgoingMail
from mailflow.domain.sop import Sop, Track
from mailflow.i18n import translate


class MailRenderer(Protocol):
    def render_mail(self, name: str, lang: str, context: Mapping[str, Any]) -> tuple[str, str | None]: ...


@dataclass(frozen=True)
class CaseView:
    """What a mail may show of a case; for OPD recipients of a confidential case it is redacted."""

    case_id: int
    number: str
    title: str
    summary: str
    received: datetime
    category: str | None
    complainant: str | None  # None when the recipient may not see it
    track: Track
    suggested_opds: tuple[str, ...]


@dataclass(frozen=True)
class CommandLine:
    label: str
    desc: str
    mailto: str | None


class MailComposer:
    def __init__(
        self,
        *,
        renderer: MailRenderer,
        sop: Sop,
        calendar: BusinessCalendar,
        directory: Directory,
        instance_name: str,
        zone_label: str,
        default_lang: str,
    ) -> None:
        self.renderer = renderer
        self.sop = sop
        self.calendar = calendar
        self.directory = directory
        self.instance_name = instance_name
        self.zone_label = zone_label
        self.default_lang = default_lang

    def lang_for(self, person: Person | None) -> str:
        return (person.language if person and person.language else None) or self.default_lang

    def when(self, instant: datetime, lang: str) -> str:
        return format_local(instant, self.calendar.zone, lang, self.zone_label)

    def subject(self, view: CaseView, key: str, lang: str, **values: Any) -> str:
        return f"[{view.number}] " + translate(key, lang, title=_short(view.title), **values)

    # --- commands ----------------------------------------------------------------------------

    def commands(
        self,
        step: int,
        verbs: Sequence[Verb],
        lang: str,
        reply_address: str,
        subject: str,
        view: CaseView,
        bidang_codes: Sequence[str] = (),
    ) -> list[CommandLine]:
        opds = ", ".join(view.suggested_opds) or "-"
        lines = []
        for verb in verbs:
            key = verb.value
            if verb is Verb.KHUSUS and step == 7:
                key = "KHUSUS7"
            desc_key = f"engine.cmd.{key}.desc"
            if step == 10 and verb in (Verb.SETUJU, Verb.TERUSKAN):
                desc_key = f"engine.cmd.{key}.desc10"
            label = translate(f"engine.cmd.{key}", lang)
            mailto = _mailto(reply_address, subject, _prefill(verb, step, bidang_codes))
            lines.append(
                CommandLine(
                    label, translate(desc_key, lang, opds=opds, bidang=", ".join(bidang_codes)), mailto
                )
            )
        if step == 8:
            lines.insert(
                0,
                CommandLine(translate("engine.cmd.PDF", lang), translate("engine.cmd.PDF.desc", lang), None),
            )
        return lines

    # --- the mails ------------------------------------------------------------------------------

    def action(
        self,
        *,
        view: CaseView,
        step: int,
        person: Person,
        reply_address: str,
        message_id_prefix: str,
        ask_values: Mapping[str, str],
        due: datetime,
        verbs: Sequence[Verb],
        attachments: Sequence[AttachmentRef],
        attachment_names: Sequence[str],
        extra_lines: Sequence[str] = (),
        bidang_codes: Sequence[str] = (),
        dedup_key: str | None = None,
        step_event_id: int | None = None,
        cc: Sequence[str] = (),
    ) -> OutgoingMail:
        lang = self.lang_for(person)
        definition = self.sop.step(step)
        subject = self.subject(view, f"engine.subject.{step}", lang)
        context = {
            "recipient": person.jabatan or person.name,
            "ask": translate(f"engine.ask.{step}", lang, **ask_values),
            "case": self._case_context(view, lang),
            "step": {"number": step, "name": definition.name.get(lang)},
            "deadline": self.when(due, lang),
            "limit": definition.limit_for(view.track).format(lang),
            "documents": list(attachment_names),
            "commands": self.commands(step, verbs, lang, reply_address, subject, view, bidang_codes),
            "extra_lines": list(extra_lines),
            "instance_name": self.instance_name,
        }
        text, html = self.renderer.render_mail("action", lang, context)
        return OutgoingMail(
            kind=f"action.{step}",
            to_addr=person.email,
            to_name=person.name,
            cc=tuple(cc),
            subject=subject,
            text=text,
            html=html,
            reply_to=reply_address,
            attachments=tuple(attachments),
            case_id=view.case_id,
            step_event_id=step_event_id,
            dedup_key=dedup_key,
            language=lang,
            message_id_prefix=message_id_prefix,
            headers={"X-Mailflow-Case": view.number, "X-Mailflow-Step": str(step)},
        )

    def notice(
        self,
        *,
        kind: str,
        to_addr: str,
        to_name: str | None,
        recipient: str,
        subject: str,
        paragraphs: Sequence[str],
        lang: str,
        items: Sequence[str] = (),
        commands: Sequence[CommandLine] = (),
        case_id: int | None = None,
        dedup_key: str | None = None,
        reply_to: str | None = None,
        message_id_prefix: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> OutgoingMail:
        context = {
            "recipient": recipient,
            "subject": subject,
            "paragraphs": list(paragraphs),
            "items": list(items),
            "commands": list(commands),
            "commands_intro": translate("engine.explain.allowed", lang),
            "instance_name": self.instance_name,
        }
        text, html = self.renderer.render_mail("notice", lang, context)
        return OutgoingMail(
            kind=kind,
            to_addr=to_addr,
            to_name=to_name,
            subject=subject,
            text=text,
            html=html,
            case_id=case_id,
            dedup_key=dedup_key,
            language=lang,
            reply_to=reply_to,
            message_id_prefix=message_id_prefix,
            headers=dict(headers or {}),
        )

    def complainant(
        self,
        *,
        template: str,
        view: CaseView,
        to_addr: str,
        name: str | None,
        lang: str,
        subject_key: str,
        values: Mapping[str, Any],
        attachments: Sequence[AttachmentRef] = (),
        dedup_key: str,
    ) -> OutgoingMail:
        recipient = name or ("Bapak/Ibu Pelapor" if lang == "id" else "complainant")
        context = {
            "recipient": recipient,
            "case": self._case_context(view, lang),
            "instance_name": self.instance_name,
            **values,
        }
        text, html = self.renderer.render_mail(template, lang, context)
        return OutgoingMail(
            kind=template,
            to_addr=to_addr,
            to_name=name,
            subject=f"[{view.number}] " + translate(subject_key, lang),
            text=text,
            html=html,
            attachments=tuple(attachments),
            case_id=view.case_id,
            dedup_key=dedup_key,
            language=lang,
        )

    def _case_context(self, view: CaseView, lang: str) -> dict[str, Any]:
        return {
            "number": view.number,
            "title": view.title,
            "summary": view.summary,
            "received": self.when(view.received, lang),
            "category": view.category,
            "complainant": view.complainant,
            "track_special": view.track is Track.SPECIAL,
        }


def _short(title: str, limit: int = 70) -> str:
    title = " ".join(title.split())
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"


def _prefill(verb: Verb, step: int, bidang_codes: Sequence[str]) -> str:
    """The body a one-click reply starts with (a trailing space invites the rest of the command)."""
    if verb is Verb.KHUSUS:
        return "KHUSUS" if step == 4 else "KHUSUS "
    if verb is Verb.TOLAK:
        return "TOLAK "
    if verb is Verb.TERUSKAN:
        return "TERUSKAN " if step == 4 else "TERUSKAN"
    if verb is Verb.DISPOSISI:
        return f"DISPOSISI {bidang_codes[0]}: " if bidang_codes else "DISPOSISI "
    if verb is Verb.TANGGAPAN:
        return "TANGGAPAN\n"
    return verb.value


def _mailto(address: str, subject: str, body: str) -> str:
    return f"mailto:{address}?subject={quote('Re: ' + subject)}&body={quote(body)}"
