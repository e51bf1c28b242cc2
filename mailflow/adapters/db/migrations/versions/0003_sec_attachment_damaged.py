"""damaged attachments and the parser's defects (issue 11)

Revision ID: 0002_sec_mime
Revises: 0002_sec_letters
Create Date: 2026-12-01 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_sec_mime"
down_revision: str | None = "0002_sec_letters"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("message_attachments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("damaged", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("defects", sa.Text(), nullable=True))
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("defects", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("defects")
    with op.batch_alter_table("message_attachments", schema=None) as batch_op:
        batch_op.drop_column("defects")
        batch_op.drop_column("damaged")
