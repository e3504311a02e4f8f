"""Planning reminders: which nudges, digests and escalations are due at a moment, and to whom.

A *sweep* at ``now`` looks at every team (or one) and, for each team whose local
time is at or after its reminder time on one of its working days (Monday to
Friday, less the public holidays of its calendar, e.g. ``GB-ENG``), plans:

- one **nudge** per owner: a direct message listing their overdue and
  due-today commitments, merged across all their teams, with Done / Snooze /
  Reassign buttons. At most one per person per day (kind ``owner_nudge``,
  subject ``person:<id>``), so a second team's reminder time the same day adds
  nothing. The same nudge asks for the measure values whose period has ended
  without one (``commands.measure_requests.value_requests``), each with an input;
- one **digest** per linked Slack or Teams channel: overdue commitments grouped
  by department and owner, what is due this week, blocked items with their
  reasons; escalated items are marked; measure values two working days late;
- the **escalations** due today on the team's ladder (``commands.ladder``): overdue
  and blocked commitments, open red risks and proposals past their deadline, each
  climbing one step at a time (the accountable person of its area, the lead, the
  SRO, the team's channels), each step sent once and recorded when delivered; and, in
  their nudge, deciders' reminders of proposals waiting for their answer.

Snoozed commitments are left out until their snooze date; done and cancelled
ones never appear. Planning only reads, in a fixed number of batched statements
whatever the number of teams; ``commands.reminders`` writes the plan to the outbox.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from commands import measure_requests
from commands.language import CommandError
from commands.presenting import (
    commitment_buttons,
    commitment_item,
    day,
    ref,
)
from commands.reply import Button, Field, Item, Reply, Section
from commands.rules import OPEN_STATES, row_is_overdue
from commands.workdays import end_of_local_day, is_working_day, reminder_day
from storage import outbox
from storage.models import (
    ChannelLink,
    Commitment,
    Department,
    Person,
    Team,
)
from storage.teams import team_key

log = logging.getLogger(__name__)

NUDGE = outbox.NUDGE
DIGEST = outbox.DIGEST
ESCALATION = outbox.ESCALATION
# A team's sweep for a day, written with its messages: later ticks that day skip the team
# without planning it again.
SWEPT = outbox.TEAM_SWEEP
# Channels that only the console reads: nothing to post to.
UNSENT_PLATFORMS = frozenset({"console"})
# A nudge shows the owner's most urgent commitments, a digest the most overdue, due this
# week and blocked ones, this many each; the rest are counted with the command that lists
# them (a real team's day does not fit one message).
NUDGE_ITEMS = 10
DIGEST_ITEMS = 8
TALLY_NAMES = 8


def channel_target(link: ChannelLink) -> dict[str, Any]:
    """Where a message for a linked channel goes (``Outgoing.target``): the link, and the
    platform address the delivery engine posts to."""
    return {
        "link_id": link.id,
        "platform": link.platform,
        "tenant": link.tenant,
        "channel_id": link.channel_id,
    }


def sweep_key(td: TeamDue) -> str:
    return f"{SWEPT}:team:{td.team.id}:{td.today.isoformat()}"


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
                "more": s.more,
                "more_command": s.more_command,
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
        "page": dataclasses.asdict(reply.page) if reply.page else None,
        "summary": dataclasses.asdict(reply.summary) if reply.summary else None,
        "team_id": reply.team_id,
        "section_team_ids": list(reply.section_team_ids),
        "field": reply.field,
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
    # A step of the escalation ladder (``commands.ladder``): recorded once delivered.
    ladder: dict[str, Any] | None = None

    @property
    def key(self) -> tuple[str, str, dt.date]:
        return (self.kind, self.subject, self.local_day)

    @property
    def dedupe_key(self) -> str:
        """Written once across replicas: ``owner_nudge:person:12:2026-11-30``."""
        return f"{self.kind}:{self.subject}:{self.local_day.isoformat()}"

    @cached_property
    def payload(self) -> dict[str, Any]:
        """What the outbox row keeps: enough for any worker to send it later."""
        payload: dict[str, Any] = {
            "to": self.to,
            "target": self.target,
            "reply": reply_as_dict(self.reply),
            "refs": list(self.refs),
        }
        if self.commitment_id is not None:
            payload["commitment_id"] = self.commitment_id
        if self.ladder is not None:
            payload["ladder"] = {
                k: v.isoformat() if isinstance(v, dt.date) else v for k, v in self.ladder.items()
            }
        return payload

    def row(self) -> dict[str, Any]:
        """The outbox row (``storage.outbox.enqueue_many``): a channel link for a digest, a
        person on any platform for a nudge or an escalation; gone stale at ``expires_at``."""
        channel = "link_id" in self.target
        return {
            "kind": self.kind,
            "platform": self.target["platform"] if channel else outbox.ANY_PLATFORM,
            "team_id": self.team_id,
            "channel_link_id": self.target["link_id"] if channel else None,
            "person_id": None if channel else self.target["person_id"],
            "payload": self.payload,
            "dedupe_key": self.dedupe_key,
            "deadline": self.expires_at,
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


@dataclass(slots=True)
class SweptCommitment:
    """A commitment as a sweep reads it: only these columns, as a plain object rather than
    an ORM one (a sweep reads tens of thousands; building and reading ORM objects was a
    third of its time), with its owner and department attached in one batch by
    ``_attach_people``. ``commands.presenting`` reads it as a ``ShownCommitment``."""

    id: int
    team_id: int
    number: int
    text: str
    owner_id: int
    department_id: int | None
    due_date: dt.date | None
    status: str
    blocked_reason: str | None
    snoozed_until: dt.date | None
    escalated_at: dt.datetime | None
    done_at: dt.datetime | None
    cancelled_reason: str | None
    source_link: str | None
    updated_at: dt.datetime | None  # a blocked commitment's ladder clock (commands/ladder.py)
    owner: Person = field(init=False)
    department: Department | None = field(init=False)


# The columns of ``SweptCommitment``, in its order (rows are passed to it positionally).
_SWEPT_COLUMNS = tuple(
    getattr(Commitment, f.name) for f in dataclasses.fields(SweptCommitment) if f.init
)


def _swept(rows: Iterable[Any]) -> list[SweptCommitment]:
    return [SweptCommitment(*row) for row in rows]


class _Items:
    """Each commitment's item (``presenting.commitment_item``), built once per sweep and
    shared by the owner's nudge (with Done / Snooze / Reassign buttons), the channel digest
    (without) and an escalation."""

    def __init__(self) -> None:
        self._plain: dict[tuple[int, dt.date], Item] = {}
        self._with_buttons: dict[tuple[int, dt.date], Item] = {}
        # The buttons depend only on the number and status: "C-7" has the same ones in every team.
        self._buttons: dict[tuple[int, str], tuple[Button, ...]] = {}

    def plain(self, c: SweptCommitment, today: dt.date) -> Item:
        key = (c.id, today)
        item = self._plain.get(key)
        if item is None:
            item = self._plain[key] = commitment_item(c, today, buttons=False)
        return item

    def with_buttons(self, c: SweptCommitment, today: dt.date) -> Item:
        key = (c.id, today)
        item = self._with_buttons.get(key)
        if item is None:
            p = self.plain(c, today)
            buttons = self._buttons.get((c.number, c.status))
            if buttons is None:
                buttons = self._buttons[(c.number, c.status)] = commitment_buttons(c)
            item = self._with_buttons[key] = Item(
                p.title, p.ref, p.fields, buttons, p.highlight, p.link
            )
        return item


def _snoozed(c: SweptCommitment, today: dt.date) -> bool:
    return c.snoozed_until is not None and c.snoozed_until > today


def _count(n: int, word: str) -> str:
    return f"{n} {word}"


def _tally(names: Iterable[str], *, top: int = TALLY_NAMES) -> str:
    """``Health 12, Housing 9, Police 4 and 5 others (7)``: the biggest counts first."""
    counts: dict[str, int] = defaultdict(int)
    for name in names:
        counts[name] += 1
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].casefold()))
    text = ", ".join(f"{name} {n}" for name, n in ranked[:top])
    if len(ranked) > top:
        others = ranked[top:]
        text += f" and {len(others)} others ({sum(n for _, n in others)})"
    return text


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
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
    with cyclic_gc_paused():
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
        swept = set(outbox.existing(session, [sweep_key(td) for td in plan.teams]))
        plan.already_swept = [td for td in plan.teams if sweep_key(td) in swept]
        plan.teams = [td for td in plan.teams if sweep_key(td) not in swept]
    if not plan.teams:
        return plan
    due = {td.team.id: td for td in plan.teams}
    due_ids = list(due)
    horizon = max(td.week_end for td in plan.teams)

    commitments = _swept(
        session.execute(
            select(*_SWEPT_COLUMNS)
            .where(
                Commitment.team_id.in_(due_ids),
                Commitment.status.in_(OPEN_STATES),
                or_(Commitment.status == "blocked", Commitment.due_date <= horizon),
            )
            .order_by(Commitment.team_id, Commitment.due_date, Commitment.number)
        )
    )
    by_team: dict[int, list[SweptCommitment]] = defaultdict(list)
    for c in commitments:
        if not _snoozed(c, due[c.team_id].today):
            by_team[c.team_id].append(c)

    # Owners' items, per team: overdue or due today.
    nudge_items: dict[int, list[tuple[Team, dt.date, SweptCommitment]]] = defaultdict(list)
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
            elsewhere = _swept(
                session.execute(
                    select(*_SWEPT_COLUMNS)
                    .where(
                        Commitment.owner_id.in_(list(nudge_items)),
                        Commitment.team_id.in_(list(others_today)),
                        Commitment.status.in_(OPEN_STATES),
                        Commitment.due_date <= max(others_today.values()),
                    )
                    .order_by(Commitment.team_id, Commitment.due_date, Commitment.number)
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

    # --- the escalation ladder (commands/ladder.py) ---
    # Imported here: ladder builds on this module's Outgoing and calendar.
    from commands import ladder

    items = _Items()
    climbing = ladder.plan_ladder(session, by_team, due, links_by_team, items)
    escalations, escalating = climbing.outgoing, climbing.commitment_marks()
    # --- end of the ladder ---

    # Measure values whose period has ended without one (commands.measure_requests): asked in the
    # owner's nudge, and shown in the digest once two working days late.
    asks = _measure_values_asked(session, all_teams, due, now)
    asks_by_team: dict[int, list[measure_requests.ValueRequest]] = defaultdict(list)
    for requests in asks.values():
        for request in requests:
            asks_by_team[request.team.id].append(request)
    nudges = _plan_nudges(nudge_items, due, links_by_team, now, items, asks)
    # Deciders who have not answered an open proposal are reminded in their nudge.
    plan.outgoing.extend(ladder.add_decider_reminders(session, nudges, due, links_by_team, now))
    for td in plan.teams:
        for link in links_by_team.get(td.team.id, []):
            digest = _plan_digest(td, link, by_team.get(td.team.id, []), escalating, items)
            digest = _with_late_values(digest, td, link, asks_by_team.get(td.team.id, []))
            if digest is not None:
                plan.outgoing.append(climbing.add_to_digest(digest))
    plan.outgoing.extend(escalations)
    return plan


def _attach_people(session: Session, commitments: Sequence[SweptCommitment]) -> None:
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
        c.owner = owners[c.owner_id]
        c.department = departments.get(c.department_id) if c.department_id else None


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
    nudge_items: Mapping[int, list[tuple[Team, dt.date, SweptCommitment]]],
    due: Mapping[int, TeamDue],
    links_by_team: Mapping[int, list[ChannelLink]],
    now: dt.datetime,
    items: _Items,
    asks: Mapping[int, list[measure_requests.ValueRequest]] | None = None,
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
        overdue = sum(1 for _, d, c in entries if row_is_overdue(c.status, c.due_date, d))
        due_today = len(entries) - overdue
        # The most urgent first (longest overdue), at most NUDGE_ITEMS; the rest are counted
        # with the command that lists them all.
        urgent = sorted(entries, key=lambda e: (e[2].due_date or e[1], e[0].name, e[2].number))
        shown, rest = urgent[:NUDGE_ITEMS], len(urgent) - NUDGE_ITEMS
        sections: list[Section] = []
        last_commitments: int | None = None
        for team_id in teams:
            late = [
                (d, c)
                for t, d, c in shown
                if t.id == team_id and row_is_overdue(c.status, c.due_date, d)
            ]
            today_ = [(d, c) for t, d, c in shown if t.id == team_id and c.due_date == d]
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
            if late or today_:
                last_commitments = len(sections) - 1
            # The measure values asked for (commands.measure_requests), with their inputs.
            asked = [r for r in values if r.team.id == team_id]
            if asked:
                sections.append(measure_requests.nudge_section(asked, prefix=prefix))
        if rest > 0 and last_commitments is not None:
            # The commitments left out are counted under the last commitments shown.
            sections[last_commitments] = dataclasses.replace(
                sections[last_commitments], more=rest, more_command="list mine"
            )
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
) -> dict[int, list[measure_requests.ValueRequest]]:
    """Measure values to ask for, by owner: in the teams due now, and in the owner's other
    teams on a working day there (one nudge a day carries everything, as for commitments)."""
    teams = [(td.team, td.today) for td in due.values()]
    for t in all_teams:
        if t.id not in due:
            today = now.astimezone(ZoneInfo(t.timezone)).date()
            if is_working_day(today, t.holidays):
                teams.append((t, today))
    return measure_requests.by_owner(
        measure_requests.value_requests(session, teams, is_working_day=is_working_day)
    )


def _with_late_values(
    digest: Outgoing | None,
    td: TeamDue,
    link: ChannelLink,
    asks: Sequence[measure_requests.ValueRequest],
) -> Outgoing | None:
    """The channel digest with the team's measure values (``asks``, the team's own) two
    working days late or more (a digest of just those when no commitment needs one)."""
    late = measure_requests.late_values_section(asks)
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
        target=channel_target(link),
        expires_at=end_of_local_day(td.today, td.team.timezone),
        refs=refs,
    )


def _plan_digest(
    td: TeamDue,
    link: ChannelLink,
    commitments: Sequence[SweptCommitment],
    escalating: Mapping[int, str],
    items: _Items,
) -> Outgoing | None:
    today = td.today

    def item(c: SweptCommitment) -> Item:
        shown = items.plain(c, today)
        if c.id in escalating:
            mark = escalating[c.id]  # how high it has climbed (commands/ladder.py)
        elif c.escalated_at is not None:
            mark = day(c.escalated_at.astimezone(ZoneInfo(td.team.timezone)).date())
        else:
            return shown
        return dataclasses.replace(shown, fields=(*shown.fields, Field("Escalated", mark)))

    # Blocked items get their own section whatever their due date; "overdue" here is the
    # rule's overdue (commands.rules) less those.
    blocked = [c for c in commitments if c.status == "blocked"]
    overdue = [
        c
        for c in commitments
        if c.status != "blocked" and row_is_overdue(c.status, c.due_date, today)
    ]
    this_week = [
        c
        for c in commitments
        if c.status != "blocked" and c.due_date and today <= c.due_date <= td.week_end
    ]
    if not (blocked or overdue or this_week):
        return None

    # Overdue: by owner when there are few; else counts by department and owner and the
    # most overdue items, then how many more and how to see them all.
    sections: list[Section] = []
    fields: list[Field] = []
    if len(overdue) <= DIGEST_ITEMS:
        groups: dict[tuple[str, str, int], list[SweptCommitment]] = defaultdict(list)
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
    else:
        fields = [
            Field(
                "Overdue by department",
                _tally(c.department.name if c.department else "no department" for c in overdue),
            ),
            Field("Overdue by owner", _tally(c.owner.display_name for c in overdue)),
        ]
        most = sorted(overdue, key=lambda c: (c.due_date, c.number))
        sections = [
            Section(
                "Most overdue",
                tuple(item(c) for c in most[:DIGEST_ITEMS]),
                more=len(most) - DIGEST_ITEMS,
                more_command="list overdue",
            )
        ]
    if this_week:
        sections.append(
            Section(
                "Due this week",
                tuple(item(c) for c in this_week[:DIGEST_ITEMS]),
                more=max(0, len(this_week) - DIGEST_ITEMS),
                more_command="list open",
            )
        )
    if blocked:
        sections.append(
            Section(
                "Blocked",
                tuple(item(c) for c in blocked[:DIGEST_ITEMS]),
                more=max(0, len(blocked) - DIGEST_ITEMS),
                more_command="list blocked",
            )
        )
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
            fields=tuple(fields),
            sections=tuple(sections),
            visibility="channel",
            data={"kind": DIGEST, "team": td.team.name, "summary": summary},
        ),
        target=channel_target(link),
        expires_at=end_of_local_day(today, td.team.timezone),
        refs=tuple(ref("C", c.number) for c in (*overdue, *this_week, *blocked)),
    )
