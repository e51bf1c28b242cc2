"""The mails the conversation engine sends: one action mail per actor and step, explanations,
status and help answers, reminders, escalations, and the complainant's notices.

Every builder returns an OutgoingMail; the engine queues it in the transaction of the state
change. OPD-facing mails of a confidential complaint are built from a redacted case view.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import quote

from mailflow.domain.calendar import BusinessCalendar, format_local
from mailflow.domain.commands import Verb
from mailflow.domain.directory import Directory, Person
from mailflow.domain.mail import AttachmentRef, OutgoingMail
from mailflow.domain.sop import ALWAYS, ArgKind, CommandRule, ComplainantRule, Need, Notify, Sop, Step, Track
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
        step: Step,
        lang: str,
        reply_address: str,
        subject: str,
        view: CaseView,
        bidang_codes: Sequence[str] = (),
    ) -> list[CommandLine]:
        """The step's declared commands, then STATUS and BANTUAN, each with what it does and a
        one-click reply; a signature step first says to attach the signed PDF."""
        values = {"opds": ", ".join(view.suggested_opds) or "-", "bidang": ", ".join(bidang_codes) or "-"}
        lines = []
        if step.waits_for_signature:
            lines.append(
                CommandLine(translate("engine.cmd.PDF", lang), translate("engine.cmd.PDF.desc", lang), None)
            )
        for rule in step.commands:
            desc = _fill(rule.desc.get(lang), values) if rule.desc else ""
            prefill = _prefill(rule.verb, rule.args, rule.need, bidang_codes)
            lines.append(
                CommandLine(command_label(rule, lang), desc, _mailto(reply_address, subject, prefill))
            )
        for verb in ALWAYS:
            label = translate(f"engine.cmd.{verb.value}", lang)
            desc = translate(f"engine.cmd.{verb.value}.desc", lang)
            lines.append(CommandLine(label, desc, _mailto(reply_address, subject, verb.value)))
        return lines

    def rule_lines(
        self,
        rules: Sequence[CommandRule | ComplainantRule],
        lang: str,
        reply_address: str,
        subject: str,
        values: Mapping[str, str] | None = None,
    ) -> list[CommandLine]:
        """One-click lines for commands outside a step (after closing, the complainant's answers)."""
        lines = []
        for rule in rules:
            desc = _fill(rule.desc.get(lang), values or {}) if rule.desc else ""
            if isinstance(rule, CommandRule):
                label, prefill = command_label(rule, lang), _prefill(rule.verb, rule.args, rule.need, ())
            else:
                label = rule.verb.value
                prefill = rule.verb.value + ("" if rule.notify is Notify.NEVER else "\n")
            lines.append(CommandLine(label, desc, _mailto(reply_address, subject, prefill)))
        return lines

    # --- the mails ------------------------------------------------------------------------------

    def action(
        self,
        *,
        view: CaseView,
        step: Step,
        person: Person,
        reply_address: str,
        message_id_prefix: str,
        ask_values: Mapping[str, str],
        due: datetime,
        attachments: Sequence[AttachmentRef],
        attachment_names: Sequence[str],
        extra_lines: Sequence[str] = (),
        bidang_codes: Sequence[str] = (),
        dedup_key: str | None = None,
        step_event_id: int | None = None,
        cc: Sequence[str] = (),
        opd_code: str | None = None,
    ) -> OutgoingMail:
        """The mail that asks `person` to act on `step`: the SOP file's subject and request, the
        deadline, the letters, and the commands with one-click replies."""
        lang = self.lang_for(person)
        assert step.mail is not None, f"step {step.key} has no action mail"
        subject = f"[{view.number}] " + _fill(step.mail.subject.get(lang), {"title": _short(view.title)})
        context = {
            "recipient": person.jabatan or person.name,
            "ask": _fill(step.mail.ask.get(lang), ask_values),
            "case": self._case_context(view, lang),
            "step": {"number": step.number, "name": step.name.get(lang)},
            "deadline": self.when(due, lang),
            "limit": step.limit_for(view.track).format(lang),
            "documents": list(attachment_names),
            "commands": self.commands(step, lang, reply_address, subject, view, bidang_codes),
            "extra_lines": list(extra_lines),
            "instance_name": self.instance_name,
        }
        text, html = self.renderer.render_mail("action", lang, context)
        return OutgoingMail(
            kind=f"action.{step.number}",
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
            group_section=_group_section(context, subject, reply_address),
            headers={
                "X-Mailflow-Case": view.number,
                "X-Mailflow-Step": str(step.number),
                "X-Mailflow-Step-Key": step.key,
                **({"X-Mailflow-OPD": opd_code} if opd_code else {}),
            },
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
        commands_intro: str | None = None,
    ) -> OutgoingMail:
        context = {
            "recipient": recipient,
            "subject": subject,
            "paragraphs": list(paragraphs),
            "items": list(items),
            "commands": list(commands),
            "commands_intro": commands_intro or translate("engine.explain.allowed", lang),
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
        reply_to: str | None = None,
        message_id_prefix: str | None = None,
    ) -> OutgoingMail:
        """A mail to the complainant; `reply_to`/`message_id_prefix` carry their reply token so
        that what they answer reaches their case."""
        recipient = complainant_greeting(name, lang)
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
            reply_to=reply_to,
            message_id_prefix=message_id_prefix,
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


def _group_section(context: Mapping[str, Any], subject: str, reply_address: str) -> dict[str, Any]:
    """The action mail as one section of a grouped mail (domain/pacing): what it shows, and the
    case's own reply address, so its commands still reach its step from inside the group."""
    section = {key: value for key, value in context.items() if key != "instance_name"}
    section["commands"] = [asdict(command) for command in context["commands"]]
    return {**section, "subject": subject, "reply_address": reply_address}


def complainant_greeting(name: str | None, lang: str) -> str:
    return name or ("Bapak/Ibu Pelapor" if lang == "id" else "complainant")


def _short(title: str, limit: int = 70) -> str:
    title = " ".join(title.split())
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"


def command_label(rule: CommandRule, lang: str) -> str:
    """How a command is written: the keyword and, by what it takes, its arguments
    ("TERUSKAN <kode OPD>[, <kode OPD>]", "KHUSUS <alasan>", "SETUJU")."""
    if rule.need is Need.NONE or rule.args in (ArgKind.NONE, ArgKind.RESPONSE):
        return rule.verb.value
    return f"{rule.verb.value} " + translate(f"engine.arg.{rule.args.value}.{rule.need.value}", lang)


def _prefill(verb: Verb, args: ArgKind, need: Need, bidang_codes: Sequence[str]) -> str:
    """The body a one-click reply starts with (a trailing space invites the rest of the command)."""
    if need is Need.NONE or args is ArgKind.NONE:
        return verb.value
    if args is ArgKind.BIDANG:
        return f"{verb.value} {bidang_codes[0]}: " if bidang_codes else f"{verb.value} "
    if args is ArgKind.RESPONSE:
        return f"{verb.value}\n"
    if args is ArgKind.OPDS and need is Need.OPTIONAL:
        return verb.value
    return f"{verb.value} "


def _fill(template: str, values: Mapping[str, Any]) -> str:
    """`template` with {name} fields from `values`; an unknown field stays as written (an SOP file
    names only the fields mailflow gives, and a typo must not stop a mail)."""

    class _Keep(dict[str, Any]):
        def __missing__(self, key: str) -> str:
            return "{" + key + "}"

    try:
        return template.format_map(_Keep(values))
    except (ValueError, IndexError):  # a stray brace in the SOP file's text: show it as written
        return template


def _mailto(address: str, subject: str, body: str) -> str:
    return f"mailto:{address}?subject={quote('Re: ' + subject)}&body={quote(body)}"
