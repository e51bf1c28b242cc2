"""The explanations mailed when returned signed PDFs are refused.

By mail: one explanation per reply that carried refused files (its dedup key is the reply's
message), so two letters refused for two cases are two mails, each naming its case, each file,
its reason and when it came. Through a watched folder, where nobody sent anything: the head who
must sign is told, once per refused file, while the letter still waits for that signature (a
file for a letter no longer waiting, or naming no letter, only lands in rejected/ and quarantine).
Never to our own addresses, in the recipient's language.

Bounded: at most `signatures.max_explanations_per_hour` such mails to one address in any 60
minutes. Beyond that a refusal is only recorded (the quarantine row, the audit entry
`signature.explain_suppressed`, and its line at the signature step of `mailflow case`), never mailed; the last
mail within the bound says so. A flood of refused files therefore costs anyone at most that many
mails an hour, and the sender's daily limit (limits.max_mails_per_address_per_day) still holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mailflow.adapters.db.models import Case, Message, OutboxMail, StepEvent
from mailflow.domain.directory import Directory
from mailflow.domain.safe_text import escape
from mailflow.domain.sop import Sop
from mailflow.i18n import translate
from mailflow.services.conversation.mails import ConversationMails, Recipient
from mailflow.services.conversation.records import CaseRecords
from mailflow.services.returned.finder import LetterMatch
from mailflow.services.returned.outcome import ReturnedOutcome

KIND = "explain.letter"
WINDOW = timedelta(hours=1)
NAME_LIMIT = 120


@dataclass(frozen=True)
class _Explanation:
    to: str
    case: Case | None
    intro: str  # the texts key of the first paragraph
    when: datetime  # when the files came
    outcomes: Sequence[ReturnedOutcome]
    dedup_key: str
    message_id: int | None = None


class RefusalNotices:
    def __init__(self, *, mails: ConversationMails, directory: Directory, sop: Sop, per_hour: int) -> None:
        self.mails = mails
        self.directory = directory
        self.sop = sop
        self.per_hour = per_hour

    def explain(
        self,
        session: Session,
        message: Message,
        sender: str | None,
        event: StepEvent,
        outcomes: Sequence[ReturnedOutcome],
        now: datetime,
    ) -> None:
        """Tell `sender` why the files of `message` (answering the signature step `event`) were
        refused."""
        if not sender or not outcomes or self.mails.is_ours(sender):
            return
        case = session.get(Case, event.case_id)
        when = message.received_at or now
        dedup = f"{KIND}:{message.id}"
        explanation = _Explanation(
            sender, case, "signatures.explain.intro", when, outcomes, dedup, message.id
        )
        self._send(session, explanation, now)

    def tell_signer(
        self, session: Session, letter: LetterMatch, outcome: ReturnedOutcome, now: datetime
    ) -> None:
        """Tell the head(s) who must sign `letter` that a file for it in a watched folder was refused."""
        steps = [s.number for s in self.sop.signature_steps()]
        if not CaseRecords.open_on_route(session, letter.route.id, steps):
            return
        for signer in (s for s in letter.expected if not s.delegate):
            address = self.directory.person(signer.person_id).email
            dedup = f"{KIND}:file:{outcome.returned_file_id}:{signer.person_id}"
            intro = "signatures.explain.intro_folder"
            self._send(session, _Explanation(address, letter.case, intro, now, (outcome,), dedup), now)

    def _send(self, session: Session, explanation: _Explanation, now: datetime) -> None:
        case, to = explanation.case, explanation.to
        number = case.number if case else "-"
        sent = _sent_within_hour(session, to, now)
        if sent >= self.per_hour:
            _record_suppressed(session, explanation, now, sent)
            return
        person = self.directory.person_by_email(to)
        lang = self.mails.lang_for(person)
        when = self.mails.when(explanation.when, lang)
        paragraphs = [
            translate(explanation.intro, lang, case=number, when=when),
            *(_item(outcome, number, lang) for outcome in explanation.outcomes),
            translate("signatures.explain.resend", lang, case=number),
        ]
        if sent + 1 == self.per_hour:
            paragraphs.append(translate("signatures.explain.last", lang, limit=self.per_hour))
        self.mails.tell(
            session,
            now,
            to=Recipient(to, person),
            kind=KIND,
            subject=f"[{number}] " + translate("signatures.subject.explain", lang),
            paragraphs=paragraphs,
            lang=lang,
            case_id=case.id if case else None,
            dedup_key=explanation.dedup_key,
        )


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


def _record_suppressed(session: Session, explanation: _Explanation, now: datetime, sent: int) -> None:
    detail = {
        "reason": "max_explanations_per_hour",
        "sent_within_hour": sent,
        "returned_files": [o.returned_file_id for o in explanation.outcomes],
        "codes": [o.code for o in explanation.outcomes],
    }
    CaseRecords.audit(
        session,
        now,
        explanation.to,
        "signature.explain_suppressed",
        case_id=explanation.case.id if explanation.case else None,
        message_id=explanation.message_id,
        detail=detail,
    )
