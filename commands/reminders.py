"""Daily nudges, channel digests and escalations: what goes out, to whom, and once.

A *sweep* at ``now`` looks at every team (or one) and, for each team whose local
time is at or after its reminder time on one of its working days (Monday to
Friday, less the public holidays of its calendar, e.g. ``GB-ENG``), plans:

- one **nudge** per owner: a direct message listing their overdue and
  due-today commitments, merged across all their teams, with Done / Snooze /
  Reassign buttons. At most one per person per day (kind ``owner_nudge``,
  subject ``person:<id>``), so a second team's reminder time the same day adds
  nothing. The same nudge asks for the measure values whose period has ended
  without one (``commands.measures.value_requests``), each with an input;
- one **digest** per linked Slack or Teams channel: overdue commitments grouped
  by department and owner, what is due this week, blocked items with their
  reasons; escalated items are marked; measure values two working days late;
- one **escalation** per commitment overdue by more than the team's threshold in
  working days, sent once (``escalated_at`` is set) to the accountable person
  of its area (see ``matching_area``) or else the team lead.

Snoozed commitments are left out until their snooze date; done and cancelled
ones never appear. Planning reads the database in a fixed number of batched
statements, whatever the number of teams.

Each planned message is then claimed (``storage.deliveries.claim``, committed
before anything is sent), leased, sent through a ``Notifier`` and marked sent;
a platform error is retried with backoff up to ``MAX_ATTEMPTS`` and then
recorded as failed with its reason. A scheduler that was down at reminder time
sends that day's messages when it returns on the same local day; past days
are never planned, and a nudge or digest still unsent when its day is over is
recorded as expired rather than sent late.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import gc
import logging
import os
import socket
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays as holiday_calendars
from sqlalchemy import insert, or_, select, update
from sqlalchemy.orm import Session, load_only, raiseload
from sqlalchemy.orm.attributes import set_committed_value

from commands import measures
from commands.language import CommandError
from commands.ports import DeliveryError, Notifier
from commands.presenting import (
    commitment_buttons,
    commitment_item,
    day,
    person_with_department,
    ref,
)
from commands.reply import Button, Field, Item, Reply, Section
from commands.rules import OPEN_STATES, matching_area
from storage import deliveries
from storage.database import Database
from storage.models import (
    Area,
    AreaRole,
    AuditEvent,
    ChannelLink,
    Commitment,
    Delivery,
    Department,
    Person,
    Team,
    TeamMember,
)
from storage.teams import team_key

log = logging.getLogger(__name__)

NUDGE = "owner_nudge"
DIGEST = "channel_digest"
ESCALATION = "escalation"
# A team's sweep for a day, claimed in the same transaction as its messages: later ticks
# that day skip the team without planning it again.
SWEPT = "team_sweep"

MAX_ATTEMPTS = 5
BACKOFF_FIRST = dt.timedelta(seconds=30)
BACKOFF_MAX = dt.timedelta(minutes=30)
# Channels that only the console reads: nothing to post to.
UNSENT_PLATFORMS = frozenset({"console"})


# --- the calendar ----------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _holidays(calendar: str) -> holiday_calendars.HolidayBase:
    country, _, subdiv = calendar.upper().partition("-")
    return holiday_calendars.country_holidays(country, subdiv=subdiv or None)


def is_working_day(day_: dt.date, calendar: str | None) -> bool:
    """Monday to Friday, less the public holidays of ``calendar`` (``GB-ENG``) if any."""
    if day_.isoweekday() > 5:
        return False
    return calendar is None or day_ not in _holidays(calendar)


@lru_cache(maxsize=65536)
def working_days_overdue(due: dt.date, today: dt.date, calendar: str | None) -> int:
    """Working days after ``due`` up to and including ``today``: due Monday, it is one
    working day overdue on Tuesday and four on Friday (holidays and weekends not counted)."""
    count, d = 0, due + dt.timedelta(days=1)
    while d <= today:
        count += is_working_day(d, calendar)
        d += dt.timedelta(days=1)
    return count


def reminder_day(team: Team, now: dt.datetime) -> dt.date | None:
    """The team's local date if, at ``now``, its reminders are due: a working day, at or
    after its reminder time (wall-clock time in its timezone, so 09:00 stays 09:00 across a
    daylight-saving change). Any later moment of the same local day counts too (catch-up)."""
    try:
        local = now.astimezone(ZoneInfo(team.timezone))
        hour, minute = (int(x) for x in team.reminder_time.split(":"))
    except (ValueError, KeyError) as exc:
        log.warning("team %s: cannot read its reminder settings: %s", team.id, exc)
        return None
    if not is_working_day(local.date(), team.holidays):
        return None
    if (local.hour, local.minute) < (hour, minute):
        return None
    return local.date()


def end_of_local_day(day_: dt.date, timezone: str) -> dt.datetime:
    tz = ZoneInfo(timezone)
    return dt.datetime.combine(day_ + dt.timedelta(days=1), dt.time(), tzinfo=tz).astimezone(dt.UTC)


# --- who an escalation goes to ---------------------------------------------------------------

# --- the plan --------------------------------------------------------------------------------


def reply_as_dict(reply: Reply) -> dict[str, Any]:
    """``reply.to_dict()`` without ``dataclasses.asdict``'s deep copies (four times faster
    on a sweep's thousands of replies); ``Reply.from_dict`` reads it back unchanged."""

    def fields(fs: Iterable[Field]) -> list[dict[str, Any]]:
        return [{"label": f.label, "value": f.value} for f in fs]

    def buttons(bs: Iterable[Button]) -> list[dict[str, Any]]:
        return [
            {
                "label": b.label,
                "command": b.command,
                "style": b.style,
                "picks_person": b.picks_person,
            }
            for b in bs
        ]

    return {
        "headline": reply.headline,
        "body": reply.body,
        "fields": fields(reply.fields),
        "sections": [
            {
                "title": s.title,
                "empty": s.empty,
                "items": [
                    {
                        "title": i.title,
                        "ref": i.ref,
                        "fields": fields(i.fields),
                        "buttons": buttons(i.buttons),
                        "highlight": i.highlight,
                        "link": i.link,
                        "input": dataclasses.asdict(i.input) if i.input else None,
                    }
                    for i in s.items
                ],
            }
            for s in reply.sections
        ],
        "buttons": buttons(reply.buttons),
        "visibility": reply.visibility,
        "ok": reply.ok,
        "usage": reply.usage,
        "ref": reply.ref,
        "link": reply.link,
        "data": dict(reply.data),
    }


@dataclass(frozen=True)
class Outgoing:
    """One message the sweep wants to send."""

    kind: str
    subject: str
    local_day: dt.date
    team_id: int | None
    to: str
    reply: Reply
    # {"person_id": 3, "platforms": ["slack", "teams"]} or
    # {"platform": "slack", "tenant": "T1", "channel_id": "C1"}.
    target: dict[str, Any]
    expires_at: dt.datetime | None = None
    commitment_id: int | None = None
    refs: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, str, dt.date]:
        return (self.kind, self.subject, self.local_day)

    @cached_property
    def payload(self) -> dict[str, Any]:
        """What the delivery row keeps: enough for any scheduler to send it later."""
        return {
            "to": self.to,
            "target": self.target,
            "reply": reply_as_dict(self.reply),
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "refs": list(self.refs),
        }


@dataclass(frozen=True)
class TeamDue:
    team: Team
    today: dt.date

    @property
    def week_end(self) -> dt.date:
        """Sunday of the team's current ISO week."""
        return self.today + dt.timedelta(days=7 - self.today.isoweekday())


@dataclass
class Plan:
    now: dt.datetime
    teams: list[TeamDue] = field(default_factory=list)
    outgoing: list[Outgoing] = field(default_factory=list)
    # Teams due now whose sweep for the day was already claimed (left out of ``teams``).
    already_swept: list[TeamDue] = field(default_factory=list)


# What a sweep reads of a commitment: only these columns, and no relationship loads
# behind our back (owner and department are attached in one batch by _attach_people).
_LEAN = (
    load_only(
        Commitment.id,
        Commitment.team_id,
        Commitment.number,
        Commitment.text,
        Commitment.owner_id,
        Commitment.department_id,
        Commitment.due_date,
        Commitment.status,
        Commitment.blocked_reason,
        Commitment.snoozed_until,
        Commitment.escalated_at,
        Commitment.done_at,
        Commitment.cancelled_reason,
        Commitment.source_link,
        raiseload=True,
    ),
    raiseload("*"),
)


class _Items:
    """Each commitment's item (``presenting.commitment_item``), built once per sweep and
    shared by the owner's nudge (with Done / Snooze / Reassign buttons), the channel digest
    (without) and an escalation."""

    def __init__(self) -> None:
        self._plain: dict[tuple[int, dt.date], Item] = {}

    def plain(self, c: Commitment, today: dt.date) -> Item:
        key = (c.id, today)
        item = self._plain.get(key)
        if item is None:
            item = self._plain[key] = commitment_item(c, today, buttons=False)
        return item

    def with_buttons(self, c: Commitment, today: dt.date) -> Item:
        p = self.plain(c, today)
        return Item(p.title, p.ref, p.fields, commitment_buttons(c), p.highlight, p.link)


def _snoozed(c: Commitment, today: dt.date) -> bool:
    return c.snoozed_until is not None and c.snoozed_until > today


def _count(n: int, word: str) -> str:
    return f"{n} {word}"


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a sweep builds its plan.

    Planning 1,000 teams allocates a few hundred thousand small objects that all stay
    alive until the plan is claimed (ORM rows, items, fields, buttons); each full
    collection on the way rescans them all, which cost 1.4 s of 3 s in bench/reminders.py.
    Nothing here makes garbage cycles that must go at once; collection resumes after.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def plan_sweep(
    session: Session,
    *,
    now: dt.datetime,
    team_name: str | None = None,
    include_swept: bool = False,
) -> Plan:
    """What should go out at ``now``; reads only, in at most twelve batched statements
    (nine for commitments, three for the measure values to ask for).

    Teams already swept today are left out (in ``already_swept``) unless
    ``include_swept`` (a dry run shows everything, marked with what was sent).
    """
    with _cyclic_gc_paused():
        return _plan_sweep(session, now=now, team_name=team_name, include_swept=include_swept)


def _plan_sweep(
    session: Session, *, now: dt.datetime, team_name: str | None, include_swept: bool
) -> Plan:
    all_teams = list(session.scalars(select(Team).order_by(Team.id)))
    if team_name is not None:
        key = team_key(team_name)
        chosen = [t for t in all_teams if t.key == key]
        if not chosen:
            raise CommandError(f'There is no team called "{team_name}".')
    else:
        chosen = all_teams
    plan = Plan(now=now)
    for team in chosen:
        today = reminder_day(team, now)
        if today is not None:
            plan.teams.append(TeamDue(team, today))
    if plan.teams and not include_swept:
        swept = {
            (subject, local_day)
            for subject, local_day in session.execute(
                select(Delivery.subject, Delivery.local_day).where(
                    Delivery.kind == SWEPT,
                    Delivery.local_day.in_({td.today for td in plan.teams}),
                    Delivery.subject.in_([f"team:{td.team.id}" for td in plan.teams]),
                )
            )
        }
        plan.already_swept = [td for td in plan.teams if (f"team:{td.team.id}", td.today) in swept]
        plan.teams = [td for td in plan.teams if (f"team:{td.team.id}", td.today) not in swept]
    if not plan.teams:
        return plan
    due = {td.team.id: td for td in plan.teams}
    due_ids = list(due)
    horizon = max(td.week_end for td in plan.teams)

    commitments = list(
        session.scalars(
            select(Commitment)
            .where(
                Commitment.team_id.in_(due_ids),
                Commitment.status.in_(OPEN_STATES),
                or_(Commitment.status == "blocked", Commitment.due_date <= horizon),
            )
            .order_by(Commitment.team_id, Commitment.due_date, Commitment.number)
            .options(*_LEAN)
        )
    )
    by_team: dict[int, list[Commitment]] = defaultdict(list)
    for c in commitments:
        if not _snoozed(c, due[c.team_id].today):
            by_team[c.team_id].append(c)

    # Owners' items, per team: overdue or due today.
    nudge_items: dict[int, list[tuple[Team, dt.date, Commitment]]] = defaultdict(list)
    for team_id, listed in by_team.items():
        td = due[team_id]
        for c in listed:
            if c.due_date is not None and c.due_date <= td.today:
                nudge_items[c.owner_id].append((td.team, td.today, c))

    # The same owners' items in their other teams (not due in this sweep) on a working day
    # there: one nudge a day carries everything, whichever team's reminder time came first.
    others = {t.id: t for t in all_teams if t.id not in due}
    if nudge_items and others:
        others_today = {
            t.id: d
            for t in others.values()
            if is_working_day(d := now.astimezone(ZoneInfo(t.timezone)).date(), t.holidays)
        }
        if others_today:
            elsewhere = list(
                session.scalars(
                    select(Commitment)
                    .where(
                        Commitment.owner_id.in_(list(nudge_items)),
                        Commitment.team_id.in_(list(others_today)),
                        Commitment.status.in_(OPEN_STATES),
                        Commitment.due_date <= max(others_today.values()),
                    )
                    .order_by(Commitment.team_id, Commitment.due_date, Commitment.number)
                    .options(*_LEAN)
                )
            )
            for c in elsewhere:
                today = others_today[c.team_id]
                if c.due_date is not None and c.due_date <= today and not _snoozed(c, today):
                    nudge_items[c.owner_id].append((others[c.team_id], today, c))
            commitments.extend(elsewhere)
    _attach_people(session, commitments)

    links = list(
        session.scalars(
            select(ChannelLink)
            .where(
                ChannelLink.team_id.in_(due_ids),
                ChannelLink.platform.not_in(list(UNSENT_PLATFORMS)),
            )
            .order_by(ChannelLink.id)
        )
    )
    links_by_team: dict[int, list[ChannelLink]] = defaultdict(list)
    for link in links:
        links_by_team[link.team_id].append(link)

    # Escalations: overdue by more than the threshold in working days, not yet escalated.
    candidates = [
        c
        for team_id, listed in by_team.items()
        for c in listed
        if c.escalated_at is None
        and c.due_date is not None
        and c.due_date < due[team_id].today
        and working_days_overdue(c.due_date, due[team_id].today, due[team_id].team.holidays)
        > due[team_id].team.escalation_days
    ]
    items = _Items()
    escalations = (
        _plan_escalations(session, candidates, due, links_by_team, items) if candidates else []
    )
    escalating = {e.commitment_id: e.to for e in escalations}

    asks = _measure_values_asked(session, all_teams, due, now)
    asks_by_team: dict[int, list[measures.ValueRequest]] = defaultdict(list)
    for requests in asks.values():
        for request in requests:
            asks_by_team[request.team.id].append(request)
    plan.outgoing.extend(_plan_nudges(nudge_items, due, links_by_team, now, items, asks))
    for td in plan.teams:
        for link in links_by_team.get(td.team.id, []):
            digest = _plan_digest(td, link, by_team.get(td.team.id, []), escalating, items)
            digest = _with_late_values(digest, td, link, asks_by_team.get(td.team.id, []))
            if digest is not None:
                plan.outgoing.append(digest)
    plan.outgoing.extend(escalations)
    return plan


def _attach_people(session: Session, commitments: Sequence[Commitment]) -> None:
    """Give each commitment its owner and department in two batched queries (instead of
    joining them onto every commitment row, which costs more than it saves at scale)."""
    if not commitments:
        return
    owners = {
        p.id: p
        for p in session.scalars(
            select(Person).where(Person.id.in_({c.owner_id for c in commitments}))
        ).unique()
    }
    departments = {d.id: d for d in session.scalars(select(Department))}
    for c in commitments:
        set_committed_value(c, "owner", owners[c.owner_id])
        set_committed_value(
            c, "department", departments.get(c.department_id) if c.department_id else None
        )


def _platforms(
    team_ids: Iterable[int], links_by_team: Mapping[int, list[ChannelLink]]
) -> list[str]:
    seen: list[str] = []
    for team_id in team_ids:
        for link in links_by_team.get(team_id, []):
            if link.platform not in seen:
                seen.append(link.platform)
    return seen


def _plan_nudges(
    nudge_items: Mapping[int, list[tuple[Team, dt.date, Commitment]]],
    due: Mapping[int, TeamDue],
    links_by_team: Mapping[int, list[ChannelLink]],
    now: dt.datetime,
    items: _Items,
    asks: Mapping[int, list[measures.ValueRequest]] | None = None,
) -> list[Outgoing]:
    out = []
    asks = asks or {}
    # Owners asked only for measure values get a nudge too (when one of those teams is due).
    owners = list(nudge_items) + [
        p for p, rs in asks.items() if p not in nudge_items and any(r.team.id in due for r in rs)
    ]
    for owner_id in owners:
        entries = nudge_items.get(owner_id, [])
        values = asks.get(owner_id, [])
        owner = entries[0][2].owner if entries else values[0].owner
        first_team, first_today = (
            [(t, d) for t, d, _ in entries if t.id in due]
            + [(r.team, r.today) for r in values if r.team.id in due]
        )[0]
        # The nudge's day: the owner's own calendar day when we know their timezone,
        # else the day of the team whose reminder brought it.
        nudge_day = (
            now.astimezone(ZoneInfo(owner.timezone)).date() if owner.timezone else first_today
        )
        teams = list(dict.fromkeys([*(t.id for t, _, _ in entries), *(r.team.id for r in values)]))
        names = {t.id: t.name for t, _, _ in entries} | {r.team.id: r.team.name for r in values}
        several = len(teams) > 1
        sections = []
        overdue = due_today = 0
        for team_id in teams:
            late = [
                (d, c)
                for t, d, c in entries
                if t.id == team_id and c.due_date is not None and c.due_date < d
            ]
            today_ = [(d, c) for t, d, c in entries if t.id == team_id and c.due_date == d]
            overdue += len(late)
            due_today += len(today_)
            prefix = f"{names[team_id]}: " if several else ""
            if late:
                sections.append(
                    Section(f"{prefix}Overdue", tuple(items.with_buttons(c, d) for d, c in late))
                )
            if today_:
                sections.append(
                    Section(
                        f"{prefix}Due today", tuple(items.with_buttons(c, d) for d, c in today_)
                    )
                )
            # The measure values asked for (commands.measures), with their inputs.
            asked = [r for r in values if r.team.id == team_id]
            if asked:
                sections.append(measures.nudge_section(asked, prefix=prefix))
        parts = [
            _count(n, word)
            for n, word in (
                (overdue, "overdue"),
                (due_today, "due today"),
                (len(values), "measure value" + ("s" if len(values) > 1 else "") + " to give"),
            )
            if n
        ]
        refs = tuple(
            f"{ref('C', c.number)}" + (f" ({t.name})" if several else "") for t, _, c in entries
        ) + tuple(
            f"{r.ref} {r.period.label}" + (f" ({r.team.name})" if several else "") for r in values
        )
        out.append(
            Outgoing(
                kind=NUDGE,
                subject=f"person:{owner_id}",
                local_day=nudge_day,
                team_id=first_team.id,
                to=owner.display_name,
                reply=Reply(
                    headline=f"Good morning {owner.display_name}: "
                    f"{' and '.join(parts)} on your list",
                    body=" ".join(
                        (
                            ["Mark them done, snooze them, or hand them to someone else."]
                            if entries
                            else []
                        )
                        + (["Give each value below."] if values else [])
                    ),
                    sections=tuple(sections),
                    data={
                        "kind": NUDGE,
                        "person_id": owner_id,
                        "commitments": list(refs[: len(entries)]),
                        "measures": list(refs[len(entries) :]),
                    },
                ),
                target={"person_id": owner_id, "platforms": _platforms(teams, links_by_team)},
                expires_at=end_of_local_day(nudge_day, owner.timezone or first_team.timezone),
                refs=refs,
            )
        )
    return out


def _measure_values_asked(
    session: Session, all_teams: Sequence[Team], due: Mapping[int, TeamDue], now: dt.datetime
) -> dict[int, list[measures.ValueRequest]]:
    """Measure values to ask for, by owner: in the teams due now, and in the owner's other
    teams on a working day there (one nudge a day carries everything, as for commitments)."""
    teams = [(td.team, td.today) for td in due.values()]
    for t in all_teams:
        if t.id not in due:
            today = now.astimezone(ZoneInfo(t.timezone)).date()
            if is_working_day(today, t.holidays):
                teams.append((t, today))
    return measures.by_owner(measures.value_requests(session, teams, is_working_day=is_working_day))


def _with_late_values(
    digest: Outgoing | None,
    td: TeamDue,
    link: ChannelLink,
    asks: Sequence[measures.ValueRequest],
) -> Outgoing | None:
    """The channel digest with the team's measure values (``asks``, the team's own) two
    working days late or more (a digest of just those when no commitment needs one)."""
    late = measures.late_values_section(asks)
    if late is None:
        return digest
    refs = tuple(i.ref for i in late.items if i.ref)
    if digest is not None:
        reply = dataclasses.replace(digest.reply, sections=(*digest.reply.sections, late))
        return dataclasses.replace(digest, reply=reply, refs=(*digest.refs, *refs))
    summary = f"{len(late.items)} measure value{'s' if len(late.items) > 1 else ''} late"
    return Outgoing(
        kind=DIGEST,
        subject=f"channel:{link.id}",
        local_day=td.today,
        team_id=td.team.id,
        to=f"{link.platform} {link.name or link.channel_id} ({td.team.name})",
        reply=Reply(
            headline=f"{td.team.name}: measures on {day(td.today)}",
            body=summary,
            sections=(late,),
            visibility="channel",
            data={"kind": DIGEST, "team": td.team.name, "summary": summary},
        ),
        target={"platform": link.platform, "tenant": link.tenant, "channel_id": link.channel_id},
        expires_at=end_of_local_day(td.today, td.team.timezone),
        refs=refs,
    )


def _plan_digest(
    td: TeamDue,
    link: ChannelLink,
    commitments: Sequence[Commitment],
    escalating: Mapping[int | None, str],
    items: _Items,
) -> Outgoing | None:
    today = td.today

    def item(c: Commitment) -> Item:
        shown = items.plain(c, today)
        if c.id in escalating:
            mark = f"today, to {escalating[c.id]}"
        elif c.escalated_at is not None:
            mark = day(c.escalated_at.astimezone(ZoneInfo(td.team.timezone)).date())
        else:
            return shown
        return dataclasses.replace(shown, fields=(*shown.fields, Field("Escalated", mark)))

    blocked = [c for c in commitments if c.status == "blocked"]
    overdue = [
        c for c in commitments if c.status != "blocked" and c.due_date and c.due_date < today
    ]
    this_week = [
        c
        for c in commitments
        if c.status != "blocked" and c.due_date and today <= c.due_date <= td.week_end
    ]
    if not (blocked or overdue or this_week):
        return None

    groups: dict[tuple[str, str, int], list[Commitment]] = defaultdict(list)
    for c in overdue:
        dept = c.department.name if c.department else ""
        groups[(dept.casefold(), c.owner.display_name.casefold(), c.owner_id)].append(c)
    sections = [
        Section(
            f"Overdue: {members[0].owner.display_name}"
            + (f" ({members[0].department.name})" if members[0].department else ""),
            tuple(item(c) for c in members),
        )
        for _, members in sorted(groups.items())
    ]
    if this_week:
        sections.append(Section("Due this week", tuple(item(c) for c in this_week)))
    if blocked:
        sections.append(Section("Blocked", tuple(item(c) for c in blocked)))
    summary = ", ".join(
        (
            _count(len(overdue), "overdue"),
            _count(len(this_week), "due this week"),
            _count(len(blocked), "blocked"),
        )
    )
    n_escalated = sum(1 for c in commitments if c.id in escalating or c.escalated_at is not None)
    if n_escalated:
        summary += f", {n_escalated} escalated"
    where = f"{link.platform} {link.name or link.channel_id}"
    return Outgoing(
        kind=DIGEST,
        subject=f"channel:{link.id}",
        local_day=today,
        team_id=td.team.id,
        to=f"{where} ({td.team.name})",
        reply=Reply(
            headline=f"{td.team.name}: commitments on {day(today)}",
            body=summary,
            sections=tuple(sections),
            visibility="channel",
            data={"kind": DIGEST, "team": td.team.name, "summary": summary},
        ),
        target={"platform": link.platform, "tenant": link.tenant, "channel_id": link.channel_id},
        expires_at=end_of_local_day(today, td.team.timezone),
        refs=tuple(ref("C", c.number) for c in (*overdue, *this_week, *blocked)),
    )


def _plan_escalations(
    session: Session,
    candidates: Sequence[Commitment],
    due: Mapping[int, TeamDue],
    links_by_team: Mapping[int, list[ChannelLink]],
    items: _Items,
) -> list[Outgoing]:
    team_ids = sorted({c.team_id for c in candidates})
    leads: dict[int, Person] = {}
    for member, person in session.execute(
        select(TeamMember, Person)
        .join(Person, Person.id == TeamMember.person_id)
        .where(TeamMember.team_id.in_(team_ids), TeamMember.role == "lead")
        .order_by(TeamMember.joined_at, TeamMember.id)
    ).unique():
        leads.setdefault(member.team_id, person)
    areas: dict[int, dict[int, Area]] = defaultdict(dict)
    accountable: dict[int, Person] = {}
    for area, person in session.execute(
        select(Area, Person)
        .join(AreaRole, AreaRole.area_id == Area.id)
        .join(Person, Person.id == AreaRole.person_id)
        .where(
            Area.team_id.in_(team_ids),
            AreaRole.role == "accountable",
            AreaRole.ended_at.is_(None),
        )
        .order_by(AreaRole.created_at, AreaRole.id)
    ).unique():
        areas[area.team_id][area.id] = area
        accountable.setdefault(area.id, person)

    out = []
    for c in candidates:
        td = due[c.team_id]
        matched = matching_area(areas[c.team_id].values(), c.text)
        target = accountable[matched.id] if matched is not None else None
        if target is not None and matched is not None:
            why = f"You are accountable for {matched.name}."
        else:
            target = leads.get(c.team_id)
            why = f"You lead {td.team.name}" + (
                "; no area with an accountable person matches it." if areas[c.team_id] else "."
            )
        if target is None:
            log.warning("C-%s in team %s: nobody to escalate to", c.number, c.team_id)
            continue
        assert c.due_date is not None  # candidates are overdue
        n = working_days_overdue(c.due_date, td.today, td.team.holidays)
        r = ref("C", c.number)
        out.append(
            Outgoing(
                kind=ESCALATION,
                subject=f"commitment:{c.id}",
                local_day=td.today,
                team_id=c.team_id,
                to=target.display_name,
                reply=Reply(
                    headline=f"Escalation: {r} is {n} working days overdue",
                    body=f"{person_with_department(c.owner)} owns it in {td.team.name}; "
                    f"it was due {day(c.due_date)}. {why}",
                    sections=(Section("Overdue", (items.with_buttons(c, td.today),)),),
                    ref=r,
                    data={
                        "kind": ESCALATION,
                        "commitment": r,
                        "team": td.team.name,
                        "person_id": target.id,
                        "working_days_overdue": n,
                    },
                ),
                target={
                    "person_id": target.id,
                    "platforms": _platforms([c.team_id], links_by_team),
                },
                commitment_id=c.id,
                refs=(r,),
            )
        )
    return out


# --- claiming --------------------------------------------------------------------------------


def claim_plan(session: Session, plan: Plan, *, now: dt.datetime) -> list[deliveries.Claimed]:
    """Claim every planned message not claimed yet (by us or another scheduler), mark the
    escalations we won as escalated, and mark the teams swept for the day. The caller
    commits before anything is sent."""
    with _cyclic_gc_paused():
        return _claim_plan(session, plan, now=now)


def _claim_plan(session: Session, plan: Plan, *, now: dt.datetime) -> list[deliveries.Claimed]:
    deliveries.claim(
        session,
        [
            deliveries.NewClaim(SWEPT, f"team:{td.team.id}", td.today, td.team.id, {})
            for td in plan.teams
        ],
        now=now,
        done=True,
    )
    won = deliveries.claim(
        session,
        [
            deliveries.NewClaim(o.kind, o.subject, o.local_day, o.team_id, o.payload)
            for o in plan.outgoing
        ],
        now=now,
    )
    won_keys = {(c.kind, c.subject, c.local_day) for c in won}
    escalated = [o for o in plan.outgoing if o.kind == ESCALATION and o.key in won_keys]
    if escalated:
        session.execute(
            update(Commitment)
            .where(
                Commitment.id.in_([o.commitment_id for o in escalated]),
                Commitment.escalated_at.is_(None),
            )
            .values(escalated_at=now)
            .execution_options(synchronize_session=False)
        )
        session.execute(
            insert(AuditEvent),
            [
                {
                    "team_id": o.team_id,
                    "action": "commitment.escalated",
                    "entity": "commitment",
                    "entity_id": o.commitment_id,
                    "after": {"escalated_to": o.to, "person_id": o.target["person_id"]},
                    "at": now,
                }
                for o in escalated
            ],
        )
    return won


# --- sending ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    """What happened to one delivery in a sweep."""

    delivery_id: int
    kind: str
    subject: str
    to: str
    refs: tuple[str, ...]
    status: str  # "sent", "retry", "failed"
    detail: str | None = None


def backoff(attempts: int, retry_after: float | None) -> dt.timedelta:
    """30 s, 1 min, 2 min ... up to 30 min; never sooner than the platform asked."""
    wait = min(BACKOFF_FIRST * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)
    if retry_after is not None:
        wait = max(wait, dt.timedelta(seconds=retry_after))
    return wait


async def _send(payload: Mapping[str, Any], notifiers: Mapping[str, Notifier]) -> str:
    """Send one delivery; return the platform used. Raises DeliveryError."""
    reply = Reply.from_dict(payload["reply"])
    target = payload["target"]
    if "channel_id" in target:
        notifier = notifiers.get(target["platform"])
        if notifier is None:
            raise DeliveryError(f"{target['platform']} is not configured", permanent=True)
        await notifier.post_to_channel(
            tenant=target["tenant"], channel_id=target["channel_id"], reply=reply
        )
        return str(target["platform"])
    order = [p for p in target.get("platforms", []) if p in notifiers]
    order += [p for p in notifiers if p not in order]
    for platform in order:
        if await notifiers[platform].send_to_person(person_id=target["person_id"], reply=reply):
            return platform
    tried = ", ".join(order) or "no platform is configured"
    raise DeliveryError(f"cannot reach person {target['person_id']} ({tried})", permanent=True)


def _record(
    db: Database, d: Delivery, *, worker: str, now: dt.datetime, error: Exception | None
) -> Sent:
    payload = d.payload or {}
    sent = Sent(
        d.id,
        d.kind,
        d.subject,
        payload.get("to", d.subject),
        tuple(payload.get("refs", ())),
        "sent",
    )
    with db.uow() as uow:
        if error is None:
            deliveries.mark_sent(uow.session, d.id, worker=worker, now=now)
        else:
            reason = str(error) or type(error).__name__
            permanent = isinstance(error, DeliveryError) and error.permanent
            if permanent or d.attempts >= MAX_ATTEMPTS:
                if not permanent:
                    reason = f"{reason} (gave up after {d.attempts} attempts)"
                deliveries.mark_failed(uow.session, d.id, worker=worker, error=reason)
                sent = dataclasses.replace(sent, status="failed", detail=reason)
            else:
                retry_after = error.retry_after if isinstance(error, DeliveryError) else None
                retry_at = now + backoff(d.attempts, retry_after)
                deliveries.mark_retry(
                    uow.session, d.id, worker=worker, error=reason, retry_at=retry_at
                )
                sent = dataclasses.replace(
                    sent, status="retry", detail=f"{reason}; retry at {retry_at:%H:%M:%S} UTC"
                )
        uow.commit()
    return sent


def _expired(d: Delivery, now: dt.datetime) -> bool:
    expires = (d.payload or {}).get("expires_at")
    return isinstance(expires, str) and now >= dt.datetime.fromisoformat(expires)


async def deliver_due(
    db: Database,
    notifiers: Mapping[str, Notifier],
    *,
    now: dt.datetime,
    worker: str,
    team_id: int | None = None,
    batch: int = 50,
) -> list[Sent]:
    """Send every due delivery (fresh claims, retries, and claims a crashed scheduler left
    behind once their lease is over), a leased batch at a time."""
    results: list[Sent] = []
    while True:

        def take() -> list[Delivery]:
            with db.uow() as uow:
                taken = deliveries.take_due(
                    uow.session, now=now, worker=worker, limit=batch, team_id=team_id
                )
                uow.commit()
                return taken

        taken = await asyncio.to_thread(take)
        if not taken:
            return results
        for d in taken:
            error: Exception | None = None
            if _expired(d, now):
                error = DeliveryError(
                    "expired: its day ended before it could be sent", permanent=True
                )
            else:
                try:
                    await _send(d.payload or {}, notifiers)
                except DeliveryError as exc:
                    error = exc
                except Exception as exc:  # a platform library's own error: retry it
                    log.exception("delivery %s (%s %s) failed", d.id, d.kind, d.subject)
                    error = exc
            results.append(
                await asyncio.to_thread(_record, db, d, worker=worker, now=now, error=error)
            )
        if len(taken) < batch:
            return results


# --- one sweep -------------------------------------------------------------------------------


@dataclass
class SweepReport:
    plan: Plan
    dry_run: bool
    # Dry run: planned key -> status of an existing claim ("sent", "claimed", "failed").
    already: dict[tuple[str, str, dt.date], str] = field(default_factory=dict)
    claimed: list[deliveries.Claimed] = field(default_factory=list)
    results: list[Sent] = field(default_factory=list)


def _plan_in(db: Database, now: dt.datetime, team_name: str | None, dry_run: bool) -> Plan:
    with db.uow() as uow:
        plan = plan_sweep(uow.session, now=now, team_name=team_name, include_swept=dry_run)
        uow.session.expunge_all()
        return plan


async def sweep(
    db: Database,
    notifiers: Mapping[str, Notifier],
    *,
    now: dt.datetime,
    worker: str,
    team_name: str | None = None,
    dry_run: bool = False,
) -> SweepReport:
    """Plan, claim and send what is due at ``now``; with ``dry_run`` only plan."""
    plan = await asyncio.to_thread(_plan_in, db, now, team_name, dry_run)
    report = SweepReport(plan=plan, dry_run=dry_run)
    team_id = None
    if team_name is not None and (plan.teams or plan.already_swept):
        team_id = (plan.teams or plan.already_swept)[0].team.id
    if dry_run:

        def look() -> dict[tuple[str, str, dt.date], str]:
            with db.uow() as uow:
                return deliveries.existing(uow.session, (o.key for o in plan.outgoing))

        report.already = await asyncio.to_thread(look)
        return report

    def claim() -> list[deliveries.Claimed]:
        with db.uow() as uow:
            won = claim_plan(uow.session, plan, now=now)
            uow.commit()
            return won

    if plan.teams:
        # Serialise outside the claim's transaction: it holds SQLite's write lock.
        await asyncio.to_thread(lambda: [o.payload for o in plan.outgoing])
        report.claimed = await asyncio.to_thread(claim)
    report.results = await deliver_due(db, notifiers, now=now, worker=worker, team_id=team_id)
    return report


def describe(report: SweepReport) -> list[str]:
    """The sweep in lines, per person and per channel: for ``joinedup remind`` and logs."""
    plan = report.plan
    stamp = plan.now.strftime("%Y-%m-%d %H:%M UTC")
    label = {NUDGE: "nudge", DIGEST: "digest", ESCALATION: "escalation"}

    def names(teams: list[TeamDue]) -> str:
        return ", ".join(
            f"{td.team.name} ({td.team.reminder_time} {td.team.timezone}, {day(td.today)})"
            for td in teams
        )

    lines = []
    if plan.teams:
        lines.append(f"{stamp}: reminders due for {names(plan.teams)}")
    if plan.already_swept:
        lines.append(f"{stamp}: already swept today, nothing more: {names(plan.already_swept)}")
    if not plan.teams and not plan.already_swept:
        lines.append(f"{stamp}: no team's reminders are due (not a working day, or too early).")
    if report.dry_run:
        for o in plan.outgoing:
            status = report.already.get(o.key)
            verb = f"already {status} today" if status else "would send"
            lines.append(f"  {label[o.kind]} -> {o.to}: {', '.join(o.refs)} [{verb}]")
    else:
        for r in report.results:
            detail = f" ({r.detail})" if r.detail else ""
            lines.append(
                f"  {label.get(r.kind, r.kind)} -> {r.to}: {', '.join(r.refs)} [{r.status}{detail}]"
            )
        won = {(c.kind, c.subject) for c in report.claimed}
        skipped = [o for o in plan.outgoing if (o.kind, o.subject) not in won]
        if skipped:
            lines.append(
                f"  {len(skipped)} already claimed today (sent or being sent): nothing more."
            )
    if plan.teams and not plan.outgoing:
        lines.append("  nothing to send: no overdue, due or blocked commitments.")
    return lines


def worker_id() -> str:
    """Who holds a lease: host, process and a random tag (several schedulers per host)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
