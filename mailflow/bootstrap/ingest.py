"""Wiring of the ingest side from the App: rules, registration, ingest, pollers, sender.

`mailflow poll`, `mailflow send` and `mailflow run` (and tests) build their objects here, so the
choices (bundled rules when the folder is missing, one thread per mailbox) live in one place.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from mailflow.adapters.mail_templates import MailTemplates
from mailflow.bootstrap.app import App
from mailflow.config.model import MailboxSection
from mailflow.config.rules_file import load_rules
from mailflow.domain.rules import Rule
from mailflow.errors import NotFoundError
from mailflow.i18n import translate
from mailflow.resources import bundled
from mailflow.services.ingest.poller import MailboxPoller, PollStats, PollTuning
from mailflow.services.ingest.registration import Registrar
from mailflow.services.ingest.service import IngestHooks, IngestService
from mailflow.services.outbound.sender import OutboxSender, SendTuning

log = logging.getLogger("mailflow.ingest")


def rules_folder(app: App) -> Path:
    """The configured inbox_rules folder, or the bundled default set when it does not exist."""
    folder = app.settings.paths.inbox_rules
    if folder.is_dir():
        return folder
    log.warning("inbox rules folder %s is missing; using the bundled default rules", folder)
    return bundled("inbox_rules")


def load_app_rules(app: App) -> list[Rule]:
    known = [opd.code for opd in app.directory.opds]
    return load_rules(rules_folder(app), known_opds=known, lang=app.lang)


def templates(app: App) -> MailTemplates:
    return app.mail_templates


def build_ingest(app: App, hooks: IngestHooks | None = None) -> IngestService:
    """The ingest service; by default with the conversation engine plugged in (`app.hooks`)."""
    mail_templates = templates(app)
    registrar = Registrar(
        settings=app.settings,
        sop=app.sop,
        calendar=app.calendar,
        directory=app.directory,
        templates=mail_templates,
    )
    return IngestService(
        settings=app.settings,
        database=app.database,
        rules=load_app_rules(app),
        registrar=registrar,
        clock=app.clock,
        hooks=hooks if hooks is not None else app.hooks,
    )


def build_sender(app: App, tuning: SendTuning | None = None) -> OutboxSender:
    return OutboxSender(
        settings=app.settings,
        database=app.database,
        clock=app.clock,
        templates=templates(app),
        tuning=tuning,
        directory=app.directory,
    )


def mailboxes(app: App, name: str | None = None) -> tuple[MailboxSection, ...]:
    boxes = app.settings.mailboxes
    if name is None:
        return boxes
    chosen = tuple(b for b in boxes if b.name == name)
    if not chosen:
        known = ", ".join(b.name for b in boxes) or "-"
        raise NotFoundError(translate("ingest.err.no_mailbox", app.lang, name=name, known=known))
    return chosen


def pollers(
    app: App, ingest: IngestService, name: str | None = None, tuning: PollTuning | None = None
) -> list[MailboxPoller]:
    return [
        MailboxPoller(box, ingest, app.database, app.clock, tuning=tuning) for box in mailboxes(app, name)
    ]


def poll_once(app: App, name: str | None = None, hooks: IngestHooks | None = None) -> dict[str, PollStats]:
    ingest = build_ingest(app, hooks)
    return {p.mailbox.name: p.poll_once() for p in pollers(app, ingest, name)}


def run_pollers(
    app: App,
    stop: threading.Event,
    name: str | None = None,
    hooks: IngestHooks | None = None,
    tuning: PollTuning | None = None,
) -> list[MailboxPoller]:
    """Start one thread per mailbox (daemon threads named poll-<mailbox>); returns the pollers.
    The threads end when `stop` is set."""
    ingest = build_ingest(app, hooks)
    started = pollers(app, ingest, name, tuning)
    for poller in started:
        thread = threading.Thread(
            target=poller.run, args=(stop,), name=f"poll-{poller.mailbox.name}", daemon=True
        )
        poller.thread = thread
        thread.start()
    return started
