"""The conversation engine assembled from its parts (each with one job), in one place.

records      the case aggregate in the database (services.conversation.records)
actors       who acts on a step, delegates, superiors
mails        action mails, notices, the complainant's mails (composer for the texts)
letters      the letters a transition makes and a step's mail carries
transitions  carrying a workflow decision out
engine       the workflow (pure decisions) and the transitions
answers      STATUS/BANTUAN answers, explanations, quarantine of refused replies
returned     signed letters coming back (needs the engine)
case_replies replies with a case token: the complainant's, and after-close commands
replies      the reply processor (needs the returned-letter service for signature steps)
reminders    reminders and escalations
followup     the follow-up question to complainants N working days after closing
hooks        what ingest calls
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mailflow.adapters.mail_templates import MailTemplates
from mailflow.config.model import Settings
from mailflow.domain.calendar import BusinessCalendar
from mailflow.domain.directory import Directory
from mailflow.domain.sop import Sop
from mailflow.services.conversation.actors import Actors
from mailflow.services.conversation.answers import ReplyAnswers
from mailflow.services.conversation.case_replies import CaseReplies
from mailflow.services.conversation.composer import MailComposer
from mailflow.services.conversation.engine import Engine
from mailflow.services.conversation.followup import FollowUp
from mailflow.services.conversation.hooks import EngineHooks
from mailflow.services.conversation.mails import ConversationMails
from mailflow.services.conversation.records import CaseRecords
from mailflow.services.conversation.reminders import ReminderService
from mailflow.services.conversation.replies import ReplyProcessor
from mailflow.services.conversation.step_letters import LetterMaker, StepLetters
from mailflow.services.conversation.transitions import Transitions
from mailflow.services.returned.service import ReturnedLetterService


@dataclass(frozen=True)
class Conversation:
    records: CaseRecords
    actors: Actors
    mails: ConversationMails
    letters: StepLetters
    transitions: Transitions
    engine: Engine
    answers: ReplyAnswers
    returned: ReturnedLetterService
    replies: ReplyProcessor
    reminders: ReminderService
    hooks: EngineHooks
    case_replies: CaseReplies
    followup: FollowUp


def build_conversation(
    *,
    settings: Settings,
    sop: Sop,
    calendar: BusinessCalendar,
    directory: Directory,
    templates: MailTemplates,
    letters: LetterMaker | None,
    docx_reader: Callable[[Path], str] | None = None,
    returned: Callable[[Engine, ConversationMails], ReturnedLetterService] | None = None,
) -> Conversation:
    """Every part of the conversation engine, each handed what it needs. `letters` None makes
    no letters (tests of the conversation alone); `returned` builds another signed-letter service
    (tests give their own trust roots)."""
    records = CaseRecords()
    actors = Actors(directory, sop, records)
    composer = MailComposer(
        renderer=templates,
        sop=sop,
        calendar=calendar,
        directory=directory,
        instance_name=settings.general.instance_name,
        zone_label=settings.general.zone_label,
        default_lang=settings.general.language,
    )
    mails = ConversationMails(
        settings=settings,
        sop=sop,
        calendar=calendar,
        directory=directory,
        composer=composer,
        records=records,
        actors=actors,
    )
    step_letters = StepLetters(sop, calendar, records, letters)
    transitions = Transitions(
        sop=sop, calendar=calendar, records=records, actors=actors, letters=step_letters, mails=mails
    )
    engine = Engine(sop, records, transitions)
    answers = ReplyAnswers(settings=settings, sop=sop, records=records, actors=actors, mails=mails)
    if returned is not None:
        returned_service = returned(engine, mails)
    else:
        returned_service = ReturnedLetterService(
            settings=settings, directory=directory, sop=sop, engine=engine, mails=mails
        )
    case_replies = CaseReplies(
        sop=sop,
        directory=directory,
        records=records,
        actors=actors,
        mails=mails,
        engine=engine,
        answers=answers,
        settings=settings,
    )
    replies = ReplyProcessor(
        settings=settings,
        sop=sop,
        directory=directory,
        records=records,
        actors=actors,
        mails=mails,
        engine=engine,
        answers=answers,
        returned=returned_service,
        docx_reader=docx_reader,
        case_replies=case_replies,
    )
    reminders = ReminderService(
        config=settings.reminders, sop=sop, calendar=calendar, directory=directory, actors=actors, mails=mails
    )
    return Conversation(
        records=records,
        actors=actors,
        mails=mails,
        letters=step_letters,
        transitions=transitions,
        engine=engine,
        answers=answers,
        returned=returned_service,
        replies=replies,
        reminders=reminders,
        hooks=EngineHooks(engine, replies),
        case_replies=case_replies,
        followup=FollowUp(
            config=settings.satisfaction, sop=sop, calendar=calendar, records=records, mails=mails
        ),
    )
