"""The rules of the joint log: what is open, what is overdue, who may change what."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from functools import lru_cache
from zoneinfo import ZoneInfo

from storage.models import Area, Commitment, Measure

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


def may_change_measure(*, actor_id: int, measure: Measure, actor_is_lead: bool) -> bool:
    """The same rule as for records: only the measure's owner, whoever added it, or a team
    lead may edit or retire it."""
    return actor_is_lead or actor_id in (measure.owner_id, measure.created_by_id)


_LEVEL = {"low": 1, "medium": 2, "high": 3}


def risk_rating(*, impact: str, likelihood: str) -> str:
    """RAG rating from a 3x3 impact x likelihood grid: 6 and above red, 3 and above amber."""
    score = _LEVEL.get(impact, 2) * _LEVEL.get(likelihood, 2)
    return "red" if score >= 6 else "amber" if score >= 3 else "green"


# --- who an escalation goes to ---------------------------------------------------------------

_STOPWORDS = frozenset(
    "a an and the of for to in on at by with is are be it this that who what owns own "
    "our we us my me do does about re".split()
)


@lru_cache(maxsize=4096)
def keywords(text: str) -> frozenset[str]:
    """The words that carry a topic: case-folded, small words dropped, a plural "s" cut."""
    words = set()
    for w in re.findall(r"[\w'-]+", text.casefold()):
        w = w.strip("'-")
        if len(w) < 2 or w in _STOPWORDS:
            continue
        if len(w) > 4 and w.endswith("s") and not w.endswith("ss"):
            w = w[:-1]
        words.add(w)
    return frozenset(words)


def matching_area(areas: Iterable[Area], commitment_text: str) -> Area | None:
    """The area a commitment belongs to: whose accountable person is escalated to, and who
    is named accountable on the weekly summary's Overdue sheet.

    The rule: an area matches when every keyword of its name (words of two or more
    letters, case-folded, a plural "s" dropped, small words like "the" and "of"
    ignored) appears as a word in the commitment's text. Area "Data sharing"
    matches "Finish the data-sharing agreement" and "Share data" does not match
    "data sharing". When several match, the most specific wins: the most
    keywords, then the longest name, then the oldest area. No match: None.
    """
    text_words = keywords(commitment_text.replace("-", " "))
    best: tuple[int, int, float, int] | None = None
    found: Area | None = None
    for area in areas:
        words = keywords(area.name.replace("-", " "))
        if not words or not words <= text_words:
            continue
        rank = (len(words), len(area.name), -area.created_at.timestamp(), -area.id)
        if best is None or rank > best:
            best, found = rank, area
    return found
