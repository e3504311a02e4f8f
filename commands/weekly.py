"""The weekly joint delivery summary: which week, its figures, and the rows of each sheet.

Platform-neutral and format-neutral: this module decides what the summary says;
``integrations.spreadsheet`` decides how a workbook shows it, and the
``summary`` command how a chat message does.

**The week** is an ISO week (Monday to Sunday) in the team's timezone: from
local Monday 00:00 up to, not including, the next local Monday 00:00. The
default is the last full week: the one before the week that contains today.

**The figures**, overall and per department. A record's department is the
snapshot taken when it was logged or reassigned (``department_id`` on the
record), not the person's department today; records without one count under
"(no department)", so the departments always add up to the totals.

- *decisions made*: decisions logged in the week, whatever their status now
  (a decision superseded later in the week still counts, and so does the one
  that superseded it);
- *commitments made*: commitments logged in the week, whatever their status now;
- *completed*: commitments marked done in the week (``done_at`` in the week);
- *completed on time*: of those, the ones done on or before their due date,
  comparing the team-local date of ``done_at`` with ``due_date``; a commitment
  completed with no due date counts as on time (nobody can have been waiting
  for a date that was never set). *Completed on time (%)* is on time /
  completed, and is ``None`` (shown as "—") when nothing was completed;
- *escalated*: commitments whose escalation (``escalated_at``) happened in the week;
- *open*, *overdue now*, *blocked*: the state **at the moment the summary is
  made** (``now``), not at the end of the week; the log keeps no point-in-time
  snapshots of open work. Open includes blocked (blocked is still open work);
  overdue is ``commands.rules``' rule: open and due before the team's today.

**The sheets' rows** come out of generators over batched, column-only queries
(``yield_per``), never one query per row, so 10,000 commitments stream through
without loading ORM objects.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from commands.language import CommandError
from commands.rules import (
    OPEN_STATES,
    days_overdue_on,
    local_today,
    matching_area,
    overdue_clause,
    risk_rating,
    row_is_overdue,
)
from storage.models import (
    Area,
    AreaRole,
    Commitment,
    Decision,
    Department,
    LadderStep,
    Person,
    Proposal,
    ProposalDecider,
    Risk,
    Team,
    TeamMember,
)

NO_DEPARTMENT = "(no department)"
BATCH = 1000
SUMMARY_USAGE = "summary [this week|last week|YYYY-Www]"
_WEEK = re.compile(r"^(\d{4})-?w(\d{1,2})$", re.IGNORECASE)


# --- weeks -----------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class IsoWeek:
    year: int
    week: int

    @classmethod
    def containing(cls, day: dt.date) -> IsoWeek:
        iso = day.isocalendar()
        return cls(iso.year, iso.week)

    @classmethod
    def from_label(cls, text: str) -> IsoWeek:
        """``2026-W47`` (also ``2026w47``) -> IsoWeek; ValueError when it is not a real week."""
        match = _WEEK.match(text.strip().replace(" ", ""))
        if not match:
            raise ValueError(f"not an ISO week: {text!r}")
        year, number = int(match.group(1)), int(match.group(2))
        dt.date.fromisocalendar(year, number, 1)  # ValueError for W00, W54, W53 in 52-week years
        return cls(year, number)

    @property
    def label(self) -> str:
        """``2026-W47``."""
        return f"{self.year}-W{self.week:02d}"

    @property
    def monday(self) -> dt.date:
        return dt.date.fromisocalendar(self.year, self.week, 1)

    @property
    def sunday(self) -> dt.date:
        return self.monday + dt.timedelta(days=6)

    def bounds(self, timezone: str) -> tuple[dt.datetime, dt.datetime]:
        """[start, end) in UTC: local Monday 00:00 to the next local Monday 00:00."""
        tz = ZoneInfo(timezone)
        start = dt.datetime.combine(self.monday, dt.time(0), tzinfo=tz)
        end = dt.datetime.combine(self.monday + dt.timedelta(days=7), dt.time(0), tzinfo=tz)
        return start.astimezone(dt.UTC), end.astimezone(dt.UTC)

    def span(self) -> str:
        """``Mon 16 Nov – Sun 22 Nov 2026``."""
        first, last = self.monday, self.sunday
        return (
            f"{first:%a} {first.day} {first:%b}"
            + (f" {first.year}" if first.year != last.year else "")
            + f" – {last:%a} {last.day} {last:%b %Y}"
        )

    def __str__(self) -> str:
        return self.label


def last_full_week(today: dt.date) -> IsoWeek:
    """The week before the one containing ``today`` (the default summary week)."""
    return IsoWeek.containing(today - dt.timedelta(days=7))


def parse_week(text: str | None, *, today: dt.date) -> IsoWeek:
    """``this week``, ``last week``, ``2026-W47`` (also ``2026w47``), or nothing for the last
    full week. A week that has not started yet, or does not exist, is a CommandError."""
    spoken = " ".join((text or "").split()).lower()
    if not spoken:
        return last_full_week(today)
    if spoken in ("this week", "this", "current week", "week"):
        return IsoWeek.containing(today)
    if spoken in ("last week", "last", "previous week"):
        return last_full_week(today)
    match = _WEEK.match(spoken.replace(" ", ""))
    if not match:
        raise CommandError(
            f'"{text}" is not a week. Say this week, last week, or a week like '
            f"{IsoWeek.containing(today).label}.",
            usage=SUMMARY_USAGE,
        )
    year, number = int(match.group(1)), int(match.group(2))
    try:
        dt.date.fromisocalendar(year, number, 1)
    except ValueError:
        raise CommandError(
            f"{year} has no week {number}; ISO weeks run from W01 to W52 (W53 in some years).",
            usage=SUMMARY_USAGE,
        ) from None
    week = IsoWeek(year, number)
    if year < 2000:
        raise CommandError(f"{week.label} is before this log began.", usage=SUMMARY_USAGE)
    if week > IsoWeek.containing(today):
        raise CommandError(f"{week.label} hasn't started yet.", usage=SUMMARY_USAGE)
    return week


def summary_filename(team_name: str, week: IsoWeek) -> str:
    """``joinedup-rough-sleeping-2026-W47.xlsx``: ASCII letters, digits and dashes only."""
    ascii_name = unicodedata.normalize("NFKD", team_name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.casefold()).strip("-")[:60].strip("-")
    return f"joinedup-{slug or 'team'}-{week.label}.xlsx"


# --- figures ---------------------------------------------------------------------------------


@dataclass
class Figures:
    """The headline figures of one week (see the module docstring for each definition)."""

    decisions_made: int = 0
    commitments_made: int = 0
    completed: int = 0
    completed_on_time: int = 0
    open: int = 0
    overdue: int = 0
    escalated: int = 0
    blocked: int = 0

    @property
    def on_time_ratio(self) -> float | None:
        """Completed on time / completed, or None when nothing was completed."""
        return self.completed_on_time / self.completed if self.completed else None

    @property
    def on_time_percent(self) -> int | None:
        ratio = self.on_time_ratio
        return None if ratio is None else round(ratio * 100)

    def as_dict(self) -> dict[str, int | None]:
        values: dict[str, int | None] = {f.name: getattr(self, f.name) for f in fields(self)}
        values["completed_on_time_percent"] = self.on_time_percent
        return values


# (attribute, label) in the order every view shows them.
FIGURE_LABELS: tuple[tuple[str, str], ...] = (
    ("decisions_made", "Decisions made"),
    ("commitments_made", "Commitments made"),
    ("completed", "Completed"),
    ("completed_on_time", "Completed on time"),
    ("on_time_percent", "Completed on time (%)"),
    ("open", "Open"),
    ("overdue", "Overdue now"),
    ("escalated", "Escalated"),
    ("blocked", "Blocked"),
)


@dataclass
class DepartmentFigures:
    name: str
    figures: Figures = field(default_factory=Figures)


# --- rows --------------------------------------------------------------------------------------


class DecisionRow(NamedTuple):
    ref: str
    decided_at: dt.datetime  # team-local, naive
    text: str
    rationale: str | None
    decided_by: str
    department: str | None
    status: str
    supersedes: str | None
    link: str | None
    # "agreed by Sam (Health), Kim (Police)" for a proposal agreed, else "recorded".
    how: str = "recorded"


class ProposalRow(NamedTuple):
    ref: str
    text: str
    proposed_by: str
    decide_by: dt.date | None
    agreed: str
    objected: str
    waiting_for: str


class EscalatedRow(NamedTuple):
    ref: str
    text: str
    why: str  # overdue commitment, blocked commitment, red risk, proposal past its deadline
    step: int  # how high on the ladder (1 = the bottom step)
    to: str
    on: dt.date  # team-local day the step was taken


ESCALATION_KINDS = {
    "overdue": "overdue commitment",
    "blocked": "blocked commitment",
    "red_risk": "red risk",
    "proposal": "proposal past its deadline",
}


class CommitmentRow(NamedTuple):
    ref: str
    text: str
    owner: str
    department: str | None
    created: dt.date  # team-local
    due: dt.date | None
    status: str
    done_on: dt.date | None  # team-local
    days_overdue: int
    days_late: int  # done after its due date: by how many days (else 0)
    escalated_on: dt.date | None  # team-local
    link: str | None


class OverdueRow(NamedTuple):
    ref: str
    text: str
    owner: str
    department: str | None
    due: dt.date
    days_overdue: int
    status: str
    accountable: str | None
    escalated_on: dt.date | None
    link: str | None


class RiskRow(NamedTuple):
    ref: str
    text: str
    impact: str
    likelihood: str
    rating: str  # red / amber / green (commands.rules.risk_rating)
    owner: str | None
    department: str | None
    status: str
    logged: dt.date  # team-local


class OwnershipRow(NamedTuple):
    area: str
    responsible: str
    responsible_departments: str
    accountable: str
    accountable_department: str
    consulted: str
    consulted_departments: str
    informed: str
    informed_departments: str


# --- the report --------------------------------------------------------------------------------


@dataclass
class WeeklyReport:
    """One team's week: figures computed on load, sheet rows streamed on demand.

    The row generators query ``session`` when iterated, so iterate them while
    the unit of work that loaded the report is still open.
    """

    session: Session
    team_id: int
    team_name: str
    timezone: str
    week: IsoWeek
    now: dt.datetime
    totals: Figures
    departments: list[DepartmentFigures]

    @property
    def today(self) -> dt.date:
        return local_today(self.now, self.timezone)

    @property
    def generated_at(self) -> dt.datetime:
        """``now`` in team time, naive (spreadsheets have no timezones)."""
        return self._local(self.now)

    @property
    def start(self) -> dt.datetime:
        return self.week.bounds(self.timezone)[0]

    @property
    def end(self) -> dt.datetime:
        return self.week.bounds(self.timezone)[1]

    def _local(self, moment: dt.datetime) -> dt.datetime:
        return moment.astimezone(ZoneInfo(self.timezone)).replace(tzinfo=None)

    def _local_date(self, moment: dt.datetime | None) -> dt.date | None:
        return None if moment is None else moment.astimezone(ZoneInfo(self.timezone)).date()

    # Sheet rows ------------------------------------------------------------------------------

    def decisions(self) -> Iterator[DecisionRow]:
        """The decisions logged in the week, in number order."""
        decided_by, dept = aliased(Person), aliased(Department)
        superseded = aliased(Decision)
        stmt = (
            select(
                Decision.number,
                Decision.created_at,
                Decision.text,
                Decision.rationale,
                decided_by.display_name,
                dept.name,
                Decision.status,
                superseded.number,
                Decision.source_link,
            )
            .join(decided_by, decided_by.id == Decision.decided_by_id)
            .outerjoin(dept, dept.id == Decision.department_id)
            .outerjoin(superseded, superseded.id == Decision.supersedes_id)
            .where(
                Decision.team_id == self.team_id,
                Decision.created_at >= self.start,
                Decision.created_at < self.end,
            )
            .order_by(Decision.number)
            .execution_options(yield_per=BATCH)
        )
        agreed = self._agreed_by()
        for (
            number,
            created,
            text,
            rationale,
            who,
            dept_name,
            status,
            old,
            link,
        ) in self.session.execute(stmt):
            yield DecisionRow(
                how=agreed.get(number, "recorded"),
                ref=f"D-{number}",
                decided_at=self._local(created),
                text=text,
                rationale=rationale,
                decided_by=who,
                department=dept_name,
                status=status,
                supersedes=f"D-{old}" if old is not None else None,
                link=link,
            )

    # Proposals and the escalation ladder (issue 16) -------------------------------------

    def _agreed_by(self) -> dict[int, str]:
        """``{decision number: "agreed by ..."}`` for the week's decisions agreed from a
        proposal (one query; every other decision was recorded)."""
        found: dict[int, list[str]] = defaultdict(list)
        for number, who, dept_name in self.session.execute(
            select(Decision.number, Person.display_name, Department.name)
            .join(Proposal, Proposal.decision_id == Decision.id)
            .join(ProposalDecider, ProposalDecider.proposal_id == Proposal.id)
            .join(Person, Person.id == ProposalDecider.person_id)
            .join(Department, Department.id == ProposalDecider.department_id)
            .where(
                Decision.team_id == self.team_id,
                Decision.created_at >= self.start,
                Decision.created_at < self.end,
                ProposalDecider.answer == "agree",
            )
            .order_by(Decision.number, ProposalDecider.id)
        ):
            found[number].append(f"{who} ({dept_name})")
        return {n: "agreed by " + ", ".join(names) for n, names in found.items()}

    def open_proposals(self) -> list[ProposalRow]:
        """Proposals open now, with who has not answered yet."""
        rows: list[ProposalRow] = []
        for p in self.session.scalars(
            select(Proposal)
            .where(Proposal.team_id == self.team_id, Proposal.status == "open")
            .order_by(Proposal.number)
        ):
            answers: dict[str | None, list[str]] = {"agree": [], "object": [], None: []}
            for d in p.deciders:
                answers.setdefault(d.answer, []).append(
                    f"{d.person.display_name} ({d.department.name})"
                )
            rows.append(
                ProposalRow(
                    ref=f"P-{p.number}",
                    text=p.text,
                    proposed_by=p.proposed_by.display_name,
                    decide_by=p.decide_by,
                    agreed=", ".join(answers["agree"]),
                    objected=", ".join(answers["object"]),
                    waiting_for=", ".join(answers[None]),
                )
            )
        return rows

    def escalated(self) -> list[EscalatedRow]:
        """Items on the escalation ladder now (their current round): how high, to whom."""
        latest: dict[str, LadderStep] = {}
        rounds: dict[str, int] = {}
        for step in self.session.scalars(
            select(LadderStep)
            .where(LadderStep.team_id == self.team_id)
            .order_by(LadderStep.item, LadderStep.round, LadderStep.rung)
        ):
            if step.round > rounds.get(step.item, -1):
                rounds[step.item] = step.round
                latest.pop(step.item, None)
            if step.rung > 0:
                latest[step.item] = step
        rows: list[EscalatedRow] = []
        for item, step in sorted(latest.items(), key=lambda kv: (kv[1].local_day, kv[0])):
            entity, _, raw_id = item.partition(":")
            described = self._describe(entity, int(raw_id))
            if described is None:
                continue
            ref, text = described
            rows.append(
                EscalatedRow(
                    ref=ref,
                    text=text,
                    why=ESCALATION_KINDS.get(step.kind, step.kind),
                    step=step.rung,
                    to=step.to or "",
                    on=step.local_day,
                )
            )
        return rows

    def _describe(self, entity: str, entity_id: int) -> tuple[str, str] | None:
        """An item still escalated (open) as (ref, text); None once it is closed."""
        if entity == "commitment":
            c = self.session.get(Commitment, entity_id)
            return (f"C-{c.number}", c.text) if c and c.status in OPEN_STATES else None
        if entity == "risk":
            r = self.session.get(Risk, entity_id)
            return (f"R-{r.number}", r.text) if r and r.status == "open" else None
        p = self.session.get(Proposal, entity_id)
        return (f"P-{p.number}", p.text) if p and p.status == "open" else None

    def commitments(self) -> Iterator[CommitmentRow]:
        """Open commitments (open or blocked, now) plus those closed in the week: done
        (``done_at`` in the week) or cancelled (last changed, ``updated_at``, in the week:
        the log has no separate cancellation time); overdue first, then by due date (undated
        last), then by number."""
        today = self.today
        overdue_now = overdue_clause(today)
        for row in self._commitment_rows(
            or_(
                Commitment.status.in_(OPEN_STATES),
                and_(
                    Commitment.status == "done",
                    Commitment.done_at >= self.start,
                    Commitment.done_at < self.end,
                ),
                and_(
                    Commitment.status == "cancelled",
                    Commitment.updated_at >= self.start,
                    Commitment.updated_at < self.end,
                ),
            ),
            order_by=(
                case((overdue_now, 0), else_=1),
                Commitment.due_date.is_(None),
                Commitment.due_date,
                Commitment.number,
            ),
        ):
            number, text, owner, dept_name, created, due, status, done_at, escalated, link = row
            late = days_overdue_on(status, due, today)
            done_on = self._local_date(done_at)
            yield CommitmentRow(
                ref=f"C-{number}",
                text=text,
                owner=owner,
                department=dept_name,
                created=self._local_date(created) or today,
                due=due,
                status=status,
                done_on=done_on,
                days_overdue=late,
                days_late=days_late(status, due, done_on),
                escalated_on=self._local_date(escalated),
                link=link,
            )

    def overdue(self) -> Iterator[OverdueRow]:
        """Overdue commitments now, most overdue first (then by number), each with the person
        accountable for it: the accountable person of its area (``commands.rules.matching_area``,
        the same rule that picks whom an escalation goes to), else the team's leads.
        """
        today = self.today
        areas, accountable_for = self._accountable_by_area()
        leads = self._leads()
        for row in self._commitment_rows(
            overdue_clause(today),
            order_by=(Commitment.due_date, Commitment.number),
        ):
            number, text, owner, dept_name, _created, due, status, _done, escalated, link = row
            area = matching_area(areas, text)
            accountable = accountable_for[area.id] if area is not None else leads
            yield OverdueRow(
                ref=f"C-{number}",
                text=text,
                owner=owner,
                department=dept_name,
                due=due,
                days_overdue=days_overdue_on(status, due, today),
                status=status,
                accountable=accountable,
                escalated_on=self._local_date(escalated),
                link=link,
            )

    def risks(self) -> Iterator[RiskRow]:
        """The whole risk register: open risks first, then closed; within each, by rating
        (impact x likelihood, highest first), then by number."""
        owner, dept = aliased(Person), aliased(Department)
        stmt = (
            select(
                Risk.number,
                Risk.text,
                Risk.impact,
                Risk.likelihood,
                owner.display_name,
                dept.name,
                Risk.status,
                Risk.created_at,
            )
            .outerjoin(owner, owner.id == Risk.owner_id)
            .outerjoin(dept, dept.id == owner.department_id)
            .where(Risk.team_id == self.team_id)
            .order_by((Risk.status == "open").desc(), risk_score_column().desc(), Risk.number)
            .execution_options(yield_per=BATCH)
        )
        for (
            number,
            text,
            impact,
            likelihood,
            who,
            dept_name,
            status,
            created,
        ) in self.session.execute(stmt):
            yield RiskRow(
                ref=f"R-{number}",
                text=text,
                impact=impact,
                likelihood=likelihood,
                rating=risk_rating(impact=impact, likelihood=likelihood),
                owner=who,
                department=dept_name,
                status=status,
                logged=self._local_date(created) or self.today,
            )

    def ownership(self) -> Iterator[OwnershipRow]:
        """Every area with its current (not ended) R, A, C and I people and their departments
        (each person's department today), areas in name order."""
        person, dept = aliased(Person), aliased(Department)
        stmt = (
            select(Area.id, Area.name, AreaRole.role, person.display_name, dept.name)
            .outerjoin(AreaRole, and_(AreaRole.area_id == Area.id, AreaRole.ended_at.is_(None)))
            .outerjoin(person, person.id == AreaRole.person_id)
            .outerjoin(dept, dept.id == person.department_id)
            .where(Area.team_id == self.team_id)
            .order_by(Area.key, Area.id, AreaRole.id)
            .execution_options(yield_per=BATCH)
        )
        current: int | None = None
        name = ""
        people: dict[str, list[str]] = defaultdict(list)
        depts: dict[str, list[str]] = defaultdict(list)
        for area_id, area_name, role, who, dept_name in self.session.execute(stmt):
            if area_id != current:
                if current is not None:
                    yield _ownership_row(name, people, depts)
                current, name = area_id, area_name
                people, depts = defaultdict(list), defaultdict(list)
            if role is not None and who is not None:
                people[role].append(who)
                if dept_name and dept_name not in depts[role]:
                    depts[role].append(dept_name)
        if current is not None:
            yield _ownership_row(name, people, depts)

    # Helpers ---------------------------------------------------------------------------------

    def _commitment_rows(
        self, condition: ColumnElement[bool], *, order_by: tuple[Any, ...]
    ) -> Iterable[Any]:
        owner, dept = aliased(Person), aliased(Department)
        stmt = (
            select(
                Commitment.number,
                Commitment.text,
                owner.display_name,
                dept.name,
                Commitment.created_at,
                Commitment.due_date,
                Commitment.status,
                Commitment.done_at,
                Commitment.escalated_at,
                Commitment.source_link,
            )
            .join(owner, owner.id == Commitment.owner_id)
            .outerjoin(dept, dept.id == Commitment.department_id)
            .where(Commitment.team_id == self.team_id, condition)
            .order_by(*order_by)
            .execution_options(yield_per=BATCH)
        )
        return self.session.execute(stmt)

    def _accountable_by_area(self) -> tuple[list[Area], dict[int, str]]:
        """The team's areas that have an accountable person, and who that is for each."""
        areas: list[Area] = []
        accountable_for: dict[int, str] = {}
        rows = self.session.execute(
            select(Area, Person.display_name)
            .join(AreaRole, AreaRole.area_id == Area.id)
            .join(Person, Person.id == AreaRole.person_id)
            .where(
                Area.team_id == self.team_id,
                AreaRole.role == "accountable",
                AreaRole.ended_at.is_(None),
            )
            .order_by(AreaRole.created_at, AreaRole.id)
        )
        for area, who in rows:
            if area.id not in accountable_for:
                areas.append(area)
                accountable_for[area.id] = who
        return areas, accountable_for

    def _leads(self) -> str | None:
        names = self.session.scalars(
            select(Person.display_name)
            .join(TeamMember, TeamMember.person_id == Person.id)
            .where(TeamMember.team_id == self.team_id, TeamMember.role == "lead")
            .order_by(TeamMember.joined_at, TeamMember.id)
        ).all()
        return ", ".join(names) if names else None


def risk_score_column() -> ColumnElement[int]:
    """``commands.rules.risk_rating``'s score (impact x likelihood, 1 to 9) in SQL."""
    level = {"low": 1, "medium": 2, "high": 3}
    return case(level, value=Risk.impact, else_=2) * case(level, value=Risk.likelihood, else_=2)


def days_late(status: str, due: dt.date | None, done_on: dt.date | None) -> int:
    """How many days after its due date a commitment was done (team-local dates), else 0."""
    if status != "done" or due is None or done_on is None or done_on <= due:
        return 0
    return (done_on - due).days


def _ownership_row(
    name: str, people: dict[str, list[str]], depts: dict[str, list[str]]
) -> OwnershipRow:
    def joined(values: list[str]) -> str:
        return ", ".join(values)

    return OwnershipRow(
        area=name,
        responsible=joined(people["responsible"]),
        responsible_departments=joined(depts["responsible"]),
        accountable=joined(people["accountable"]),
        accountable_department=joined(depts["accountable"]),
        consulted=joined(people["consulted"]),
        consulted_departments=joined(depts["consulted"]),
        informed=joined(people["informed"]),
        informed_departments=joined(depts["informed"]),
    )


# --- loading -------------------------------------------------------------------------------------


def load_report(session: Session, team: Team, week: IsoWeek, *, now: dt.datetime) -> WeeklyReport:
    """Compute the week's figures (a handful of batched queries) and return the report."""
    start, end = week.bounds(team.timezone)
    today = local_today(now, team.timezone)
    tz = ZoneInfo(team.timezone)
    by_dept: dict[int | None, Figures] = defaultdict(Figures)

    decided = session.execute(
        select(Decision.department_id, func.count())
        .where(
            Decision.team_id == team.id,
            Decision.created_at >= start,
            Decision.created_at < end,
        )
        .group_by(Decision.department_id)
    )
    for dept_id, count in decided:
        by_dept[dept_id].decisions_made += int(count)

    def within(column: Any) -> ColumnElement[bool]:
        return and_(column >= start, column < end)

    # One pass over the commitments that can count for anything: open now, or made,
    # done or escalated in the week. Plain tuples, streamed.
    rows = session.execute(
        select(
            Commitment.department_id,
            Commitment.status,
            Commitment.due_date,
            Commitment.created_at,
            Commitment.done_at,
            Commitment.escalated_at,
        )
        .where(
            Commitment.team_id == team.id,
            or_(
                Commitment.status.in_(OPEN_STATES),
                within(Commitment.created_at),
                within(Commitment.done_at),
                within(Commitment.escalated_at),
            ),
        )
        .execution_options(yield_per=BATCH)
    )
    for dept_id, status, due, created, done_at, escalated in rows:
        figures = by_dept[dept_id]
        if start <= created < end:
            figures.commitments_made += 1
        if status == "done" and done_at is not None and start <= done_at < end:
            figures.completed += 1
            if due is None or done_at.astimezone(tz).date() <= due:
                figures.completed_on_time += 1
        if escalated is not None and start <= escalated < end:
            figures.escalated += 1
        if status in OPEN_STATES:
            figures.open += 1
            if status == "blocked":
                figures.blocked += 1
            if row_is_overdue(status, due, today):
                figures.overdue += 1

    known = [d for d in by_dept if d is not None]
    names: dict[int, str] = {
        dept_id: name
        for dept_id, name in session.execute(
            select(Department.id, Department.name).where(Department.id.in_(known))
        )
    }
    departments = sorted(
        (
            DepartmentFigures(name=names.get(d, NO_DEPARTMENT) if d else NO_DEPARTMENT, figures=f)
            for d, f in by_dept.items()
        ),
        key=lambda d: (d.name == NO_DEPARTMENT, d.name.casefold()),
    )
    totals = Figures()
    for d in departments:
        for f in fields(Figures):
            setattr(totals, f.name, getattr(totals, f.name) + getattr(d.figures, f.name))
    return WeeklyReport(
        session=session,
        team_id=team.id,
        team_name=team.name,
        timezone=team.timezone,
        week=week,
        now=now,
        totals=totals,
        departments=departments,
    )
