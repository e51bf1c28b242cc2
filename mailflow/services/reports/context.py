"""What every report needs from the application: database, calendar, SOP, directory, language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path

from mailflow.adapters.db.engine import Database
from mailflow.domain.calendar import BusinessCalendar
from mailflow.domain.directory import Directory
from mailflow.domain.sop import Sop


@dataclass(frozen=True)
class ReportContext:
    database: Database
    calendar: BusinessCalendar
    sop: Sop
    directory: Directory
    lang: str
    now: datetime
    output_root: Path  # <data_dir>/reports
    zone_label: str = "WITA"
    place: str = "Bontang"
    instance_name: str = "LAPOR Bontang"
    templates_dir: Path | None = None  # the site's templates/ (mail templates under email/)
    # helper connections a semester or yearly report reads on beside its own (PostgreSQL only,
    # mailflow.adapters.db.fanout); 0 reads everything on one connection
    readers: int = 2

    @property
    def zone(self) -> tzinfo:
        return self.calendar.zone

    def today(self) -> datetime:
        return self.now.astimezone(self.zone)

    def opd_name(self, code: str | None) -> str:
        if not code:
            return ""
        try:
            return self.directory.opd(code).name
        except KeyError:
            return code

    def opd_short(self, code: str) -> str:
        try:
            return self.directory.opd(code).letterhead.short
        except KeyError:
            return code

    def person_name(self, person_id: str | None) -> str | None:
        if not person_id:
            return None
        try:
            return self.directory.person(person_id).name
        except KeyError:
            return None
