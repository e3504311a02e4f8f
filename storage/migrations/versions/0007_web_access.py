"""web access: team viewers, sign-in links, browser sessions, API tokens

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 06:00:00
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, *, nullable: bool = False) -> sa.Column[dt.datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "team_viewers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=False),
        _when("created_at"),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_team_viewers_team_id_teams")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_team_viewers_person_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["added_by_id"], ["people.id"], name=op.f("fk_team_viewers_added_by_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_viewers")),
        sa.UniqueConstraint("team_id", "person_id", name=op.f("uq_team_viewers_team_id_person_id")),
    )
    op.create_index(op.f("ix_team_viewers_team_id"), "team_viewers", ["team_id"])
    op.create_index(op.f("ix_team_viewers_person_id"), "team_viewers", ["person_id"])
    for table in ("web_sign_ins", "web_sessions"):
        extra = (
            [_when("expires_at"), _when("used_at", nullable=True)]
            if table == "web_sign_ins"
            else [_when("last_seen_at")]
        )
        op.create_table(
            table,
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("token_hash", sa.String(length=64), nullable=False),
            sa.Column("person_id", sa.Integer(), nullable=False),
            _when("created_at"),
            *extra,
            sa.ForeignKeyConstraint(
                ["person_id"], ["people.id"], name=op.f(f"fk_{table}_person_id_people")
            ),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
            sa.UniqueConstraint("token_hash", name=op.f(f"uq_{table}_token_hash")),
        )
        op.create_index(op.f(f"ix_{table}_person_id"), table, ["person_id"])
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        _when("created_at"),
        _when("last_used_at", nullable=True),
        _when("revoked_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_api_tokens_team_id_teams")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("label", name=op.f("uq_api_tokens_label")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_index(op.f("ix_api_tokens_team_id"), "api_tokens", ["team_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_api_tokens_team_id"), table_name="api_tokens")
    op.drop_table("api_tokens")
    for table in ("web_sessions", "web_sign_ins"):
        op.drop_index(op.f(f"ix_{table}_person_id"), table_name=table)
        op.drop_table(table)
    op.drop_index(op.f("ix_team_viewers_person_id"), table_name="team_viewers")
    op.drop_index(op.f("ix_team_viewers_team_id"), table_name="team_viewers")
    op.drop_table("team_viewers")
