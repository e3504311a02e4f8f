"""proposals, department deciders and the escalation ladder

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 06:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade() -> None:
    op.add_column(
        "teams",
        sa.Column("ladder", sa.String(200), nullable=False, server_default="accountable, lead"),
    )
    if op.get_bind().dialect.name == "sqlite":
        # SQLite cannot ALTER in a constraint, but takes an inline REFERENCES on ADD COLUMN
        # (a batch copy of `teams` would have to drop a table that others reference).
        op.execute("ALTER TABLE teams ADD COLUMN sro_id INTEGER REFERENCES people (id)")
    else:
        op.add_column("teams", sa.Column("sro_id", sa.Integer(), nullable=True))
        op.create_foreign_key(op.f("fk_teams_sro_id_people"), "teams", "people", ["sro_id"], ["id"])
    for column, days in (
        ("blocked_escalation_days", "3"),
        ("risk_escalation_days", "5"),
        ("proposal_escalation_days", "1"),
    ):
        op.add_column("teams", sa.Column(column, sa.Integer(), nullable=False, server_default=days))

    op.create_table(
        "department_deciders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        _fk("department_deciders", "team_id", "teams"),
        _fk("department_deciders", "department_id", "departments"),
        _fk("department_deciders", "person_id", "people"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_department_deciders")),
    )
    op.create_index(
        "ix_department_deciders_team_dept", "department_deciders", ["team_id", "department_id"]
    )

    op.create_table(
        "proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=True),
        sa.Column("proposed_by_id", sa.Integer(), nullable=False),
        sa.Column("decide_by", sa.Date(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=True),
        sa.Column("source_platform", sa.String(20), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        _fk("proposals", "team_id", "teams"),
        _fk("proposals", "proposed_by_id", "people"),
        _fk("proposals", "decision_id", "decisions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposals")),
        sa.UniqueConstraint("team_id", "number", name=op.f("uq_proposals_team_id_number")),
    )

    op.create_table(
        "proposal_deciders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("answer", sa.String(10), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        _fk("proposal_deciders", "proposal_id", "proposals"),
        _fk("proposal_deciders", "department_id", "departments"),
        _fk("proposal_deciders", "person_id", "people"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposal_deciders")),
        sa.UniqueConstraint(
            "proposal_id", "department_id", name=op.f("uq_proposal_deciders_proposal_id")
        ),
    )
    op.create_index(op.f("ix_proposal_deciders_proposal_id"), "proposal_deciders", ["proposal_id"])
    op.create_index(op.f("ix_proposal_deciders_person_id"), "proposal_deciders", ["person_id"])

    op.create_table(
        "proposal_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        _fk("proposal_comments", "proposal_id", "proposals"),
        _fk("proposal_comments", "person_id", "people"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposal_comments")),
    )
    op.create_index(op.f("ix_proposal_comments_proposal_id"), "proposal_comments", ["proposal_id"])

    op.create_table(
        "ladder_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(60), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("rung", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(20), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("to", sa.String(300), nullable=True),
        sa.Column("local_day", sa.Date(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        _fk("ladder_steps", "team_id", "teams"),
        _fk("ladder_steps", "person_id", "people"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ladder_steps")),
        sa.UniqueConstraint("item", "round", "rung", name=op.f("uq_ladder_steps_item")),
    )
    op.create_index(op.f("ix_ladder_steps_team_id"), "ladder_steps", ["team_id"])
    # A commitment escalated before the ladder existed has taken its first step: it must
    # not be escalated again from the bottom.
    day = "date(escalated_at)" if op.get_bind().dialect.name == "sqlite" else "escalated_at::date"
    op.execute(
        "INSERT INTO ladder_steps (team_id, item, kind, round, rung, step, local_day, at) "
        f"SELECT team_id, 'commitment:' || id, 'overdue', 0, 1, 'before-ladder', {day}, "
        "escalated_at FROM commitments WHERE escalated_at IS NOT NULL"
    )
    # Proposals are numbered P-1, P-2 ... per team, from the same gap-free counters.
    op.execute("INSERT INTO counters (team_id, kind, last_number) SELECT id, 'P', 0 FROM teams")


def downgrade() -> None:
    op.execute("DELETE FROM counters WHERE kind = 'P'")
    op.drop_table("ladder_steps")
    op.drop_table("proposal_comments")
    op.drop_table("proposal_deciders")
    op.drop_table("proposals")
    op.drop_table("department_deciders")
    with op.batch_alter_table("teams") as batch:
        for column in (
            "proposal_escalation_days",
            "risk_escalation_days",
            "blocked_escalation_days",
            "sro_id",
            "ladder",
        ):
            batch.drop_column(column)
