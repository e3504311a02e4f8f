"""Read models for the live view and the JSON API: query functions that take a session and
return plain data (frozen dataclasses of str, int, dates). They change nothing.

The weekly figures are ``commands.weekly``'s (``load_report``), never recomputed here.
Every list is one COUNT and one page query (plus, for commitments, nothing per row), so the
number of SQL statements for a page does not grow with the number of records.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from commands.rules import (
    OPEN_STATES,
    RISK_LEVELS,
    days_overdue_on,
    local_today,
    overdue_clause,
    risk_rating,
)
from commands.weekly import (
    Figures,
    IsoWeek,
    OwnershipRow,
    WeeklyReport,
    days_late,
    load_report,
    risk_score_column,
)
from storage.models import (
    AuditEvent,
    Commitment,
    Decision,
    Department,
    Person,
    Risk,
    Team,
    TeamMember,
)

T = TypeVar("T")
PER_PAGE = 50
MAX_PER_PAGE = 200
COMMITMENT_STATUSES = ("open", "overdue", "blocked", "done", "cancelled", "all")
RISK_STATUSES = ("open", "closed", "all")
TREND_WEEKS = 12


class ViewError(ValueError):
    """A filter or page that cannot be shown: the message says which and why."""


@dataclass(frozen=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def page_bounds(page: int, per_page: int | None) -> tuple[int, int | None]:
    """(offset, limit) of a page; ``per_page=None`` is every row at once (downloads)."""
    if per_page is None:
        return 0, None
    if page < 1:
        raise ViewError("page must be 1 or more")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise ViewError(f"per_page must be between 1 and {MAX_PER_PAGE}")
    return (page - 1) * per_page, per_page


# --- commitments ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CommitmentView:
    ref: str
    number: int
    text: str
    owner: str
    department: str | None
    status: str
    created_on: dt.date
    due: dt.date | None
    overdue: bool
    days_overdue: int
    done_on: dt.date | None
    days_late: int
    escalated_on: dt.date | None
    blocked_reason: str | None
    source_link: str | None


def _local_date(moment: dt.datetime | None, tz: ZoneInfo) -> dt.date | None:
    return None if moment is None else moment.astimezone(tz).date()


def _commitment_from_row(row: Any, *, today: dt.date, tz: ZoneInfo) -> CommitmentView:
    (number, text, owner, dept, status, created, due, done_at, escalated, reason, link) = row
    late = days_overdue_on(status, due, today)
    done_on = _local_date(done_at, tz) if status == "done" else None
    return CommitmentView(
        ref=f"C-{number}",
        number=number,
        text=text,
        owner=owner,
        department=dept,
        status=status,
        created_on=_local_date(created, tz) or today,
        due=due,
        overdue=late > 0,
        days_overdue=late,
        done_on=done_on,
        days_late=days_late(status, due, done_on),
        escalated_on=_local_date(escalated, tz),
        blocked_reason=reason,
        source_link=link,
    )


def _commitment_select() -> Any:
    owner, dept = aliased(Person), aliased(Department)
    stmt = (
        select(
            Commitment.number,
            Commitment.text,
            owner.display_name,
            dept.name,
            Commitment.status,
            Commitment.created_at,
            Commitment.due_date,
            Commitment.done_at,
            Commitment.escalated_at,
            Commitment.blocked_reason,
            Commitment.source_link,
        )
        .join(owner, owner.id == Commitment.owner_id)
        .outerjoin(dept, dept.id == Commitment.department_id)
    )
    return stmt, owner, dept


def commitments(
    session: Session,
    team: Team,
    *,
    now: dt.datetime,
    status: str = "open",
    department: str | None = None,
    owner: str | None = None,
    page: int = 1,
    per_page: int | None = PER_PAGE,
) -> Page[CommitmentView]:
    """A team's commitments filtered by status (``COMMITMENT_STATUSES``), department name and
    owner (display name, handle or email, case-insensitive), overdue first, then by due date
    (undated last), then by number."""
    if status not in COMMITMENT_STATUSES:
        raise ViewError(f"status must be one of {', '.join(COMMITMENT_STATUSES)}")
    offset, limit = page_bounds(page, per_page)
    for name, value in (("department", department), ("owner", owner)):
        if value is not None and ("\x00" in value or len(value) > 320):
            raise ViewError(f"{name} is not a name this log could hold")
    today = local_today(now, team.timezone)
    tz = ZoneInfo(team.timezone)
    stmt, owner_t, dept_t = _commitment_select()
    is_overdue = overdue_clause(today)
    conditions: list[Any] = [Commitment.team_id == team.id]
    if status == "open":
        conditions.append(Commitment.status.in_(OPEN_STATES))
    elif status == "overdue":
        conditions.append(is_overdue)
    elif status != "all":
        conditions.append(Commitment.status == status)
    if department:
        if department.casefold() == "none":
            conditions.append(Commitment.department_id.is_(None))
        else:
            conditions.append(func.lower(dept_t.name) == department.strip().casefold())
    if owner:
        who = owner.strip().lstrip("@").casefold()
        conditions.append(
            or_(
                func.lower(owner_t.display_name) == who,
                func.lower(owner_t.handle) == who,
                func.lower(owner_t.email) == who,
            )
        )
    total = session.scalar(
        select(func.count())
        .select_from(Commitment)
        .join(owner_t, owner_t.id == Commitment.owner_id)
        .outerjoin(dept_t, dept_t.id == Commitment.department_id)
        .where(*conditions)
    )
    rows = session.execute(
        stmt.where(*conditions)
        .order_by(
            case((is_overdue, 0), else_=1),
            Commitment.due_date.is_(None),
            Commitment.due_date,
            Commitment.number,
        )
        .offset(offset)
        .limit(limit)
    )
    items = tuple(_commitment_from_row(r, today=today, tz=tz) for r in rows)
    return Page(
        items=items, total=int(total or 0), page=page, per_page=per_page or max(1, len(items))
    )


# --- decisions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DecisionView:
    ref: str
    number: int
    text: str
    rationale: str | None
    decided_by: str
    department: str | None
    status: str
    decided_on: dt.date
    supersedes: str | None
    superseded_by: str | None
    source_link: str | None


def _decision_rows(
    session: Session,
    team: Team,
    *conditions: Any,
    offset: int = 0,
    limit: int | None = None,
) -> tuple[DecisionView, ...]:
    """Decisions of ``team`` matching ``conditions``, newest first, with both chain links."""
    tz = ZoneInfo(team.timezone)
    who, dept = aliased(Person), aliased(Department)
    older, newer = aliased(Decision), aliased(Decision)
    rows = session.execute(
        select(
            Decision.number,
            Decision.text,
            Decision.rationale,
            who.display_name,
            dept.name,
            Decision.status,
            Decision.created_at,
            older.number,
            newer.number,
            Decision.source_link,
        )
        .join(who, who.id == Decision.decided_by_id)
        .outerjoin(dept, dept.id == Decision.department_id)
        .outerjoin(older, older.id == Decision.supersedes_id)
        .outerjoin(newer, newer.id == Decision.superseded_by_id)
        .where(Decision.team_id == team.id, *conditions)
        .order_by(Decision.number.desc())
        .offset(offset)
        .limit(limit)
    )
    return tuple(
        DecisionView(
            ref=f"D-{n}",
            number=n,
            text=text,
            rationale=rationale,
            decided_by=by,
            department=dept_name,
            status=st,
            decided_on=created.astimezone(tz).date(),
            supersedes=f"D-{old}" if old is not None else None,
            superseded_by=f"D-{new}" if new is not None else None,
            source_link=link,
        )
        for n, text, rationale, by, dept_name, st, created, old, new, link in rows
    )


def decisions(
    session: Session,
    team: Team,
    *,
    status: str = "all",
    page: int = 1,
    per_page: int | None = PER_PAGE,
) -> Page[DecisionView]:
    """A team's decisions, newest first; each names the one it supersedes and the one that
    superseded it (a record's page shows the whole chain: ``record``)."""
    if status not in ("active", "superseded", "all"):
        raise ViewError("status must be one of active, superseded, all")
    offset, limit = page_bounds(page, per_page)
    conditions: list[Any] = [] if status == "all" else [Decision.status == status]
    total = session.scalar(
        select(func.count()).select_from(Decision).where(Decision.team_id == team.id, *conditions)
    )
    items = _decision_rows(session, team, *conditions, offset=offset, limit=limit)
    return Page(
        items=items, total=int(total or 0), page=page, per_page=per_page or max(1, len(items))
    )


# --- risks ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RiskView:
    ref: str
    number: int
    text: str
    impact: str
    likelihood: str
    rating: str
    owner: str | None
    status: str
    logged_on: dt.date


@dataclass(frozen=True)
class RiskGrid:
    """Open risks counted by impact (rows, high first) and likelihood (columns, low first)."""

    cells: tuple[tuple[tuple[str, str, str, int], ...], ...]  # (impact, likelihood, rating, n)


def risks(
    session: Session,
    team: Team,
    *,
    status: str = "open",
    page: int = 1,
    per_page: int | None = PER_PAGE,
) -> Page[RiskView]:
    """The risk register: by rating (red, amber, green), then by number; closed risks keep
    their rating but are never shown as live."""
    if status not in RISK_STATUSES:
        raise ViewError(f"status must be one of {', '.join(RISK_STATUSES)}")
    offset, limit = page_bounds(page, per_page)
    tz = ZoneInfo(team.timezone)
    score = risk_score_column()
    conditions: list[Any] = [Risk.team_id == team.id]
    if status != "all":
        conditions.append(Risk.status == status)
    total = session.scalar(select(func.count()).select_from(Risk).where(*conditions))
    owner = aliased(Person)
    rows = session.execute(
        select(
            Risk.number,
            Risk.text,
            Risk.impact,
            Risk.likelihood,
            owner.display_name,
            Risk.status,
            Risk.created_at,
        )
        .outerjoin(owner, owner.id == Risk.owner_id)
        .where(*conditions)
        .order_by((Risk.status == "open").desc(), score.desc(), Risk.number)
        .offset(offset)
        .limit(limit)
    )
    items = tuple(
        RiskView(
            ref=f"R-{n}",
            number=n,
            text=text,
            impact=impact,
            likelihood=likelihood,
            rating=risk_rating(impact=impact, likelihood=likelihood),
            owner=who,
            status=st,
            logged_on=created.astimezone(tz).date(),
        )
        for n, text, impact, likelihood, who, st, created in rows
    )
    return Page(
        items=items, total=int(total or 0), page=page, per_page=per_page or max(1, len(items))
    )


def risk_grid(session: Session, team: Team) -> RiskGrid:
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for impact, likelihood, n in session.execute(
        select(Risk.impact, Risk.likelihood, func.count())
        .where(Risk.team_id == team.id, Risk.status == "open")
        .group_by(Risk.impact, Risk.likelihood)
    ):
        counts[(impact, likelihood)] += int(n)
    return RiskGrid(
        cells=tuple(
            tuple(
                (i, li, risk_rating(impact=i, likelihood=li), counts[(i, li)]) for li in RISK_LEVELS
            )
            for i in reversed(RISK_LEVELS)
        )
    )


# --- ownership and people ----------------------------------------------------------------------


def _report_shell(session: Session, team: Team, now: dt.datetime) -> WeeklyReport:
    """A WeeklyReport without figures, for its row generators (ownership) alone."""
    return WeeklyReport(
        session=session,
        team_id=team.id,
        team_name=team.name,
        timezone=team.timezone,
        week=IsoWeek.containing(local_today(now, team.timezone)),
        now=now,
        totals=Figures(),
        departments=[],
    )


def ownership(session: Session, team: Team, *, now: dt.datetime) -> list[OwnershipRow]:
    """Each area's current R, A, C and I people and departments (``WeeklyReport.ownership``)."""
    return list(_report_shell(session, team, now).ownership())


@dataclass(frozen=True)
class PersonView:
    name: str
    handle: str | None
    department: str | None
    role: str
    open_commitments: int
    overdue_commitments: int


def people(session: Session, team: Team, *, now: dt.datetime) -> list[PersonView]:
    today = local_today(now, team.timezone)
    open_counts = (
        select(
            Commitment.owner_id.label("owner_id"),
            func.count().label("open"),
            func.sum(case((overdue_clause(today), 1), else_=0)).label("overdue"),
        )
        .where(Commitment.team_id == team.id, Commitment.status.in_(OPEN_STATES))
        .group_by(Commitment.owner_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Person.display_name,
            Person.handle,
            Department.name,
            TeamMember.role,
            open_counts.c.open,
            open_counts.c.overdue,
        )
        .join(TeamMember, TeamMember.person_id == Person.id)
        .outerjoin(Department, Department.id == Person.department_id)
        .outerjoin(open_counts, open_counts.c.owner_id == Person.id)
        .where(TeamMember.team_id == team.id)
        .order_by(func.lower(Person.display_name), Person.id)
    )
    return [
        PersonView(
            name=name,
            handle=handle,
            department=dept,
            role=role,
            open_commitments=int(n or 0),
            overdue_commitments=int(o or 0),
        )
        for name, handle, dept, role, n, o in rows
    ]


# --- the overview -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Count:
    name: str
    count: int


@dataclass(frozen=True)
class WeekTrend:
    week: str
    on_time: int
    late: int


@dataclass(frozen=True)
class Overview:
    team: str
    week: str
    week_span: str
    generated_at: dt.datetime
    figures: dict[str, int | None]
    overdue_by_department: tuple[Count, ...]
    overdue_by_owner: tuple[Count, ...]
    trend: tuple[WeekTrend, ...]
    red_risks: tuple[RiskView, ...]
    recent_decisions: tuple[DecisionView, ...]
    escalations: tuple[CommitmentView, ...]
    departments: dict[str, dict[str, int | None]] = field(default_factory=dict)


def weekly_figures(
    session: Session, team: Team, week: IsoWeek, *, now: dt.datetime
) -> WeeklyReport:
    """The weekly summary's figures for ``week`` (``commands.weekly.load_report``)."""
    return load_report(session, team, week, now=now)


def completion_trend(
    session: Session, team: Team, *, now: dt.datetime, weeks: int = TREND_WEEKS
) -> tuple[WeekTrend, ...]:
    """Commitments completed on time and late in each of the last ``weeks`` ISO weeks
    (this week included), by the weekly summary's rule: on time when done on or before the
    due date in team time, or when it had no due date."""
    tz = ZoneInfo(team.timezone)
    this_week = IsoWeek.containing(local_today(now, team.timezone))
    labels = []
    monday = this_week.monday
    for back in range(weeks - 1, -1, -1):
        labels.append(IsoWeek.containing(monday - dt.timedelta(weeks=back)))
    start = labels[0].bounds(team.timezone)[0]
    on_time: dict[IsoWeek, int] = defaultdict(int)
    late: dict[IsoWeek, int] = defaultdict(int)
    for done_at, due in session.execute(
        select(Commitment.done_at, Commitment.due_date).where(
            Commitment.team_id == team.id,
            Commitment.status == "done",
            Commitment.done_at >= start,
        )
    ):
        if done_at is None:
            continue
        day = done_at.astimezone(tz).date()
        week = IsoWeek.containing(day)
        if due is None or day <= due:
            on_time[week] += 1
        else:
            late[week] += 1
    return tuple(WeekTrend(week=w.label, on_time=on_time[w], late=late[w]) for w in labels)


def overview(session: Session, team: Team, *, now: dt.datetime) -> Overview:
    """The live picture: this week's figures so far, what is overdue by department and by
    owner, 12 weeks of completions, red risks, decisions of the last 30 days and
    escalations of the last 30 days. A fixed number of queries whatever the team's size."""
    today = local_today(now, team.timezone)
    tz = ZoneInfo(team.timezone)
    week = IsoWeek.containing(today)
    report = weekly_figures(session, team, week, now=now)
    owner_t, dept_t = aliased(Person), aliased(Department)
    overdue = and_(Commitment.team_id == team.id, overdue_clause(today))
    by_dept = session.execute(
        select(dept_t.name, func.count())
        .select_from(Commitment)
        .outerjoin(dept_t, dept_t.id == Commitment.department_id)
        .where(overdue)
        .group_by(dept_t.name)
        .order_by(func.count().desc(), dept_t.name)
    )
    by_owner = session.execute(
        select(owner_t.display_name, func.count())
        .select_from(Commitment)
        .join(owner_t, owner_t.id == Commitment.owner_id)
        .where(overdue)
        .group_by(owner_t.id, owner_t.display_name)
        .order_by(func.count().desc(), owner_t.display_name)
    )
    overdue_by_department = tuple(Count(name or "(no department)", int(n)) for name, n in by_dept)
    overdue_by_owner = tuple(Count(name, int(n)) for name, n in by_owner)
    red = tuple(
        r
        for r in risks(session, team, status="open", per_page=MAX_PER_PAGE).items
        if r.rating == "red"
    )
    since = now - dt.timedelta(days=30)
    recent = decisions_since(session, team, since=since)
    stmt, _o, _d = _commitment_select()
    escalated_rows = session.execute(
        stmt.where(Commitment.team_id == team.id, Commitment.escalated_at >= since)
        .order_by(Commitment.escalated_at.desc(), Commitment.number)
        .limit(MAX_PER_PAGE)
    )
    escalations = tuple(_commitment_from_row(r, today=today, tz=tz) for r in escalated_rows)
    return Overview(
        team=team.name,
        week=week.label,
        week_span=week.span(),
        generated_at=now.astimezone(tz),
        figures=report.totals.as_dict(),
        overdue_by_department=overdue_by_department,
        overdue_by_owner=overdue_by_owner,
        trend=completion_trend(session, team, now=now),
        red_risks=red,
        recent_decisions=recent,
        escalations=escalations,
        departments={d.name: d.figures.as_dict() for d in report.departments},
    )


def decisions_since(
    session: Session, team: Team, *, since: dt.datetime
) -> tuple[DecisionView, ...]:
    """Decisions logged at or after ``since``, newest first (at most ``MAX_PER_PAGE``)."""
    return _decision_rows(session, team, Decision.created_at >= since, limit=MAX_PER_PAGE)


# --- one record ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditEntry:
    at: dt.datetime  # team time
    action: str
    actor: str | None
    platform: str | None
    changes: tuple[tuple[str, str, str], ...]  # (field, before, after)


@dataclass(frozen=True)
class RecordView:
    kind: str  # "commitment", "decision", "risk"
    ref: str
    record: CommitmentView | DecisionView | RiskView
    history: tuple[AuditEntry, ...]
    chain: tuple[DecisionView, ...] = ()  # decisions: the supersede chain, oldest first


def _history(session: Session, team: Team, entity: str, entity_id: int) -> tuple[AuditEntry, ...]:
    tz = ZoneInfo(team.timezone)
    rows = session.execute(
        select(AuditEvent, Person.display_name)
        .outerjoin(Person, Person.id == AuditEvent.actor_id)
        .where(AuditEvent.entity == entity, AuditEvent.entity_id == entity_id)
        .order_by(AuditEvent.at, AuditEvent.id)
    )
    entries = []
    for event, actor in rows:
        before, after = event.before or {}, event.after or {}
        changed = tuple(
            (key, _plain(before.get(key)), _plain(after.get(key)))
            for key in sorted(set(before) | set(after))
            if before.get(key) != after.get(key)
        )
        entries.append(
            AuditEntry(
                at=event.at.astimezone(tz),
                action=event.action,
                actor=actor,
                platform=event.platform,
                changes=changed,
            )
        )
    return tuple(entries)


def _plain(value: Any) -> str:
    return "" if value is None else str(value)


def record(
    session: Session, team: Team, kind: str, number: int, *, now: dt.datetime
) -> RecordView | None:
    """One commitment (``C``), decision (``D``) or risk (``R``) with its audit history;
    None when the team has no such record."""
    kind = kind.upper()
    if kind == "C":
        stmt, _o, _d = _commitment_select()
        row = session.execute(
            stmt.add_columns(Commitment.id).where(
                Commitment.team_id == team.id, Commitment.number == number
            )
        ).first()
        if row is None:
            return None
        view = _commitment_from_row(
            row[:-1], today=local_today(now, team.timezone), tz=ZoneInfo(team.timezone)
        )
        return RecordView(
            "commitment", view.ref, view, _history(session, team, "commitment", row[-1])
        )
    if kind == "D":
        ids = {
            n: (i, old, new)
            for i, n, old, new in session.execute(
                select(
                    Decision.id,
                    Decision.number,
                    Decision.supersedes_id,
                    Decision.superseded_by_id,
                ).where(Decision.team_id == team.id)
            )
        }
        if number not in ids:
            return None
        number_of = {i: n for n, (i, _a, _b) in ids.items()}
        # Walk back to the first decision of the chain, then forward to the last.
        first = number
        seen = {first}
        while (older := ids[first][1]) is not None and number_of.get(older) not in seen:
            first = number_of[older]
            seen.add(first)
        chain_numbers = [first]
        while (newer := ids[chain_numbers[-1]][2]) is not None:
            nxt = number_of.get(newer)
            if nxt is None or nxt in chain_numbers:
                break
            chain_numbers.append(nxt)
        all_views = {
            d.number: d for d in _decision_rows(session, team, Decision.number.in_(chain_numbers))
        }
        decision = all_views[number]
        return RecordView(
            "decision",
            decision.ref,
            decision,
            _history(session, team, "decision", ids[number][0]),
            chain=tuple(all_views[n] for n in chain_numbers if n in all_views),
        )
    if kind == "R":
        risk = session.scalars(
            select(Risk).where(Risk.team_id == team.id, Risk.number == number)
        ).first()
        if risk is None:
            return None
        tz = ZoneInfo(team.timezone)
        view_r = RiskView(
            ref=f"R-{risk.number}",
            number=risk.number,
            text=risk.text,
            impact=risk.impact,
            likelihood=risk.likelihood,
            rating=risk_rating(impact=risk.impact, likelihood=risk.likelihood),
            owner=risk.owner.display_name if risk.owner else None,
            status=risk.status,
            logged_on=risk.created_at.astimezone(tz).date(),
        )
        return RecordView("risk", view_r.ref, view_r, _history(session, team, "risk", risk.id))
    return None
