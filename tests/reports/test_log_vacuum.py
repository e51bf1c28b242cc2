"""After folding a large log (a bulk load's marks or deltas), the emptied pages are reclaimed at
once on PostgreSQL instead of being walked by every report until autovacuum comes."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import text

from mailflow.adapters.db.engine import Database
from mailflow.services.reports.day_counts import refresh_day_counts
from mailflow.services.reports.figures import refresh_route_sums


def _pages(database: Database, table: str) -> int:
    with database.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT pg_relation_size('{table}') / 8192")).scalar_one())


def test_a_large_fold_reclaims_the_emptied_log_at_once(history: Database) -> None:
    if history.is_postgres:
        assert _pages(history, "report_day_deltas") > 100 and _pages(history, "report_dirty_cases") > 5
    assert refresh_day_counts(history, at_least=1, vacuum_from=1_000) > 10_000
    assert refresh_route_sums(history, at_least=1, vacuum_from=1_000) > 1_000
    if history.is_postgres:  # SQLite's table b-trees do not keep emptied pages: nothing to do there
        assert _pages(history, "report_day_deltas") == 0
        assert _pages(history, "report_dirty_cases") == 0


@pytest.mark.postgres
@pytest.mark.parametrize("history", ["postgres"], indirect=True)
def test_a_small_fold_leaves_the_log_to_autovacuum(history: Database) -> None:
    before = _pages(history, "report_day_deltas")
    assert refresh_day_counts(history, at_least=1, vacuum_from=10**9) > 10_000
    assert _pages(history, "report_day_deltas") == before  # no VACUUM run in the report's time


def test_a_vacuum_that_cannot_run_is_logged_not_raised(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="mailflow.adapters.db.engine"):
        assert database.vacuum("no_such_table") is False
        assert database.vacuum("report_day_deltas; DROP TABLE cases") is False  # never run
    if database.is_postgres:
        assert "VACUUM no_such_table did not run" in caplog.text
        assert database.vacuum("report_day_deltas") is True
