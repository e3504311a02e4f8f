"""The rules of the joint log: what is open, what is overdue, who may change what."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_

from storage.models import Area, Commitment, Decision, Measure, Risk

OPEN_STATES = ("open", "blocked")
CLOSED_STATES = ("done", "cancelled")


def local_today(now: dt.datetime, timezone: str) -> dt.date:
    """The team's calendar date at ``now`` (UTC): due dates and nudge days are local."""
    return now.astimezone(ZoneInfo(timezone)).date()


def is_open(commitment: Commitment) -> bool:
    return commitment.status in OPEN_STATES


# --- overdue: one rule, in Python and in SQL ---------------------------------------------------
#
# A commitment is overdue when it is still open (blocked counts as open: it is work not yet
# done) and its due date is before the team's today (``local_today``): due Monday, it is
# overdue from Tuesday. An undated commitment is never overdue. ``row_is_overdue`` and
# ``overdue_clause`` are the two spellings of that rule; tests/integration/test_overdue_rule.py
# checks on a real database that they agree row by row.


def row_is_overdue(status: str, due: dt.date | None, today: dt.date) -> bool:
    """The rule on plain values (a row read without its ORM object)."""
    return status in OPEN_STATES and due is not None and due < today


def overdue_clause(today: dt.date) -> ColumnElement[bool]:
    """The rule as a SQL condition on ``commitments`` for a team whose today is ``today``.

    Never NULL (an undated row is false, not unknown), so it can be negated, counted with
    ``case`` or selected as a column and still agree with ``row_is_overdue``."""
    return and_(
        Commitment.status.in_(OPEN_STATES),
        Commitment.due_date.is_not(None),
        Commitment.due_date < today,
    )


def days_overdue_on(status: str, due: dt.date | None, today: dt.date) -> int:
    """Days past due (calendar days) when ``row_is_overdue``, else 0."""
    if not row_is_overdue(status, due, today) or due is None:
        return 0
    return (today - due).days


def is_overdue(commitment: Commitment, today: dt.date) -> bool:
    """Past its due date in the team's timezone and still open (blocked counts as open)."""
    return row_is_overdue(commitment.status, commitment.due_date, today)


def days_overdue(commitment: Commitment, today: dt.date) -> int:
    return days_overdue_on(commitment.status, commitment.due_date, today)


# --- who may change what ---------------------------------------------------------------------
#
# One rule per kind of record, and the words a refusal uses to say who may. Logging is open
# to anyone in the team; changing what someone else owns, decided or is accountable for is not.

WHO_MAY = {
    "commitment": "the owner, whoever logged it, or a team lead",
    "risk": "its owner, whoever logged it, or a team lead",
    "decision": "whoever made or logged it, the accountable person of its area, or a team lead",
    "area": "its accountable person or a team lead",
}


def may_change_commitment(*, actor_id: int, commitment: Commitment, actor_is_lead: bool) -> bool:
    """Only the owner, the person who logged it, or a team lead may close, cancel, block,
    reassign, re-date or snooze someone else's commitment."""
    return actor_is_lead or actor_id in (commitment.owner_id, commitment.created_by_id)


def may_change_risk(*, actor_id: int, risk: Risk, actor_is_lead: bool) -> bool:
    """A risk is closed, re-rated or reassigned by its owner, whoever logged it, or a lead."""
    return actor_is_lead or actor_id in (risk.owner_id, risk.created_by_id)


def may_supersede_decision(
    *, actor_id: int, decision: Decision, accountable_id: int | None, actor_is_lead: bool
) -> bool:
    """A decision is superseded by whoever made (logged) it, the accountable person of the
    area it belongs to (``matching_area`` on its text), or a lead."""
    return actor_is_lead or actor_id in (decision.decided_by_id, accountable_id)


def may_take_accountable(
    *, actor_id: int, current_accountable_id: int | None, actor_is_lead: bool
) -> bool:
    """An area's accountable role is changed by its current accountable person or a lead;
    claiming an area nobody is accountable for is free."""
    return current_accountable_id is None or actor_is_lead or actor_id == current_accountable_id


# --- defaults ---------------------------------------------------------------------------------

# The public-holiday calendar a new team gets from its timezone (``holidays`` codes).
_HOLIDAYS_BY_TIMEZONE = {
    "Europe/London": ("GB-ENG", "England and Wales"),
    "Europe/Belfast": ("GB-NIR", "Northern Ireland"),
    "Europe/Dublin": ("IE", "Ireland"),
}


def default_holidays(timezone: str) -> str | None:
    """The calendar that follows ``timezone``: Europe/London means England and Wales bank
    holidays (a Scottish or Welsh team says ``team set holidays GB-SCT``)."""
    found = _HOLIDAYS_BY_TIMEZONE.get(timezone)
    return found[0] if found else None


def holidays_name(code: str | None) -> str:
    """``GB-ENG`` -> ``England and Wales bank holidays (GB-ENG)``; None -> ``none``."""
    if code is None:
        return "none"
    for known, name in _HOLIDAYS_BY_TIMEZONE.values():
        if known == code:
            return f"{name} bank holidays ({code})"
    return code


def may_change_measure(*, actor_id: int, measure: Measure, actor_is_lead: bool) -> bool:
    """The same rule as for records: only the measure's owner, whoever added it, or a team
    lead may edit or retire it."""
    return actor_is_lead or actor_id in (measure.owner_id, measure.created_by_id)


# A risk's impact and likelihood, lowest first.
RISK_LEVELS = ("low", "medium", "high")
_LEVEL = {level: n for n, level in enumerate(RISK_LEVELS, start=1)}


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
