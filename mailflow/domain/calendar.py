"""The city's business-time calendar: working hours, days off, deadlines and elapsed business time.

Rules (documented in README "Waktu kerja" and tested in tests/domain/test_calendar.py):

* Working intervals are half-open ``[start, end)`` in the city's zone. An instant outside them
  (evening, break, weekend, holiday) starts counting at the next opening.
* **Minutes/hours**: walk forward through working intervals consuming minutes. A step whose time runs
  out exactly at a closing time is due at that closing time (not at the next opening).
* **Working days** (the SOP's "hari"): first move the start to the next working instant ``s``; the
  deadline of N days is the same wall-clock time as ``s`` on the N-th working day after ``s``'s date,
  clamped into that day's opening and closing. So Mon 11:30 + 3 days = Thu 11:30, and Thu 15:00 +
  1 day = Fri 11:00 (Friday closes at 11:00).
* A duration with both parts adds the days first, then the minutes.
* Elapsed business time between two instants = the overlap of ``[a, b)`` with working intervals.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Protocol

from mailflow.domain.durations import BusinessDuration
from mailflow.errors import CalendarError

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
HARI = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
BULAN = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)  # fmt: skip
_HHMM = re.compile(r"^(\d{1,2})[:.](\d{2})$")
_SEARCH_LIMIT_DAYS = 3660
_SECOND = timedelta(seconds=1)


def parse_hhmm(text: str) -> time:
    """ "07:30" or "07.30" (Indonesian style) -> time; "24:00" is not allowed."""
    match = _HHMM.match(text.strip())
    if not match:
        raise ValueError(f"waktu {text!r} harus berbentuk JJ:MM")
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise ValueError(f"waktu {text!r} di luar 00:00-23:59")
    return time(hour, minute)


@dataclass(frozen=True)
class Interval:
    start: time
    end: time

    def __post_init__(self) -> None:
        if self.start >= self.end:
            raise ValueError(f"interval {self.start:%H:%M}-{self.end:%H:%M} ends before it starts")

    def minutes(self) -> int:
        return (self.end.hour * 60 + self.end.minute) - (self.start.hour * 60 + self.start.minute)


@dataclass(frozen=True)
class DaySchedule:
    """Working intervals of one day, sorted and disjoint; empty means closed."""

    intervals: tuple[Interval, ...] = ()

    def __post_init__(self) -> None:
        for earlier, later in zip(self.intervals, self.intervals[1:], strict=False):
            if later.start < earlier.end:
                raise ValueError("working intervals overlap or are not in order")

    @classmethod
    def parse(cls, text: str) -> DaySchedule:
        """ "07:30-12:00, 12:30-16:30"; "" or "-" or "libur"/"closed" means no work."""
        cleaned = text.strip().lower()
        if cleaned in ("", "-", "libur", "tutup", "closed"):
            return cls(())
        intervals = []
        for chunk in cleaned.split(","):
            parts = chunk.split("-")
            if len(parts) != 2:
                raise ValueError(f"rentang jam {chunk.strip()!r} harus berbentuk JJ:MM-JJ:MM")
            intervals.append(Interval(parse_hhmm(parts[0]), parse_hhmm(parts[1])))
        return cls(tuple(intervals))

    @classmethod
    def from_hours(cls, opening: time, closing: time, breaks: Sequence[Interval] = ()) -> DaySchedule:
        """Opening to closing minus breaks (breaks outside the day are ignored)."""
        intervals = []
        cursor = opening
        for brk in sorted(breaks, key=lambda b: b.start):
            if brk.end <= cursor or brk.start >= closing:
                continue
            if brk.start > cursor:
                intervals.append(Interval(cursor, brk.start))
            cursor = max(cursor, brk.end)
        if cursor < closing:
            intervals.append(Interval(cursor, closing))
        return cls(tuple(intervals))

    @property
    def is_open(self) -> bool:
        return bool(self.intervals)

    @property
    def opening(self) -> time:
        return self.intervals[0].start

    @property
    def closing(self) -> time:
        return self.intervals[-1].end

    def minutes(self) -> int:
        return sum(i.minutes() for i in self.intervals)

    def describe(self) -> str:
        return ", ".join(f"{i.start:%H:%M}-{i.end:%H:%M}" for i in self.intervals) or "libur"


@dataclass(frozen=True)
class WeekSchedule:
    """One DaySchedule per weekday, Monday first."""

    days: tuple[DaySchedule, ...]

    def __post_init__(self) -> None:
        if len(self.days) != 7:
            raise ValueError("a week has seven days")

    def __getitem__(self, weekday: int) -> DaySchedule:
        return self.days[weekday]

    @classmethod
    def bontang(cls) -> WeekSchedule:
        """Perwali Bontang 23/2025: Mon-Thu 07:30-16:30 with a 12:00-12:30 break, Fri 07:30-11:00."""
        long_day = DaySchedule.parse("07:30-12:00, 12:30-16:30")
        friday = DaySchedule.parse("07:30-11:00")
        closed = DaySchedule(())
        return cls((long_day, long_day, long_day, long_day, friday, closed, closed))


@dataclass(frozen=True)
class ScheduleOverride:
    """Different hours for a date range (e.g. Ramadan); weekdays not named keep their hours."""

    first: date
    last: date
    week: Mapping[int, DaySchedule]
    name: str = ""

    def covers(self, day: date) -> bool:
        return self.first <= day <= self.last


class DaysOff(Protocol):
    """Tells whether a date is a day off (holiday, cuti bersama, local day off) and why."""

    def reason(self, day: date) -> str | None: ...


@dataclass(frozen=True)
class FixedDaysOff:
    """Days off from a plain mapping (config, tests)."""

    days: Mapping[date, str] = field(default_factory=dict)

    def reason(self, day: date) -> str | None:
        return self.days.get(day)


@dataclass(frozen=True)
class CombinedDaysOff:
    """The first source that names a day wins."""

    sources: tuple[DaysOff, ...]

    def reason(self, day: date) -> str | None:
        for source in self.sources:
            why = source.reason(day)
            if why:
                return why
        return None


class BusinessCalendar:
    """Working time of one city. Every public method takes and returns timezone-aware datetimes."""

    def __init__(
        self,
        zone: tzinfo,
        week: WeekSchedule,
        days_off: DaysOff | None = None,
        overrides: Sequence[ScheduleOverride] = (),
    ) -> None:
        self.zone = zone
        self.week = week
        self.days_off = days_off or FixedDaysOff()
        self.overrides = tuple(overrides)
        self._cache: dict[date, DaySchedule] = {}
        self._prefixes: dict[int, list[timedelta]] = {}
        if not any(day.is_open for day in week.days) and not any(
            any(s.is_open for s in o.week.values()) for o in self.overrides
        ):
            raise CalendarError("kalender tidak punya satu pun hari kerja")

    # --- days -----------------------------------------------------------------------------

    def schedule(self, day: date) -> DaySchedule:
        """The hours of `day`, after days off and overrides (the last matching override wins)."""
        cached = self._cache.get(day)
        if cached is not None:
            return cached
        result = self.week[day.weekday()]
        for override in self.overrides:
            if override.covers(day) and day.weekday() in override.week:
                result = override.week[day.weekday()]
        if self.days_off.reason(day):
            result = DaySchedule(())
        self._cache[day] = result
        return result

    def is_working_day(self, day: date) -> bool:
        return self.schedule(day).is_open

    def day_off_reason(self, day: date) -> str | None:
        return self.days_off.reason(day)

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day`."""
        candidate = day
        for _ in range(_SEARCH_LIMIT_DAYS):
            candidate += timedelta(days=1)
            if self.is_working_day(candidate):
                return candidate
        raise CalendarError(f"tidak ada hari kerja dalam {_SEARCH_LIMIT_DAYS} hari setelah {day}")

    def intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """Working intervals of `day` as aware datetimes in the city's zone."""
        return [(self._at(day, i.start), self._at(day, i.end)) for i in self.schedule(day).intervals]

    # --- instants ---------------------------------------------------------------------------

    def local(self, instant: datetime) -> datetime:
        _require_aware(instant)
        return instant.astimezone(self.zone)

    def is_working_instant(self, instant: datetime) -> bool:
        local = self.local(instant)
        return any(a <= local < b for a, b in self.intervals(local.date()))

    def next_working_instant(self, instant: datetime) -> datetime:
        """`instant` itself when inside working hours, else the next opening (in the city's zone)."""
        local = self.local(instant)
        day = local.date()
        for a, b in self.intervals(day):
            if local < b:
                return max(local, a)
        nxt = self.next_working_day(day)
        return self.intervals(nxt)[0][0]

    def add(self, start: datetime, duration: BusinessDuration) -> datetime:
        """The deadline of a step of `duration` that starts at `start`, in UTC."""
        result = self.next_working_instant(start)
        if duration.days:
            result = self._add_days(result, duration.days)
        if duration.minutes:
            result = self._add_minutes(result, duration.minutes)
        return result.astimezone(UTC)

    def business_seconds(self, start: datetime, end: datetime) -> int:
        """Whole working seconds in ``[start, end)``; 0 when end is not after start.

        The first and last day are cut at the instants; the whole days between are summed per
        year (`_whole_days`), so an item overdue for months costs what an item of a day costs
        (a report lists hundreds of them). Summed in exact microseconds, then rounded down."""
        a, b = self.local(start), self.local(end)
        if b <= a:
            return 0
        first, last = a.date(), b.date()
        total = self._overlap(first, a, b)
        if last > first:
            total += self._whole_days(first + timedelta(days=1), last) + self._overlap(last, a, b)
        return total // _SECOND

    # --- internals --------------------------------------------------------------------------

    def _overlap(self, day: date, a: datetime, b: datetime) -> timedelta:
        total = timedelta()
        for lo, hi in self.intervals(day):
            if min(hi, b) > max(lo, a):
                total += min(hi, b) - max(lo, a)
        return total

    def _whole_days(self, first: date, stop: date) -> timedelta:
        """Working time of the days from `first` up to, not including, `stop` (first <= stop)."""
        if first.year == stop.year:
            prefix = self._year_prefix(first.year)
            return prefix[_day_index(stop)] - prefix[_day_index(first)]
        head = self._year_prefix(first.year)
        total = head[-1] - head[_day_index(first)]
        for year in range(first.year + 1, stop.year):
            total += self._year_prefix(year)[-1]
        return total + self._year_prefix(stop.year)[_day_index(stop)]

    def _year_prefix(self, year: int) -> list[timedelta]:
        """Working time of `year`'s days before each day of the year (index 0 = 1 January; the
        last entry is the whole year). A day's working time is its intervals' wall-clock length,
        as `_overlap` measures a day it covers whole."""
        prefix = self._prefixes.get(year)
        if prefix is None:
            running = timedelta()
            prefix = [running]
            for day in _dates(date(year, 1, 1), date(year, 12, 31)):
                for lo, hi in self.intervals(day):
                    running += hi - lo
                prefix.append(running)
            self._prefixes[year] = prefix
        return prefix

    def _at(self, day: date, clock: time) -> datetime:
        return datetime.combine(day, clock, tzinfo=self.zone)

    def _add_minutes(self, start: datetime, minutes: int) -> datetime:
        remaining = timedelta(minutes=minutes)
        local = self.next_working_instant(start)
        day = local.date()
        for _ in range(_SEARCH_LIMIT_DAYS):
            for a, b in self.intervals(day):
                if b <= local:
                    continue
                begin = max(a, local)
                available = b - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
            day = self.next_working_day(day)
        raise CalendarError("tenggat tidak dapat dihitung: terlalu jauh")

    def _add_days(self, start: datetime, days: int) -> datetime:
        local = self.next_working_instant(start)
        day = local.date()
        for _ in range(days):
            day = self.next_working_day(day)
        schedule = self.schedule(day)
        clock = min(max(local.time(), schedule.opening), schedule.closing)
        return self._at(day, clock)


def _day_index(day: date) -> int:
    return day.timetuple().tm_yday - 1


def _dates(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def _require_aware(instant: datetime) -> None:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("waktu harus mempunyai zona waktu (timezone-aware)")


def format_local(instant: datetime, zone: tzinfo, lang: str = "id", zone_label: str = "WITA") -> str:
    """ "Senin, 30 November 2026 pukul 09.40 WITA" / "Monday, 30 November 2026 at 09:40 WITA"."""
    local = instant.astimezone(zone)
    if lang == "en":
        return f"{local:%A}, {local.day} {local:%B %Y} at {local:%H:%M} {zone_label}"
    return (
        f"{HARI[local.weekday()]}, {local.day} {BULAN[local.month - 1]} {local.year} "
        f"pukul {local:%H.%M} {zone_label}"
    )


def format_date(day: date, lang: str = "id") -> str:
    """ "30 November 2026" in either language (month names differ)."""
    if lang == "en":
        return f"{day.day} {day:%B %Y}"
    return f"{day.day} {BULAN[day.month - 1]} {day.year}"
