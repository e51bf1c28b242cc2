"""Business durations as the SOP states them: minutes, hours and working days.

Minutes and working days are kept apart on purpose. The SOP adds "8 x 60 menit + 30 menit + 3 hari
+ 1 hari" and states the total as "4 hari 8 jam 30 menit"; converting minutes into days would depend
on the length of a particular working day, so the units stay separate until a calendar applies them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_UNITS: dict[str, tuple[str, int]] = {
    # unit word -> (kind, multiplier)
    "m": ("minutes", 1),
    "min": ("minutes", 1),
    "mins": ("minutes", 1),
    "minute": ("minutes", 1),
    "minutes": ("minutes", 1),
    "menit": ("minutes", 1),
    "h": ("minutes", 60),
    "hour": ("minutes", 60),
    "hours": ("minutes", 60),
    "jam": ("minutes", 60),
    "d": ("days", 1),
    "day": ("days", 1),
    "days": ("days", 1),
    "hari": ("days", 1),
}
_PART = re.compile(r"(\d+)\s*([a-z]+)")


@dataclass(frozen=True, order=True)
class BusinessDuration:
    """A span of business time: `days` working days plus `minutes` working minutes."""

    days: int = 0
    minutes: int = 0

    def __post_init__(self) -> None:
        if self.days < 0 or self.minutes < 0:
            raise ValueError("a business duration cannot be negative")

    def __add__(self, other: BusinessDuration) -> BusinessDuration:
        return BusinessDuration(self.days + other.days, self.minutes + other.minutes)

    @property
    def is_zero(self) -> bool:
        return self.days == 0 and self.minutes == 0

    @classmethod
    def parse(cls, text: str) -> BusinessDuration:
        """Parse "60 min", "1 jam", "3 hari", "1 day 30 minutes" (Indonesian or English units)."""
        cleaned = text.strip().lower().replace(",", " ")
        if not cleaned:
            raise ValueError("empty duration")
        days = minutes = 0
        pos = 0
        for match in _PART.finditer(cleaned):
            if cleaned[pos : match.start()].strip():
                raise ValueError(f"cannot read duration {text!r}")
            amount, unit = int(match.group(1)), match.group(2)
            if unit not in _UNITS:
                raise ValueError(f"unknown unit {unit!r} in {text!r} (use menit/jam/hari)")
            kind, mult = _UNITS[unit]
            if kind == "days":
                days += amount * mult
            else:
                minutes += amount * mult
            pos = match.end()
        if pos == 0 or cleaned[pos:].strip():
            raise ValueError(f"cannot read duration {text!r}")
        return cls(days=days, minutes=minutes)

    def format(self, lang: str = "id") -> str:
        """ "4 hari 8 jam 30 menit" / "4 days 8 hours 30 minutes"; a short limit stays in minutes
        ("60 menit", as the SOP writes it)."""
        if self.days == 0 and 0 < self.minutes < 120:
            return format_parts(minutes=self.minutes, lang=lang)
        hours, mins = divmod(self.minutes, 60)
        return format_parts(days=self.days, hours=hours, minutes=mins, lang=lang)


def format_parts(*, days: int = 0, hours: int = 0, minutes: int = 0, lang: str = "id") -> str:
    """Join non-zero parts; zero overall reads "0 menit" / "0 minutes"."""
    if lang == "en":
        names = (("day", "days"), ("hour", "hours"), ("minute", "minutes"))
    else:
        names = (("hari", "hari"), ("jam", "jam"), ("menit", "menit"))
    parts = []
    for value, (one, many) in zip((days, hours, minutes), names, strict=True):
        if value:
            parts.append(f"{value} {one if value == 1 else many}")
    return " ".join(parts) if parts else f"0 {names[2][1]}"


def format_seconds(seconds: int, lang: str = "id") -> str:
    """A number of business seconds as hours and minutes ("19 jam 0 menit" reads "19 jam")."""
    minutes_total = seconds // 60
    hours, minutes = divmod(minutes_total, 60)
    return format_parts(hours=hours, minutes=minutes, lang=lang)
