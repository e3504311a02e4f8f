"""The rules of the joint log: what is open, what is overdue, who may change what."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from storage.models import Commitment

OPEN_STATES = ("open", "blocked")
CLOSED_STATES = ("done", "cancelled")


def local_today(now: dt.datetime, timezone: str) -> dt.date:
    """The team's calendar date at ``now`` (UTC): due dates and nudge days are local."""
    return now.astimezone(ZoneInfo(timezone)).date()


def is_open(commitment: Commitment) -> bool:
    return commitment.status in OPEN_STATES


def is_overdue(commitment: Commitment, today: dt.date) -> bool:
    """Past its due date in the team's timezone and still open (blocked counts as open)."""
    return (
        commitment.status in OPEN_STATES
        and commitment.due_date is not None
        and commitment.due_date < today
    )


def days_overdue(commitment: Commitment, today: dt.date) -> int:
    if not is_overdue(commitment, today) or commitment.due_date is None:
        return 0
    return (today - commitment.due_date).days


def may_change_commitment(*, actor_id: int, commitment: Commitment, actor_is_lead: bool) -> bool:
    """Only the owner, the person who logged it, or a team lead may close, cancel or
    reassign someone else's commitment."""
    return actor_is_lead or actor_id in (commitment.owner_id, commitment.created_by_id)


_LEVEL = {"low": 1, "medium": 2, "high": 3}


def risk_rating(*, impact: str, likelihood: str) -> str:
    """RAG rating from a 3x3 impact x likelihood grid: 6 and above red, 3 and above amber."""
    score = _LEVEL.get(impact, 2) * _LEVEL.get(likelihood, 2)
    return "red" if score >= 6 else "amber" if score >= 3 else "green"
