"""A semester or yearly report read on helper connections (PostgreSQL, `reports.readers`) says
exactly what the same report read on one connection says, late events and unfolded rollups
included."""

from __future__ import annotations

import dataclasses

import pytest

from mailflow.adapters.db.engine import Database
from mailflow.domain.periods import parse_period
from mailflow.services.reports import build_report
from tests.reports.conftest import MakeContext
from tests.reports.history import NOW, TODAY, late_events


@pytest.mark.parametrize(
    ("kind", "name"), [("yearly", "2026"), ("semester", "2026-S2"), ("semester", "2026-S1")]
)
def test_helper_connections_change_no_figure(
    history: Database, make_context: MakeContext, kind: str, name: str
) -> None:
    late_events(history)  # marks and deltas the reports read beside the stored sums
    one = make_context(history, NOW)
    period = parse_period(kind, name, TODAY)
    alone = build_report(dataclasses.replace(one, readers=0), kind, period)
    helped = build_report(dataclasses.replace(one, readers=2), kind, period)
    assert helped.tables == alone.tables
    assert sum(len(table.rows) for table in alone.tables) > 40  # the report holds real figures
