"""The escalation ladder: what climbs it, when, and to whom each step goes.

What climbs, each from its own start and with its own threshold in working days
(``team set escalation <kind> <days>``):

- an **overdue** commitment, from its due date (threshold ``escalation_days``);
- a **blocked** commitment, from the day it was blocked (``blocked_escalation_days``);
- a **red risk** still open, from the day it was logged (``risk_escalation_days``);
- a **proposal** past its ``decide by`` date (``proposal_escalation_days``).

Counted in working days (``working_days_overdue``: weekends and the team's public
holidays do not count), rung *n* is due once the item is more than *n* thresholds
old: with 3 days, the first step on the 4th working day, the second on the 7th. One
rung per item per day, so a late start climbs a step a day, never skips one.

The team's ladder (``team ladder accountable, lead, sro, channel``) is resolved per
item: ``accountable`` is the accountable person of the item's area (``matching_area``),
``lead`` the team's first lead, ``sro`` the team's SRO, ``channel`` the team's Slack
and Teams channels. A step that names nobody for this item (no matching area) is
passed over, and a person already on the item's ladder is not asked twice.

Each step is taken once: it is planned as an escalation message whose delivery row is
unique per (item, round, rung), and recorded in ``ladder_steps`` when the delivery
engine has delivered it (``record_steps``, from ``commands.reminders.record_escalation``):
a step whose delivery ran out of time that day is planned again on the next working day.
Re-dating, reassigning, blocking, unblocking or revising writes a reset (rung 0) that
opens a new round: the item starts again at the bottom, and its clock counts from the
reset day (a re-dated commitment's from its new due date).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from commands.presenting import day, person_with_department, ref
from commands.reminder_plan import (
    ESCALATION,
    NUDGE,
    Outgoing,
    SweptCommitment,
    TeamDue,
    _Items,
    _platforms,
    channel_target,
)
from commands.reply import Field, Item, Reply, Section
from commands.rules import matching_area, risk_rating, row_is_overdue
from commands.workdays import end_of_local_day, working_days_overdue
from storage.models import (
    Area,
    AreaRole,
    AuditEvent,
    ChannelLink,
    LadderStep,
    Person,
    Proposal,
    ProposalDecider,
    Risk,
    Team,
    TeamMember,
)

KIND_LABEL = {
    "overdue": "overdue commitment",
    "blocked": "blocked commitment",
    "red_risk": "red risk",
    "proposal": "proposal past its deadline",
}
THRESHOLD = {
    "overdue": "escalation_days",
    "blocked": "blocked_escalation_days",
    "red_risk": "risk_escalation_days",
    "proposal": "proposal_escalation_days",
}


def steps_of(ladder: str) -> list[str]:
    return [s.strip() for s in ladder.split(",") if s.strip()]


def rungs_due(elapsed: int, threshold: int) -> int:
    """How many rungs an item ``elapsed`` working days old has earned: rung n once it is
    more than n thresholds old."""
    if elapsed <= threshold or threshold < 1:
        return 0
    return (elapsed - 1) // threshold


@dataclass(frozen=True)
class Climber:
    """One item that may climb: its key (``commitment:12``), what kind of climb, its team,
    the day its clock starts, its text and how it reads."""

    item: str
    kind: str
    team_id: int
    start: dt.date
    text: str
    ref: str
    owner: Person | None
    commitment: SweptCommitment | None = None


@dataclass(frozen=True)
class Rung:
    """A step resolved for one item: a person, or the team's channels."""

    step: str
    person: Person | None
    why: str


@dataclass
class Height:
    """How far an item has climbed in its current round."""

    round: int = 0
    rung: int = 0
    reset_on: dt.date | None = None
    reset_why: str | None = None
    to: str | None = None
    on: dt.date | None = None


def heights(session: Session, team_ids: Sequence[int], items: Iterable[str]) -> dict[str, Height]:
    """Each item's current round, its highest rung taken in it, and its last reset day: one
    statement for the due teams, whatever the number of items."""
    wanted = set(items)
    found: dict[str, Height] = {}
    # Plain rows, not LadderStep objects: a sweep reads tens of thousands of steps.
    for item, round_, rung, local_day, to in session.execute(
        select(
            LadderStep.item, LadderStep.round, LadderStep.rung, LadderStep.local_day, LadderStep.to
        )
        .where(LadderStep.team_id.in_(list(team_ids)))
        .order_by(LadderStep.item, LadderStep.round, LadderStep.rung)
    ):
        if item not in wanted:
            continue
        h = found.setdefault(item, Height())
        if round_ > h.round:
            found[item] = h = Height(round=round_)
        if rung == 0:
            h.reset_on, h.reset_why = local_day, to
        elif rung > h.rung:
            h.rung, h.to, h.on = rung, to, local_day
    return found


def _local(at: dt.datetime, timezone: str) -> dt.date:
    return at.astimezone(ZoneInfo(timezone)).date()


def climbers(
    session: Session,
    commitments_by_team: Mapping[int, Sequence[SweptCommitment]],
    due: Mapping[int, TeamDue],
) -> list[Climber]:
    """Everything in the due teams that is past where its clock starts: overdue and blocked
    commitments (already loaded by the sweep), open red risks and open proposals past
    their deadline (two batched queries)."""
    out: list[Climber] = []
    for team_id, listed in commitments_by_team.items():
        td = due[team_id]
        for c in listed:
            r = ref("C", c.number)
            if c.status == "blocked":
                since = _local(c.updated_at, td.team.timezone) if c.updated_at else td.today
                out.append(
                    Climber(f"commitment:{c.id}", "blocked", team_id, since, c.text, r, c.owner, c)
                )
            elif row_is_overdue(c.status, c.due_date, td.today) and c.due_date is not None:
                out.append(
                    Climber(
                        f"commitment:{c.id}", "overdue", team_id, c.due_date, c.text, r, c.owner, c
                    )
                )
    team_ids = list(due)
    for risk in session.scalars(
        select(Risk).where(Risk.team_id.in_(team_ids), Risk.status == "open").order_by(Risk.id)
    ):
        if risk_rating(impact=risk.impact, likelihood=risk.likelihood) != "red":
            continue
        td = due[risk.team_id]
        out.append(
            Climber(
                f"risk:{risk.id}",
                "red_risk",
                risk.team_id,
                _local(risk.created_at, td.team.timezone),
                risk.text,
                ref("R", risk.number),
                risk.owner,
            )
        )
    for p in session.scalars(
        select(Proposal)
        .where(
            Proposal.team_id.in_(team_ids),
            Proposal.status == "open",
            Proposal.decide_by.is_not(None),
        )
        .order_by(Proposal.id)
    ):
        assert p.decide_by is not None
        if p.decide_by < due[p.team_id].today:
            out.append(
                Climber(
                    f"proposal:{p.id}",
                    "proposal",
                    p.team_id,
                    p.decide_by,
                    p.text,
                    ref("P", p.number),
                    p.proposed_by,
                )
            )
    return out


class _Directory:
    """The people a ladder can name, for the due teams, in three batched queries."""

    def __init__(self, session: Session, team_ids: Sequence[int]) -> None:
        self.leads: dict[int, Person] = {}
        for member, person in session.execute(
            select(TeamMember, Person)
            .join(Person, Person.id == TeamMember.person_id)
            .where(TeamMember.team_id.in_(team_ids), TeamMember.role == "lead")
            .order_by(TeamMember.joined_at, TeamMember.id)
        ).unique():
            self.leads.setdefault(member.team_id, person)
        self.areas: dict[int, dict[int, Area]] = defaultdict(dict)
        self.accountable: dict[int, Person] = {}
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
            self.areas[area.team_id][area.id] = area
            self.accountable.setdefault(area.id, person)
        # A ladder depends only on the team and the item's area: resolved once for each.
        self._resolved: dict[tuple[int, int | None], list[Rung]] = {}

    def resolve(self, session: Session, td: TeamDue, climber: Climber) -> list[Rung]:
        team = td.team
        steps = steps_of(team.ladder)
        area = (
            matching_area(self.areas[team.id].values(), climber.text)
            if "accountable" in steps
            else None
        )
        key = (team.id, area.id if area is not None else None)
        rungs = self._resolved.get(key)
        if rungs is None:
            rungs = self._resolved[key] = self._rungs(session, team, steps, area)
        return rungs

    def _rungs(
        self, session: Session, team: Team, steps: Sequence[str], area: Area | None
    ) -> list[Rung]:
        rungs: list[Rung] = []
        seen: set[int] = set()
        for step in steps:
            if step == "channel":
                rungs.append(Rung("channel", None, f"Nobody has moved it in {team.name}."))
                continue
            person: Person | None = None
            why = ""
            if step == "accountable":
                if area is not None:
                    person, why = self.accountable[area.id], f"You are accountable for {area.name}."
            elif step == "lead":
                person = self.leads.get(team.id)
                if person is not None:
                    why = f"You lead {team.name}" + (
                        "; no area with an accountable person matches it."
                        if self.areas[team.id]
                        else "."
                    )
            elif step == "sro" and team.sro_id is not None:
                person = session.get(Person, team.sro_id)
                why = f"You are the SRO of {team.name}."
            if person is not None and person.id not in seen:
                seen.add(person.id)
                rungs.append(Rung(step, person, why))
        return rungs


@dataclass
class LadderPlan:
    """The ladder's part of a sweep: the steps due today as escalation messages, how high
    each escalated item is (``{"commitment:12": "today, to Jo (step 1 of 2)"}``), and the
    escalated risks and proposals per team, for the digest."""

    outgoing: list[Outgoing] = field(default_factory=list)
    marks: dict[str, str] = field(default_factory=dict)
    others: dict[int, list[Item]] = field(default_factory=lambda: defaultdict(list))

    def commitment_marks(self) -> dict[int, str]:
        return {
            int(item.split(":")[1]): mark
            for item, mark in self.marks.items()
            if item.startswith("commitment:")
        }

    def add_to_digest(self, digest: Outgoing) -> Outgoing:
        """The digest with an "Escalated" section for the team's risks and proposals."""
        extra = self.others.get(digest.team_id or 0)
        if not extra:
            return digest
        reply = replace(
            digest.reply, sections=(*digest.reply.sections, Section("Escalated", tuple(extra)))
        )
        return replace(digest, reply=reply, refs=(*digest.refs, *(i.ref or "" for i in extra)))


def plan_ladder(
    session: Session,
    commitments_by_team: Mapping[int, Sequence[SweptCommitment]],
    due: Mapping[int, TeamDue],
    links_by_team: Mapping[int, list[ChannelLink]],
    items: _Items,
) -> LadderPlan:
    """The ladder steps due today for the due teams (see ``LadderPlan``)."""
    plan = LadderPlan()
    found = climbers(session, commitments_by_team, due)
    if not found:
        return plan
    team_ids = sorted({c.team_id for c in found})
    height = heights(session, team_ids, (c.item for c in found))
    directory = _Directory(session, team_ids)
    out, marks = plan.outgoing, plan.marks
    for climber in found:
        td = due[climber.team_id]
        h = height.get(climber.item, Height())
        start = climber.start
        if h.reset_on is not None and not (climber.kind == "overdue" and h.reset_why == "redated"):
            start = max(start, h.reset_on)
        threshold = int(getattr(td.team, THRESHOLD[climber.kind]))
        elapsed = working_days_overdue(start, td.today, td.team.holidays)
        earned = rungs_due(elapsed, threshold)
        if not h.rung and not earned:
            continue  # not on its ladder yet, nor due to be: no need to resolve who is on it
        rungs = directory.resolve(session, td, climber)
        if h.rung:
            marks[climber.item] = f"{day(h.on)}, to {h.to} (step {h.rung} of {len(rungs)})"
        nxt = h.rung + 1
        if nxt <= earned and nxt <= len(rungs):
            rung = rungs[nxt - 1]
            planned = _messages(
                climber, td, h.round, nxt, len(rungs), rung, elapsed, links_by_team, items
            )
            out.extend(planned)
            to = planned[0].to if rung.person else "the team's channels"
            marks[climber.item] = f"today, to {to} (step {nxt} of {len(rungs)})"
        if climber.commitment is None and climber.item in marks:
            plan.others[climber.team_id].append(
                Item(
                    title=climber.text,
                    ref=climber.ref,
                    fields=(
                        Field("Why", KIND_LABEL[climber.kind]),
                        Field("Escalated", marks[climber.item]),
                    ),
                    highlight=True,
                )
            )
    return plan


def _headline(climber: Climber, elapsed: int) -> str:
    if climber.kind == "overdue":
        return f"Escalation: {climber.ref} is {elapsed} working days overdue"
    if climber.kind == "blocked":
        return f"Escalation: {climber.ref} has been blocked for {elapsed} working days"
    if climber.kind == "red_risk":
        return f"Escalation: red risk {climber.ref} has been open for {elapsed} working days"
    return f"Escalation: {climber.ref} is {elapsed} working days past its deadline"


def _body(climber: Climber, td: TeamDue) -> str:
    c = climber.commitment
    if c is not None and climber.kind == "overdue":
        assert c.due_date is not None
        owner = person_with_department(c.owner)
        return f"{owner} owns it in {td.team.name}; it was due {day(c.due_date)}."
    if c is not None:
        owner = person_with_department(c.owner)
        return f"{owner} owns it in {td.team.name}; blocked: {c.blocked_reason}."
    if climber.kind == "red_risk":
        owner = person_with_department(climber.owner) if climber.owner else "nobody"
        return f"{climber.text} (owner: {owner}, {td.team.name})."
    by = person_with_department(climber.owner)
    return f"{climber.text} (proposed by {by}, {td.team.name}); not every decider has agreed."


def _messages(
    climber: Climber,
    td: TeamDue,
    round_: int,
    rung_no: int,
    of: int,
    rung: Rung,
    elapsed: int,
    links_by_team: Mapping[int, list[ChannelLink]],
    items: _Items,
) -> list[Outgoing]:
    step_note = f" (step {rung_no} of {of})" if of > 1 and rung_no > 1 else ""
    headline = _headline(climber, elapsed) + step_note
    body = f"{_body(climber, td)} {rung.why}"
    c = climber.commitment
    if c is not None:
        shown: Item = items.with_buttons(c, td.today)
    else:
        shown = Item(title=climber.text, ref=climber.ref, highlight=True)
    data: dict[str, Any] = {
        "kind": ESCALATION,
        "item": climber.item,
        "team": td.team.name,
        "working_days": elapsed,
        "ladder": {"kind": climber.kind, "round": round_, "rung": rung_no, "of": of},
    }
    if c is not None:
        data |= {"commitment": climber.ref, "working_days_overdue": elapsed}
    mark: dict[str, Any] = {
        "team_id": td.team.id,
        "item": climber.item,
        "kind": climber.kind,
        "round": round_,
        "rung": rung_no,
        "step": rung.step,
        "person_id": rung.person.id if rung.person else None,
        "local_day": td.today,
    }
    section = Section(KIND_LABEL[climber.kind].capitalize(), (shown,))
    subject = f"ladder:{climber.item}:{round_}:{rung_no}"
    if rung.person is not None:
        person = rung.person
        return [
            Outgoing(
                kind=ESCALATION,
                subject=subject,
                local_day=td.today,
                team_id=td.team.id,
                to=person.display_name,
                reply=Reply(
                    headline=headline,
                    body=body,
                    sections=(section,),
                    ref=climber.ref,
                    data=data | {"person_id": person.id},
                ),
                target={
                    "person_id": person.id,
                    "platforms": _platforms([td.team.id], links_by_team),
                },
                # Worth sending until the end of the team's working day; one not delivered
                # by then is planned again on the next.
                expires_at=end_of_local_day(td.today, td.team.timezone),
                commitment_id=c.id if c is not None else None,
                refs=(climber.ref,),
                ladder=mark | {"to": person.display_name},
            )
        ]
    out = []
    for link in links_by_team.get(td.team.id, []):
        where = f"{link.platform} {link.name or link.channel_id}"
        out.append(
            Outgoing(
                kind=ESCALATION,
                subject=f"{subject}:channel:{link.id}",
                local_day=td.today,
                team_id=td.team.id,
                to=where,
                reply=Reply(
                    headline=headline,
                    body=body,
                    sections=(section,),
                    visibility="channel",
                    ref=climber.ref,
                    data=data,
                ),
                target=channel_target(link),
                # Worth sending until the end of the team's working day; one not delivered
                # by then is planned again on the next.
                expires_at=end_of_local_day(td.today, td.team.timezone),
                commitment_id=c.id if c is not None else None,
                refs=(climber.ref,),
                ladder=mark | {"to": "the team's channels"},
            )
        )
    return out


def record_steps(session: Session, marks: Sequence[dict[str, Any]], *, now: dt.datetime) -> None:
    """Record the ladder steps whose escalation was delivered (``marks``: the ``ladder``
    entries of their payloads): one row per (item, round, rung) however many channels the
    step posts to, and an audit event for each step recorded the first time."""
    steps: dict[tuple[str, int, int], dict[str, Any]] = {}
    for mark in marks:
        row = dict(mark)
        if isinstance(row.get("local_day"), str):
            row["local_day"] = dt.date.fromisoformat(row["local_day"])
        steps.setdefault((row["item"], row["round"], row["rung"]), row)
    if not steps:
        return
    # ON CONFLICT DO NOTHING: a step already recorded stays as it was (the delivery row's
    # unique key already keeps two schedulers from both winning the same step).
    dialect = session.get_bind().dialect.name
    insert_ = postgresql.insert if dialect == "postgresql" else sqlite.insert
    recorded = []
    for row in steps.values():
        inserted = session.execute(
            insert_(LadderStep)
            .values(**row, at=now)
            .on_conflict_do_nothing(index_elements=["item", "round", "rung"])
            .returning(LadderStep.id)
        ).first()
        if inserted is not None:
            recorded.append(row)
    if not recorded:
        return
    session.execute(
        insert(AuditEvent),
        [
            {
                "team_id": row["team_id"],
                "action": "ladder.step_taken",
                "entity": row["item"].split(":")[0],
                "entity_id": int(row["item"].split(":")[1]),
                "after": {
                    "kind": row["kind"],
                    "round": row["round"],
                    "rung": row["rung"],
                    "step": row["step"],
                    "to": row["to"],
                },
                "at": now,
            }
            for row in recorded
        ],
    )


# --- deciders' daily reminder ----------------------------------------------------------------


def add_decider_reminders(
    session: Session,
    nudges: Sequence[Outgoing],
    due: Mapping[int, TeamDue],
    links_by_team: Mapping[int, list[ChannelLink]],
    now: dt.datetime,
) -> list[Outgoing]:
    """The day's nudges with a "Waiting for your answer" section for every decider who has
    not answered an open proposal in a due team (with Agree / Object / Abstain buttons), and
    a nudge of its own for a decider who has nothing else on their list today."""
    # Imported here: proposals (the command side) is not needed by a sweep otherwise.
    from commands.proposals import proposal_buttons

    waiting: dict[int, list[tuple[TeamDue, Proposal]]] = defaultdict(list)
    for decider, proposal in session.execute(
        select(ProposalDecider, Proposal)
        .join(Proposal, Proposal.id == ProposalDecider.proposal_id)
        .where(
            Proposal.team_id.in_(list(due)),
            Proposal.status == "open",
            ProposalDecider.answer.is_(None),
        )
        .order_by(Proposal.team_id, Proposal.number)
    ).unique():
        waiting[decider.person_id].append((due[proposal.team_id], proposal))
    if not waiting:
        return list(nudges)

    def section(entries: list[tuple[TeamDue, Proposal]]) -> Section:
        return Section(
            "Waiting for your answer",
            tuple(
                Item(
                    title=p.text,
                    ref=ref("P", p.number),
                    fields=(
                        Field("Team", td.team.name),
                        Field("Proposed by", person_with_department(p.proposed_by)),
                        Field("Decide by", day(p.decide_by)),
                    ),
                    buttons=proposal_buttons(p),
                    highlight=p.decide_by is not None and p.decide_by < td.today,
                )
                for td, p in entries
            ),
        )

    out: list[Outgoing] = []
    for nudge in nudges:
        person_id = nudge.target.get("person_id")
        entries = waiting.pop(person_id, []) if person_id is not None else []
        if entries:
            reply = replace(nudge.reply, sections=(*nudge.reply.sections, section(entries)))
            refs = tuple(ref("P", p.number) for _, p in entries)
            nudge = replace(nudge, reply=reply, refs=(*nudge.refs, *refs))
        out.append(nudge)
    people = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(list(waiting))))}
    for person_id, entries in waiting.items():
        person = people[person_id]
        td = entries[0][0]
        today = now.astimezone(ZoneInfo(person.timezone)).date() if person.timezone else td.today
        n = len(entries)
        out.append(
            Outgoing(
                kind=NUDGE,
                subject=f"person:{person_id}",
                local_day=today,
                team_id=td.team.id,
                to=person.display_name,
                reply=Reply(
                    headline=f"Good morning {person.display_name}: {n} proposal"
                    f"{'s' if n != 1 else ''} waiting for your answer",
                    body="Agree, object (say why) or abstain for your department.",
                    sections=(section(entries),),
                    data={
                        "kind": NUDGE,
                        "person_id": person_id,
                        "proposals": [ref("P", p.number) for _, p in entries],
                    },
                ),
                target={
                    "person_id": person_id,
                    "platforms": _platforms([t.team.id for t, _ in entries], links_by_team),
                },
                expires_at=end_of_local_day(today, person.timezone or td.team.timezone),
                refs=tuple(ref("P", p.number) for _, p in entries),
            )
        )
    return out
