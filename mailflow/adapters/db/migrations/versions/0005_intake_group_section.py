"""an action mail's section of a grouped mail (issue 14)

Revision ID: 0004_intake
Revises: 0003_perf
Create Date: 2026-12-01 10:00:00

Issue 14 point 7: action mails to one directory person are bundled into one grouped mail per
`sending.group_minutes`; each keeps what its section of that mail shows (outbox.group_section).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_intake"
down_revision: str | None = "0003_perf"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("group_section", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("group_section")
