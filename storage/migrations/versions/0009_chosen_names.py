"""people.name_chosen: a name set with `me name` wins over a platform profile's name

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 06:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN (SQLite supports it with a constant default): a batch rebuild of
    # `people` would drop a table that commitments and memberships point at, which SQLite
    # refuses with foreign keys on once the database holds records.
    op.add_column(
        "people",
        sa.Column("name_chosen", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    # SQLite (3.35 and later) drops a column in place; a batch rebuild of `people` would be
    # refused, as in upgrade().
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE people DROP COLUMN name_chosen")
    else:
        op.drop_column("people", "name_chosen")
