"""outcome_statements, measures, measure_values, measure_links: the shared outcome and its
joint measures

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 05:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outcome_statements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("set_by_id", sa.Integer(), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["set_by_id"], ["people.id"], name=op.f("fk_outcome_statements_set_by_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_outcome_statements_team_id_teams")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcome_statements")),
    )
    op.create_index(
        op.f("ix_outcome_statements_team_id"), "outcome_statements", ["team_id"], unique=False
    )
    op.create_table(
        "measures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("unit", sa.String(length=40), nullable=True),
        sa.Column("baseline", sa.Float(), nullable=True),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("target_date", sa.Date(), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("frequency", sa.String(length=10), nullable=False),
        sa.Column("lower_is_better", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["people.id"], name=op.f("fk_measures_created_by_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_measures_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["people.id"], name=op.f("fk_measures_owner_id_people")
        ),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_measures_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measures")),
        sa.UniqueConstraint("team_id", "number", name=op.f("uq_measures_team_id_number")),
    )
    op.create_table(
        "measure_values",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("measure_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["measure_id"], ["measures.id"], name=op.f("fk_measure_values_measure_id_measures")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["people.id"],
            name=op.f("fk_measure_values_recorded_by_id_people"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measure_values")),
        sa.UniqueConstraint(
            "measure_id", "period", name=op.f("uq_measure_values_measure_id_period")
        ),
    )
    op.create_index(
        op.f("ix_measure_values_measure_id"), "measure_values", ["measure_id"], unique=False
    )
    op.create_table(
        "measure_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("measure_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=1), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["people.id"], name=op.f("fk_measure_links_created_by_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["measure_id"], ["measures.id"], name=op.f("fk_measure_links_measure_id_measures")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measure_links")),
        sa.UniqueConstraint(
            "measure_id",
            "kind",
            "record_id",
            name=op.f("uq_measure_links_measure_id_kind_record_id"),
        ),
    )
    op.create_index(
        op.f("ix_measure_links_measure_id"), "measure_links", ["measure_id"], unique=False
    )
    # Existing teams number their measures from M-1 too (new teams get the counter on creation).
    op.execute("INSERT INTO counters (team_id, kind, last_number) SELECT id, 'M', 0 FROM teams")


def downgrade() -> None:
    op.execute("DELETE FROM counters WHERE kind = 'M'")
    op.drop_index(op.f("ix_measure_links_measure_id"), table_name="measure_links")
    op.drop_table("measure_links")
    op.drop_index(op.f("ix_measure_values_measure_id"), table_name="measure_values")
    op.drop_table("measure_values")
    op.drop_table("measures")
    op.drop_index(op.f("ix_outcome_statements_team_id"), table_name="outcome_statements")
    op.drop_table("outcome_statements")
