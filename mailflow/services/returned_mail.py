"""The explanation mailed back when signed PDFs that came by mail are refused.

One explanation per reply that carried refused files (its dedup key is the reply's message), so
two letters refused for two cases are two mails, each naming its case, each file, its reason and
when it came. Never to our own addresses, in the recipient's language.

Bounded: at most `signatures.max_explanations_per_hour` such mails to one address in any 60
minutes. Beyond that a refusal is only recorded (the quarantine row, the audit entry
`signature.explain_suppressed`, and its line at step 8 of `mailflow case`), never mailed; the last
mail within the bound says so. A flood of refused files therefore costs the sender at most that
many mails an hour, and the sender's daily limit (limits.max_mails_per_address_per_day) still holds.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mailflow.adapters.db.models import AuditEntry, Case, Message, OutboxMail, StepEvent
from mailflow.domain.safe_text import escape
from mailflow.i18n import translate

if TYPE_CHECKING:
    from mailflow.services.returned import ReturnedLetterService, ReturnedOutcome

KIND = "explain.letter"
WINDOW = timedelta(hours=1)
NAME_LIMIT = 120


def explain(
    service: ReturnedLetterService,
    session: Session,
    message: Message,
    sender: str | None,
    event: StepEvent,
    outcomes: Sequence[ReturnedOutcome],
    now: datetime,
) -> None:
    """Tell `sender` why the files of `message` (answering step 8 of `event`) were refused."""
    if not sender or not outcomes or _is_ours(service, sender):
        return
    engine = service.engine
    case = session.get(Case, event.case_id)
    number = case.number if case else "-"
    sent = _sent_within_hour(session, sender, now)
    limit = service.settings.signatures.max_explanations_per_hour
    if sent >= limit:
        _record_suppressed(session, message, sender, event, outcomes, now, sent)
        return
    person = engine.directory.person_by_email(sender)
    lang = engine.composer.lang_for(person)
    received = engine.composer.when(message.received_at or now, lang)
    paragraphs = [
        translate("signatures.explain.intro", lang, case=number, when=received),
        *(_item(outcome, number, lang) for outcome in outcomes),
        translate("signatures.explain.resend", lang, case=number),
    ]
    if sent + 1 == limit:
        paragraphs.append(translate("signatures.explain.last", lang, limit=limit))
    mail = engine.composer.notice(
        kind=KIND,
        to_addr=sender,
        to_name=person.name if person else None,
        recipient=(person.jabatan or person.name) if person else sender,
        subject=f"[{number}] " + translate("signatures.subject.explain", lang),
        paragraphs=paragraphs,
        lang=lang,
        case_id=case.id if case else None,
        dedup_key=f"{KIND}:{message.id}",
    )
    engine.queue(session, mail, now)


def _item(outcome: ReturnedOutcome, number: str, lang: str) -> str:
    values = {**outcome.values}
    if values.get("case", "-") in ("", "-"):
        values["case"] = number
    reason = translate(f"signatures.reason.{outcome.code}", lang, **values)
    name = escape(outcome.file_name or "-", limit=NAME_LIMIT)
    return translate("signatures.explain.item", lang, file=name, reason=reason)


def _sent_within_hour(session: Session, sender: str, now: datetime) -> int:
    count = session.execute(
        select(func.count())
        .select_from(OutboxMail)
        .where(
            OutboxMail.to_addr == sender.lower(),
            OutboxMail.kind == KIND,
            OutboxMail.created_at > now - WINDOW,
        )
    ).scalar_one()
    return int(count)


def _record_suppressed(
    session: Session,
    message: Message,
    sender: str,
    event: StepEvent,
    outcomes: Sequence[ReturnedOutcome],
    now: datetime,
    sent: int,
) -> None:
    detail = {
        "reason": "max_explanations_per_hour",
        "sent_within_hour": sent,
        "returned_files": [o.returned_file_id for o in outcomes],
        "codes": [o.code for o in outcomes],
    }
    session.add(
        AuditEntry(
            at=now,
            actor=sender[:320],
            action="signature.explain_suppressed",
            case_id=event.case_id,
            message_id=message.id,
            detail=json.dumps(detail, ensure_ascii=False),
        )
    )


def _is_ours(service: ReturnedLetterService, address: str) -> bool:
    settings = service.settings
    ours = {settings.tokens.reply_address.lower(), str(settings.smtp.from_address).lower()}
    local, _, domain = address.lower().partition("@")
    return address.lower() in ours or f"{local.split('+', 1)[0]}@{domain}" in ours
