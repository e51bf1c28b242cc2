"""The explanation mailed back when a signed PDF that came by mail is refused.

Like the reply processor's explanations (services.replies): at most one mail per address, reason
and local day (the outbox dedup key), never to our own addresses, in the recipient's language.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from mailflow.adapters.db.models import Case, Message, StepEvent
from mailflow.i18n import translate

if TYPE_CHECKING:
    from mailflow.services.returned import ReturnedLetterService, ReturnedOutcome


def explain(
    service: ReturnedLetterService,
    session: Session,
    message: Message,
    sender: str | None,
    event: StepEvent,
    outcome: ReturnedOutcome,
    now: datetime,
) -> None:
    if not sender or _is_ours(service, sender):
        return
    engine = service.engine
    person = engine.directory.person_by_email(sender)
    lang = engine.composer.lang_for(person)
    case = session.get(Case, event.case_id)
    number = case.number if case else "-"
    values = {**outcome.values, "case": outcome.values.get("case", "-")}
    if values["case"] in ("", "-"):
        values["case"] = number
    reason = translate(f"signatures.reason.{outcome.code}", lang, **values)
    hint = translate("signatures.explain.resend", lang, case=number)
    mail = engine.composer.notice(
        kind="explain",
        to_addr=sender,
        to_name=person.name if person else None,
        recipient=(person.jabatan or person.name) if person else sender,
        subject=f"[{number}] " + translate("signatures.subject.explain", lang),
        paragraphs=[reason, hint],
        lang=lang,
        case_id=case.id if case else None,
        dedup_key=f"explain:{sender}:{outcome.code}:{_local_day(service, now)}",
    )
    engine.queue(session, mail, now)


def _local_day(service: ReturnedLetterService, now: datetime) -> str:
    return now.astimezone(service.zone).date().isoformat()


def _is_ours(service: ReturnedLetterService, address: str) -> bool:
    settings = service.settings
    ours = {settings.tokens.reply_address.lower(), str(settings.smtp.from_address).lower()}
    local, _, domain = address.lower().partition("@")
    return address.lower() in ours or f"{local.split('+', 1)[0]}@{domain}" in ours
