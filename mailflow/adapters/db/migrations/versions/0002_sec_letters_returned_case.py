"""returned files name their case and route

Revision ID: 0002_sec_letters
Revises: 0001
Create Date: 2026-11-30 18:00:00.000000

A refused file is shown at the step 8 of its case's timeline (`mailflow case`), also when the file
names no letter but came as the answer to that case's step-8 mail. Existing rows take the case of
the letter they name.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_sec_letters"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("returned_files", schema=None) as batch_op:
        batch_op.add_column(sa.Column("case_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("route_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_returned_files_case_id"), ["case_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_returned_files_case_id_cases"), "cases", ["case_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_returned_files_route_id_case_routes"), "case_routes", ["route_id"], ["id"]
        )
    op.execute(
        "UPDATE returned_files SET"
        " case_id = (SELECT documents.case_id FROM documents WHERE documents.id = returned_files.document_id),"
        " route_id = (SELECT documents.route_id FROM documents WHERE documents.id = returned_files.document_id)"
        " WHERE document_id IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("returned_files", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_returned_files_route_id_case_routes"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_returned_files_case_id_cases"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_returned_files_case_id"))
        batch_op.drop_column("route_id")
        batch_op.drop_column("case_id")
