"""The composition root: builds the real objects from the configuration, once, lazily.

Nothing else reads settings globally or builds services; commands, the demo, tests and
benchmarks ask the App (or the wiring functions beside it in this package) for what they need,
so a command that only prints the SOP never opens the database or reads the directory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from mailflow.clock import Clock, SystemClock
from mailflow.config.directory_file import load_directory
from mailflow.config.loader import load_config
from mailflow.config.model import Settings
from mailflow.config.sop_file import load_sop
from mailflow.domain.calendar import (
    WEEKDAYS,
    BusinessCalendar,
    CombinedDaysOff,
    DaySchedule,
    FixedDaysOff,
    ScheduleOverride,
    WeekSchedule,
)
from mailflow.domain.directory import Directory
from mailflow.domain.sop import Sop
from mailflow.errors import ConfigError

if TYPE_CHECKING:
    from mailflow.adapters.db.engine import Database
    from mailflow.adapters.mail_templates import MailTemplates
    from mailflow.bootstrap.conversation import Conversation
    from mailflow.services.conversation.engine import Engine
    from mailflow.services.conversation.hooks import EngineHooks
    from mailflow.services.conversation.reminders import ReminderService
    from mailflow.services.conversation.replies import ReplyProcessor
    from mailflow.services.letters.service import LetterService
    from mailflow.services.reports.context import ReportContext
    from mailflow.services.returned.service import ReturnedLetterService


@dataclass
class App:
    settings: Settings
    clock: Clock = field(default_factory=SystemClock)

    @property
    def lang(self) -> str:
        return self.settings.general.language

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.settings.general.timezone)

    @cached_property
    def sop(self) -> Sop:
        return load_sop(self.settings.paths.sop, self.lang)

    @cached_property
    def calendar(self) -> BusinessCalendar:
        return build_calendar(self.settings)

    @cached_property
    def directory(self) -> Directory:
        directory = load_directory(self.settings.paths.directory, self.lang)
        check_cross_references(self.settings, directory)
        return directory

    @cached_property
    def database(self) -> Database:
        from mailflow.adapters.db.engine import Database  # noqa: PLC0415 - only commands that use it pay

        return Database(self.settings.database_url, echo=self.settings.database.echo)

    # --- services, built once per process (templates and letter templates stay cached) -------
    # Imported inside the properties: a command that only prints the SOP never loads them.

    @cached_property
    def mail_templates(self) -> MailTemplates:
        from mailflow.adapters.mail_templates import MailTemplates  # noqa: PLC0415

        return MailTemplates.for_folder(self.settings.paths.templates)

    @cached_property
    def letters(self) -> LetterService:
        from mailflow.services.letters.service import LetterService  # noqa: PLC0415

        return LetterService(self.settings, self.directory)

    @cached_property
    def conversation(self) -> Conversation:
        """The conversation engine's parts, built once and handed to each other."""
        from mailflow.adapters.docx_text import docx_text  # noqa: PLC0415
        from mailflow.bootstrap.conversation import build_conversation  # noqa: PLC0415

        return build_conversation(
            settings=self.settings,
            sop=self.sop,
            calendar=self.calendar,
            directory=self.directory,
            templates=self.mail_templates,
            letters=self.letters,
            docx_reader=docx_text,
        )

    @property
    def engine(self) -> Engine:
        return self.conversation.engine

    @property
    def replies(self) -> ReplyProcessor:
        return self.conversation.replies

    @property
    def returned(self) -> ReturnedLetterService:
        """Signed letters coming back, by reply or through a watched folder."""
        return self.conversation.returned

    @property
    def hooks(self) -> EngineHooks:
        return self.conversation.hooks

    @property
    def reminders(self) -> ReminderService:
        return self.conversation.reminders

    def report_context(self, now: datetime | None = None, lang: str | None = None) -> ReportContext:
        """What every report needs: database, calendar, SOP, directory, language, output folder."""
        from mailflow.services.reports.context import ReportContext  # noqa: PLC0415

        settings = self.settings
        return ReportContext(
            database=self.database,
            calendar=self.calendar,
            sop=self.sop,
            directory=self.directory,
            lang=lang or self.lang,
            now=now or self.clock.now(),
            output_root=settings.data_dir / "reports",
            zone_label=settings.general.zone_label,
            place=settings.letters.place,
            instance_name=settings.general.instance_name,
            templates_dir=settings.paths.templates,
            readers=settings.reports.readers,
        )

    def close(self) -> None:
        if "database" in self.__dict__:
            self.database.dispose()


def build_app(config: Path | None = None, clock: Clock | None = None) -> App:
    return App(settings=load_config(config), clock=clock or SystemClock())


def build_calendar(settings: Settings) -> BusinessCalendar:
    from mailflow.adapters.holidays_id import PackageDaysOff  # noqa: PLC0415

    section = settings.calendar
    week = WeekSchedule(tuple(DaySchedule.parse(section.hours.get(day, "")) for day in WEEKDAYS))
    overrides = [
        ScheduleOverride(
            first=entry.first,
            last=entry.last,
            name=entry.name,
            week={WEEKDAYS.index(day): DaySchedule.parse(text) for day, text in entry.hours.items()},
        )
        for entry in section.overrides
    ]
    local = FixedDaysOff({entry.date: entry.name for entry in section.days_off})
    national = PackageDaysOff(
        section.country,
        section.subdivision,
        tuple(section.holiday_categories),
        settings.general.language,
    )
    return BusinessCalendar(
        ZoneInfo(settings.general.timezone), week, CombinedDaysOff((local, national)), overrides
    )


def check_cross_references(settings: Settings, directory: Directory) -> None:
    """What neither file can check alone: mailboxes naming OPDs the directory knows."""
    for index, box in enumerate(settings.mailboxes):
        if box.opd and directory.find_opd(box.opd) is None:
            known = ", ".join(o.code for o in directory.opds)
            raise ConfigError(
                f"unknown OPD {box.opd!r}; the directory knows {known}",
                file=str(settings.config_file),
                key=f"mailboxes[{index}].opd",
            )
