"""deliveries: index the scheduler's "what is due to send" lookup

Revision ID: 0003
Revises: 0002_slack_oauth
Create Date: 2026-11-21 03:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002_slack_oauth"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_deliveries_status_next", "deliveries", ["status", "next_attempt_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_deliveries_status_next", table_name="deliveries")
