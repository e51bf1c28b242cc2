"""The faster figures (issue 16) against the implementation they replaced, on both databases.

tests/reports/legacy_figures.py is services/figures.py as it was before issue 16. Both run on the
same history (tests/reports/history.py: the hand-checked seed plus 1,200 synthetic cases with
awkward rows, 13,000 step events over 2026), as seeded, with every rollup mark unfolded. Every report's
figures must be equal, for short periods (sorted) and long ones (percentiles walked along the
index), and again after late events arrive for periods already reported.
"""

from __future__ import annotations

import pytest

from mailflow.adapters.db.engine import Database
from mailflow.domain.calendar import BusinessCalendar
from mailflow.domain.sop import Sop
from mailflow.services.reports import figures as new
from tests.reports import legacy_figures as old
from tests.reports.history import every_figure, late_events, year_and_months

pytestmark = pytest.mark.slow


def test_the_new_figures_equal_the_previous_ones(
    history: Database, calendar: BusinessCalendar, sop: Sop
) -> None:
    before = every_figure(old, history, calendar, sop)
    assert every_figure(new, history, calendar, sop) == before
    yearly = before["yearly 2026"]
    assert yearly["cases"]["timing"]["finished"] > 1000 and yearly["overdue_total"] > 0  # a real test
    assert len(yearly["opds"]) >= 15 and any(s["timing"]["median_seconds"] for s in yearly["steps"])
    now, legacy = year_and_months(history, calendar)
    assert now == legacy and len(legacy[1]) == 12

    late_events(history)
    after = every_figure(old, history, calendar, sop)
    assert after != before  # the late rows count in February, November, S1, S2 and the year
    assert every_figure(new, history, calendar, sop) == after
    now, legacy = year_and_months(history, calendar)
    assert now == legacy
