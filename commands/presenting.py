"""How records read in a Reply: one place, so Slack, Teams, the console and nudges agree."""

from __future__ import annotations

import datetime as dt
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.orm import object_session

from commands.reply import Button, Field, Item
from commands.rules import OPEN_STATES, days_overdue_on, row_is_overdue
from storage.models import Base, Decision, Department, Person, Risk, Team


class ShownCommitment(Protocol):
    """What a commitment's item reads: a ``Commitment`` of the log, or a reminder sweep's
    plain ``SweptCommitment`` (``commands.reminder_plan``), which has these columns only."""

    @property
    def team_id(self) -> int: ...
    @property
    def number(self) -> int: ...
    @property
    def text(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def due_date(self) -> dt.date | None: ...
    @property
    def blocked_reason(self) -> str | None: ...
    @property
    def snoozed_until(self) -> dt.date | None: ...
    @property
    def done_at(self) -> dt.datetime | None: ...
    @property
    def cancelled_reason(self) -> str | None: ...
    @property
    def source_link(self) -> str | None: ...
    @property
    def owner(self) -> Person: ...
    @property
    def department(self) -> Department | None: ...


def ref(kind: str, number: int) -> str:
    return f"{kind}-{number}"


def day(d: dt.date | None) -> str:
    """``Fri 27 Nov 2026``."""
    return d.strftime("%a %d %b %Y").replace(" 0", " ") if d else "no date"


def local_time(moment: dt.datetime, timezone: str) -> str:
    """``Mon 30 Nov 2026 09:15 GMT``: a stored UTC moment as the team reads it."""
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{day(local.date())} {local:%H:%M %Z}"


def team_timezone(record: ShownCommitment | Decision) -> str:
    """The timezone of the record's team (from the session's identity map when loaded; a
    record that is not the ORM's, such as a sweep's, has no session to ask)."""
    session = object_session(record) if isinstance(record, Base) else None
    team = session.get(Team, record.team_id) if session is not None else None
    return team.timezone if team is not None else "Europe/London"


def due_phrase(commitment: ShownCommitment, today: dt.date) -> str:
    if commitment.due_date is None:
        return "no due date"
    text = day(commitment.due_date)
    if row_is_overdue(commitment.status, commitment.due_date, today):
        n = days_overdue_on(commitment.status, commitment.due_date, today)
        return f"{text} (overdue by {n} day{'s' if n != 1 else ''})"
    if commitment.status in OPEN_STATES and commitment.due_date == today:
        return f"{text} (today)"
    return text


def person_name(person: Person | None) -> str:
    return person.display_name if person else "nobody"


def person_with_department(person: Person | None) -> str:
    if person is None:
        return "nobody"
    if person.department is not None:
        return f"{person.display_name} ({person.department.name})"
    return person.display_name


def status_phrase(commitment: ShownCommitment, today: dt.date) -> str:
    if commitment.status == "blocked":
        return f"blocked: {commitment.blocked_reason}"
    if (
        commitment.status == "open"
        and commitment.snoozed_until
        and commitment.snoozed_until > today
    ):
        return f"open (snoozed until {day(commitment.snoozed_until)})"
    if row_is_overdue(commitment.status, commitment.due_date, today):
        return "overdue"
    return commitment.status


def commitment_buttons(commitment: ShownCommitment) -> tuple[Button, ...]:
    r = ref("C", commitment.number)
    if commitment.status not in OPEN_STATES:
        return (Button("Reopen", f"reopen {r}"),)
    return (
        Button("Done", f"done {r}", style="primary"),
        Button("Snooze 1 day", f"snooze {r} for 1 day"),
        Button("Snooze 1 week", f"snooze {r} for 1 week"),
        Button("Reassign", f"reassign {r}", picks_person=True),
    )


def commitment_fields(commitment: ShownCommitment, today: dt.date) -> tuple[Field, ...]:
    fields = [
        Field("Owner", commitment.owner.display_name),
        Field("Department", commitment.department.name if commitment.department else "—"),
        Field("Due", due_phrase(commitment, today)),
        Field("Status", status_phrase(commitment, today)),
    ]
    if commitment.status == "done" and commitment.done_at:
        fields.append(Field("Done", local_time(commitment.done_at, team_timezone(commitment))))
    if commitment.status == "cancelled" and commitment.cancelled_reason:
        fields.append(Field("Cancelled", commitment.cancelled_reason))
    return tuple(fields)


def commitment_item(commitment: ShownCommitment, today: dt.date, *, buttons: bool = True) -> Item:
    return Item(
        title=commitment.text,
        ref=ref("C", commitment.number),
        fields=commitment_fields(commitment, today),
        buttons=commitment_buttons(commitment) if buttons else (),
        highlight=row_is_overdue(commitment.status, commitment.due_date, today),
        link=commitment.source_link,
    )


def decision_fields(decision: Decision) -> tuple[Field, ...]:
    fields = [
        Field("Decided by", decision.decided_by.display_name),
        Field("Department", decision.department.name if decision.department else "—"),
        Field("When", local_time(decision.created_at, team_timezone(decision))),
    ]
    if decision.rationale:
        fields.insert(0, Field("Because", decision.rationale))
    if decision.status != "active":
        fields.append(Field("Status", decision.status))
    return tuple(fields)


def decision_item(decision: Decision) -> Item:
    return Item(
        title=decision.text,
        ref=ref("D", decision.number),
        fields=decision_fields(decision),
        link=decision.source_link,
    )


def risk_item(risk: Risk, rating: str) -> Item:
    return Item(
        title=risk.text,
        ref=ref("R", risk.number),
        fields=(
            Field("Impact", risk.impact),
            Field("Likelihood", risk.likelihood),
            Field("Rating", rating),
            Field("Owner", person_name(risk.owner)),
            Field("Status", risk.status),
        ),
        highlight=rating == "red" and risk.status == "open",
    )
