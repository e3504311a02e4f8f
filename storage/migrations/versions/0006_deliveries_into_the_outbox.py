"""deliveries: scheduled messages move into the one outbox; the deliveries table goes

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 06:00:00

Each ``deliveries`` row becomes an outbox row with the dedupe key
``<kind>:<subject>:<local day>`` (a weekly summary: one per channel it reached), keeping its
status, so nothing sent today is sent again and nothing claimed but unsent is lost.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_deliveries = sa.table(
    "deliveries",
    sa.column("id", sa.Integer()),
    sa.column("team_id", sa.Integer()),
    sa.column("kind", sa.String()),
    sa.column("subject", sa.String()),
    sa.column("local_day", sa.Date()),
    sa.column("status", sa.String()),
    sa.column("attempts", sa.Integer()),
    sa.column("claimed_at", sa.DateTime(timezone=True)),
    sa.column("next_attempt_at", sa.DateTime(timezone=True)),
    sa.column("sent_at", sa.DateTime(timezone=True)),
    sa.column("last_error", sa.Text()),
    sa.column("payload", sa.JSON()),
)
_outbox = sa.table(
    "outbox",
    sa.column("id", sa.Integer()),
    sa.column("kind", sa.String()),
    sa.column("platform", sa.String()),
    sa.column("team_id", sa.Integer()),
    sa.column("channel_link_id", sa.Integer()),
    sa.column("person_id", sa.Integer()),
    sa.column("payload", sa.JSON()),
    sa.column("status", sa.String()),
    sa.column("attempts", sa.Integer()),
    sa.column("next_attempt_at", sa.DateTime(timezone=True)),
    sa.column("last_error", sa.Text()),
    sa.column("dedupe_key", sa.String()),
    sa.column("deadline", sa.DateTime(timezone=True)),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("sent_at", sa.DateTime(timezone=True)),
)
_links = sa.table(
    "channel_links",
    sa.column("id", sa.Integer()),
    sa.column("team_id", sa.Integer()),
    sa.column("platform", sa.String()),
    sa.column("tenant", sa.String()),
    sa.column("channel_id", sa.String()),
)
_STATUS = {"claimed": "pending", "sent": "sent", "failed": "failed"}


def _row(d: Any, **values: Any) -> dict[str, Any]:
    status = _STATUS.get(d.status, "failed")
    row = {
        "kind": d.kind,
        "platform": "none",
        "team_id": d.team_id,
        "channel_link_id": None,
        "person_id": None,
        "payload": {},
        "status": status,
        "attempts": d.attempts,
        "next_attempt_at": d.next_attempt_at or d.claimed_at,
        "last_error": d.last_error,
        "dedupe_key": f"{d.kind}:{d.subject}:{d.local_day.isoformat()}",
        "deadline": None,
        "created_at": d.claimed_at,
        "sent_at": d.sent_at,
    }
    row.update(values)
    return row


def upgrade() -> None:
    conn = op.get_bind()
    links = {
        (link.platform, link.tenant, link.channel_id): link.id
        for link in conn.execute(sa.select(_links))
    }
    link_ids = {link.id for link in conn.execute(sa.select(_links.c.id))}
    rows: list[dict[str, Any]] = []
    for d in conn.execute(sa.select(_deliveries).order_by(_deliveries.c.id)):
        payload = dict(d.payload or {})
        if d.kind == "weekly_summary":
            # One row per channel that got it; an unsent channel is written again by the
            # next tick of its day (no key yet).
            for link_id in payload.get("sent_link_ids", []):
                if link_id in link_ids:
                    rows.append(
                        _row(
                            d,
                            status="sent",
                            channel_link_id=link_id,
                            dedupe_key=f"weekly_summary:channel:{link_id}:{d.local_day}",
                        )
                    )
            continue
        if d.kind == "team_sweep" or not payload:
            rows.append(_row(d))
            continue
        target = payload.get("target") or {}
        expires = payload.pop("expires_at", None)
        deadline = (
            dt.datetime.fromisoformat(expires).astimezone(dt.UTC)
            if isinstance(expires, str)
            else None
        )
        if d.kind == "escalation" and d.subject.startswith("commitment:"):
            payload["commitment_id"] = int(d.subject.split(":", 1)[1])
        if "channel_id" in target:
            key = (target.get("platform"), target.get("tenant"), target.get("channel_id"))
            link_id = links.get(key)
            if link_id is None:
                continue  # the channel was unlinked: nothing to send it to
            target["link_id"] = link_id
            rows.append(
                _row(
                    d,
                    platform=target["platform"],
                    channel_link_id=link_id,
                    payload=payload,
                    deadline=deadline,
                )
            )
        else:
            rows.append(
                _row(
                    d,
                    platform="any",
                    person_id=target.get("person_id"),
                    payload=payload,
                    deadline=deadline,
                )
            )
    if rows:
        op.bulk_insert(_outbox, rows)
    op.drop_table("deliveries")


def downgrade() -> None:
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("subject", sa.String(length=100), nullable=False),
        sa.Column("local_day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=100), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_deliveries_team_id_teams")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint(
            "kind", "subject", "local_day", name=op.f("uq_deliveries_kind_subject_local_day")
        ),
    )
    op.create_index(
        "ix_deliveries_status_next", "deliveries", ["status", "next_attempt_at"], unique=False
    )
    # What was sent (or planned) stays recorded for the old scheduler, so it sends nothing
    # twice today; messages still pending are dropped with the new layout's rows.
    conn = op.get_bind()
    kinds = ("owner_nudge", "channel_digest", "escalation", "team_sweep")
    back = []
    for row in conn.execute(
        sa.select(_outbox).where(_outbox.c.kind.in_(kinds), _outbox.c.dedupe_key.is_not(None))
    ):
        kind, rest = row.dedupe_key.split(":", 1)
        subject, _, day = rest.rpartition(":")
        back.append(
            {
                "team_id": row.team_id,
                "kind": kind,
                "subject": subject,
                "local_day": dt.date.fromisoformat(day),
                "status": "sent" if row.status == "sent" else "failed",
                "attempts": row.attempts,
                "claimed_at": row.created_at,
                "sent_at": row.sent_at,
                "last_error": row.last_error,
                "payload": row.payload,
            }
        )
    if back:
        op.bulk_insert(_deliveries, back)
    op.execute(
        sa.delete(_outbox).where(
            _outbox.c.kind.in_((*kinds, "weekly_summary", "reply"))
            | _outbox.c.channel_link_id.is_(None)
        )
    )
