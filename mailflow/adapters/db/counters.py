"""Gapless serial numbers (case numbers, letter numbers) that are safe under concurrent workers.

The counter row is bumped with one upsert inside the caller's transaction. The row stays locked
until that transaction ends (PostgreSQL row lock; SQLite's single writer), so two workers never
get the same number, and a rolled-back transaction gives its number back: no gaps.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from mailflow.adapters.db.models import Counter


def next_value(session: Session, name: str, period: str) -> int:
    """Increment and return the counter `name` for `period` (e.g. "case", "2026")."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(Counter)
        .values(name=name, period=period, value=1)
        .on_conflict_do_update(index_elements=["name", "period"], set_={"value": Counter.value + 1})
        .returning(Counter.value)
    )
    return int(session.execute(statement).scalar_one())


def current_value(session: Session, name: str, period: str) -> int:
    value = session.execute(
        select(Counter.value).where(Counter.name == name, Counter.period == period)
    ).scalar_one_or_none()
    return int(value or 0)
