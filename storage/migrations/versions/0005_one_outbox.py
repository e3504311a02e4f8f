"""outbox: one table for everything that leaves the bot later (targets, lease, dedupe, deadline)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 05:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.alter_column("team_id", existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column("channel_link_id", existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column(
            "claimed_by", new_column_name="leased_by", existing_type=sa.String(length=100)
        )
        batch_op.add_column(sa.Column("person_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("address", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("leased_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("dedupe_key", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("deadline", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_outbox_person_id_people"), "people", ["person_id"], ["id"]
        )
        batch_op.create_unique_constraint(batch_op.f("uq_outbox_dedupe_key"), ["dedupe_key"])


def downgrade() -> None:
    # Rows that only the new layout can hold (replies, person targets) cannot go back.
    op.execute("DELETE FROM outbox WHERE channel_link_id IS NULL OR team_id IS NULL")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_outbox_dedupe_key"), type_="unique")
        batch_op.drop_constraint(batch_op.f("fk_outbox_person_id_people"), type_="foreignkey")
        batch_op.drop_column("deadline")
        batch_op.drop_column("dedupe_key")
        batch_op.drop_column("leased_until")
        batch_op.drop_column("address")
        batch_op.drop_column("person_id")
        batch_op.alter_column(
            "leased_by", new_column_name="claimed_by", existing_type=sa.String(length=100)
        )
        batch_op.alter_column("channel_link_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("team_id", existing_type=sa.Integer(), nullable=False)
