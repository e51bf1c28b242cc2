"""indexes for the branch figures' rounds and misrouted dispositions

Revision ID: 0007_perf_rounds
Revises: 0006_special_reason
Create Date: 2026-11-30 22:30:00.000000

Issue 16: the branch figures (issue 13, services/reports/branches.py) join a step's round to the
round before it on the same route and look for an entry into the route between them. With no
index on route_id, SQLite walked every event of the step for each round of the period: one
week of 100,000 cases took minutes, the year never finished. These indexes make the join a probe,
let the rounds after the first (attempt > 1) be read without the first ones, and read the
misrouted dispositions (step, command) of a period from index entries alone.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007_perf_rounds"
down_revision: str | None = "0006_special_reason"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROUTE_ROUNDS = ["route_id", "step", "started_at", "attempt"]
LATER_ROUNDS = ["step", "attempt", "started_at", "route_key", "route_id", "opd_code"]
COMMANDS = ["step", "command", "finished_at", "opd_code"]


def upgrade() -> None:
    with op.batch_alter_table("step_events", schema=None) as batch_op:
        batch_op.create_index("ix_step_events_route_rounds", ROUTE_ROUNDS, unique=False)
        batch_op.create_index("ix_step_events_later_rounds", LATER_ROUNDS, unique=False)
        batch_op.create_index("ix_step_events_commands", COMMANDS, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("step_events", schema=None) as batch_op:
        batch_op.drop_index("ix_step_events_commands")
        batch_op.drop_index("ix_step_events_later_rounds")
        batch_op.drop_index("ix_step_events_route_rounds")
