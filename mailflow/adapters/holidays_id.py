"""National holidays and cuti bersama from the `holidays` package (country ID by default)."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import holidays

from mailflow.errors import ConfigError


class PackageDaysOff:
    """Days off for one country; each year is computed once and cached."""

    def __init__(
        self,
        country: str = "ID",
        subdivision: str | None = None,
        categories: tuple[str, ...] = ("public", "government"),
        language: str = "id",
    ) -> None:
        self.country = country
        self.subdivision = subdivision
        self.categories = categories
        self.language = language
        self._years: dict[int, dict[date, str]] = {}
        self._lock = threading.Lock()
        try:
            self._load(datetime.now(UTC).year)
        except (NotImplementedError, KeyError, ValueError) as exc:
            raise ConfigError(
                f"the holidays package does not know {country}/{subdivision} {categories}: {exc}",
                key="calendar",
            ) from None

    def _load(self, year: int) -> dict[date, str]:
        with self._lock:
            if year not in self._years:
                table = holidays.country_holidays(
                    self.country,
                    subdiv=self.subdivision,
                    years=year,
                    categories=self.categories,
                    language=self._package_language(),
                )
                self._years[year] = {day: str(name) for day, name in table.items()}
            return self._years[year]

    def _package_language(self) -> str | None:
        supported = getattr(holidays.country_holidays(self.country), "supported_languages", ())
        if self.language in supported:
            return self.language
        if self.language == "en" and "en_US" in supported:
            return "en_US"
        return None

    def reason(self, day: date) -> str | None:
        return self._load(day.year).get(day)
