"""why a complaint is on the special track (issue 14)

Revision ID: 0006_special_reason
Revises: 0005_branches
Create Date: 2026-12-02 09:00:00

Issue 14 point 6: the reason given with KHUSUS (a field review, cross-sector coordination) is kept
with the case, with who gave it and when, for the timeline, the mails that follow and the
reports' special-track lists.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from mailflow.adapters.db.types import UTCDateTime

revision: str = "0006_special_reason"
down_revision: str | None = "0005_branches"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("special_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("special_by", sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column("special_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("special_at")
        batch_op.drop_column("special_by")
        batch_op.drop_column("special_reason")
