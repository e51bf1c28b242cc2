"""the branches a complaint takes: rounds, returned routes, letter revisions, complainant replies
and answers

Revision ID: 0005_branches
Revises: 0004_intake
Create Date: 2026-11-30 21:00:00.000000

Issue 13: a closed case may be reopened (cases.round), the follow-up question is asked once
(cases.followup_asked_at), a route may be returned or sent back with a note (case_routes.note), a
response letter may be revised under the same number (documents.revision), and the
complainant's replies and answers are kept (complainant_replies, case_answers).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from mailflow.adapters.db.types import UTCDateTime

revision: str = "0005_branches"
down_revision: str | None = "0004_intake"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("round", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("followup_asked_at", UTCDateTime(), nullable=True))
    with op.batch_alter_table("case_routes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("note", sa.Text(), nullable=True))
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revision", sa.Integer(), server_default="0", nullable=False))
    op.create_table(
        "complainant_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("after_close", sa.Boolean(), nullable=False),
        sa.Column("verb", sa.String(length=30), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("attachments", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id"),
    )
    op.create_index("ix_complainant_replies_case_id", "complainant_replies", ["case_id"], unique=False)
    op.create_table(
        "case_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.String(length=20), nullable=False),
        sa.Column("verb", sa.String(length=30), nullable=False),
        sa.Column("positive", sa.Boolean(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("answered_at", UTCDateTime(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("changes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "question"),
    )
    op.create_index("ix_case_answers_answered_at", "case_answers", ["answered_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_case_answers_answered_at", table_name="case_answers")
    op.drop_table("case_answers")
    op.drop_index("ix_complainant_replies_case_id", table_name="complainant_replies")
    op.drop_table("complainant_replies")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_column("revision")
    with op.batch_alter_table("case_routes", schema=None) as batch_op:
        batch_op.drop_column("note")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("followup_asked_at")
        batch_op.drop_column("round")
