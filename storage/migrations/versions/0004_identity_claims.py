"""identity_claims: `me is <email>` waits for `me confirm <code>` from the other account

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "identity_claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("claimant_id", sa.Integer(), nullable=False),
        sa.Column("holder_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["claimant_id"], ["people.id"], name=op.f("fk_identity_claims_claimant_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["holder_id"], ["people.id"], name=op.f("fk_identity_claims_holder_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_claims")),
        sa.UniqueConstraint("code", name=op.f("uq_identity_claims_code")),
    )
    op.create_index(
        op.f("ix_identity_claims_claimant_id"), "identity_claims", ["claimant_id"], unique=False
    )
    op.create_index(
        op.f("ix_identity_claims_holder_id"), "identity_claims", ["holder_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_identity_claims_holder_id"), table_name="identity_claims")
    op.drop_index(op.f("ix_identity_claims_claimant_id"), table_name="identity_claims")
    op.drop_table("identity_claims")
