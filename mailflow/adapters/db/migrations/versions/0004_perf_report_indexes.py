"""covering indexes for the reports

Revision ID: 0003_perf
Revises: 0002_sec_mime
Create Date: 2026-11-30 20:00:00.000000

Issue 16: the reports aggregate `step_events` in SQL over their period only. These indexes hold
every column those queries read, so a report reads index entries of its period and never the
table rows: by finish time (finished items of a period), by case and route (per-case and
per-route business time), and by step and business seconds (percentiles walked in value order).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003_perf"
down_revision: str | None = "0002_sec_mime"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FINISHED_COVER = ["finished_at", "step", "outcome", "route_key", "opd_code", "business_seconds", "on_time"]
CASE_COVER = [
    "case_id", "route_key", "outcome", "step", "finished_at", "business_seconds", "on_time", "opd_code",
]  # fmt: skip
STEP_VALUE = ["step", "business_seconds", "outcome", "finished_at", "on_time"]


def upgrade() -> None:
    with op.batch_alter_table("step_events", schema=None) as batch_op:
        batch_op.create_index("ix_step_events_finished_cover", FINISHED_COVER, unique=False)
        batch_op.create_index("ix_step_events_case_cover", CASE_COVER, unique=False)
        batch_op.create_index("ix_step_events_step_value", STEP_VALUE, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("step_events", schema=None) as batch_op:
        batch_op.drop_index("ix_step_events_step_value")
        batch_op.drop_index("ix_step_events_case_cover")
        batch_op.drop_index("ix_step_events_finished_cover")
