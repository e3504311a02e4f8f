"""Decisions agreed across organisations: proposals, their deciders, and `who can decide`.

A proposal (``P-n``) asks one decider per department to answer. The decider of a
department in a team is the person named with ``team decider <dept> <owner>``,
else the team's first lead from that department. Only deciders' answers count;
anyone may ``comment``. When every decider has answered and none objects (abstentions
allowed, at least one agreement), the proposal becomes a Decision ``D-n`` that
records who agreed for which department. A later answer replaces an earlier one
(the audit trail keeps both); ``propose revise`` asks everyone again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, or_, select

from commands import actions as a
from commands.context import Context
from commands.language import CommandError
from commands.presenting import day, person_with_department, ref
from commands.reply import Button, Field, Item, Reply, Section
from commands.rules import keywords, matching_area
from commands.usages import usage_line
from storage import people
from storage.models import (
    Area,
    Decision,
    Department,
    DepartmentDecider,
    LadderStep,
    Person,
    Proposal,
    ProposalComment,
    ProposalDecider,
    Team,
    TeamMember,
)
from storage.teams import links_of_team, next_number

ANSWER_WORDS = {"agree": "agreed", "object": "objected", "abstain": "abstained"}


# --- who decides -----------------------------------------------------------------------------


def team_departments(ctx: Context, team: Team) -> list[Department]:
    """The departments of the team's members, by name."""
    return list(
        ctx.session.scalars(
            select(Department)
            .join(Person, Person.department_id == Department.id)
            .join(TeamMember, TeamMember.person_id == Person.id)
            .where(TeamMember.team_id == team.id)
            .distinct()
            .order_by(Department.name)
        )
    )


def named_decider(ctx: Context, team: Team, department: Department) -> DepartmentDecider | None:
    return ctx.session.scalars(
        select(DepartmentDecider)
        .where(
            DepartmentDecider.team_id == team.id,
            DepartmentDecider.department_id == department.id,
            DepartmentDecider.ended_at.is_(None),
        )
        .order_by(DepartmentDecider.id.desc())
    ).first()


def decider_for(ctx: Context, team: Team, department: Department) -> Person | None:
    """The department's named decider, else the team's first lead from that department."""
    named = named_decider(ctx, team, department)
    if named is not None:
        return named.person
    return ctx.session.scalars(
        select(Person)
        .join(TeamMember, TeamMember.person_id == Person.id)
        .where(
            TeamMember.team_id == team.id,
            TeamMember.role == "lead",
            Person.department_id == department.id,
        )
        .order_by(TeamMember.joined_at, TeamMember.id)
    ).first()


def _departments_named(ctx: Context, team: Team, names: Sequence[str]) -> list[Department]:
    known = team_departments(ctx, team)
    if not names:
        if not known:
            raise CommandError(
                f"Nobody in {team.name} has a department yet, so nobody can decide. "
                "Set them with `dept <owner> <department>`.",
                usage=usage_line("dept"),
            )
        return known
    by_key = {d.key: d for d in known}
    chosen: list[Department] = []
    for name in names:
        dept = by_key.get(" ".join(name.split()).casefold())
        if dept is None:
            listed = ", ".join(d.name for d in known) or "none yet"
            raise CommandError(
                f'There is no department called "{name}" in {team.name} '
                f"(its departments: {listed}).",
                usage=usage_line("propose"),
            )
        if dept not in chosen:
            chosen.append(dept)
    return chosen


# --- how a proposal reads --------------------------------------------------------------------


def _answer_phrase(d: ProposalDecider) -> str:
    if d.answer is None:
        return f"{d.person.display_name}: waiting"
    said = f"{d.person.display_name}: {ANSWER_WORDS[d.answer]}"
    return f"{said} ({d.note})" if d.note else said


def proposal_buttons(p: Proposal) -> tuple[Button, ...]:
    """Agree / Object / Abstain run as whoever clicks; Object asks for the reason."""
    r = ref("P", p.number)
    if p.status != "open":
        return ()
    return (
        Button("Agree", f"agree {r}", style="primary"),
        Button("Object", f"object {r}", style="danger"),
        Button("Abstain", f"abstain {r}"),
    )


def proposal_fields(p: Proposal) -> tuple[Field, ...]:
    fields = []
    if p.rationale:
        fields.append(Field("Because", p.rationale))
    fields.append(Field("Proposed by", person_with_department(p.proposed_by)))
    if p.decide_by:
        fields.append(Field("Decide by", day(p.decide_by)))
    fields.extend(Field(d.department.name, _answer_phrase(d)) for d in p.deciders)
    if p.status != "open":
        fields.append(Field("Status", p.status))
    return tuple(fields)


def proposal_item(p: Proposal) -> Item:
    return Item(
        title=p.text,
        ref=ref("P", p.number),
        fields=proposal_fields(p),
        buttons=proposal_buttons(p),
    )


def _proposal_reply(
    p: Proposal, headline: str, *, body: str | None = None, buttons: bool = True
) -> Reply:
    return Reply(
        headline=headline,
        body=body if body is not None else p.text,
        fields=proposal_fields(p),
        buttons=proposal_buttons(p) if buttons else (),
        visibility="channel",
        ref=ref("P", p.number),
        data={
            "id": ref("P", p.number),
            "text": p.text,
            "status": p.status,
            "revision": p.revision,
            "decide_by": p.decide_by.isoformat() if p.decide_by else None,
            "deciders": [
                {
                    "department": d.department.name,
                    "person": d.person.display_name,
                    "answer": d.answer,
                    "note": d.note,
                }
                for d in p.deciders
            ],
        },
    )


def _state(p: Proposal) -> dict[str, Any]:
    return {"status": p.status, "text": p.text, "revision": p.revision}


def _proposal(ctx: Context, number: int) -> Proposal:
    """The team's ``P-<number>``, locked for this transaction: two deciders answering at
    once are taken one after the other, so the last agreement always sees the others'."""
    team = ctx.require_team()
    found = ctx.session.scalars(
        select(Proposal)
        .where(Proposal.team_id == team.id, Proposal.number == number)
        # Only the proposal's row: its eager-loaded proposer is an outer join, which
        # PostgreSQL will not lock.
        .with_for_update(of=Proposal)
        .execution_options(populate_existing=True)
    ).first()
    if found is None:
        raise CommandError(f"There is no P-{number} in {team.name}.")
    return found


def _require_open(p: Proposal, ctx: Context) -> None:
    if p.status == "agreed":
        decision = ctx.session.get(Decision, p.decision_id) if p.decision_id else None
        as_ = f" as D-{decision.number}" if decision else ""
        raise CommandError(f"P-{p.number} is already agreed{as_}; nothing more to answer.")
    if p.status == "withdrawn":
        raise CommandError(f"P-{p.number} was withdrawn.")


def _may_steer(ctx: Context, p: Proposal, verb: str) -> None:
    if ctx.actor.id != p.proposed_by_id and not ctx.is_lead():
        raise CommandError(
            f"Only {p.proposed_by.display_name} (who proposed it) or a team lead can {verb} "
            f"P-{p.number}."
        )


# --- commands --------------------------------------------------------------------------------


def propose(cmd: a.Propose, ctx: Context) -> Reply:
    team = ctx.require_team()
    decide_by = (
        ctx.resolve_when(cmd.decide_by, usage=usage_line("propose")) if cmd.decide_by else None
    )
    if decide_by is not None and decide_by < ctx.today:
        raise CommandError(
            f"{day(decide_by)} has passed; give a deadline from today on.",
            usage=usage_line("propose"),
        )
    departments = _departments_named(ctx, team, cmd.departments)
    deciders: list[tuple[Department, Person]] = []
    for dept in departments:
        person = decider_for(ctx, team, dept)
        if person is None:
            raise CommandError(
                f"Nobody can decide for {dept.name}: name someone with "
                f"`team decider {dept.name} <owner>`, or make one of its people a team lead.",
                usage=usage_line("team decider"),
            )
        deciders.append((dept, person))
    p = Proposal(
        team_id=team.id,
        number=next_number(ctx.session, team.id, "P"),
        text=cmd.text,
        rationale=cmd.rationale,
        proposed_by_id=ctx.actor.id,
        decide_by=decide_by,
        source_platform=ctx.invocation.platform,
        created_at=ctx.now,
    )
    ctx.session.add(p)
    ctx.session.flush()
    for dept, person in deciders:
        ctx.session.add(
            ProposalDecider(proposal_id=p.id, department_id=dept.id, person_id=person.id)
        )
    ctx.session.flush()
    ctx.session.refresh(p)
    ctx.audit(
        "proposal.opened",
        "proposal",
        p.id,
        after=_state(p) | {"deciders": {d.name: who.id for d, who in deciders}},
    )
    names = ", ".join(f"{who.display_name} ({d.name})" for d, who in deciders)
    reply = _proposal_reply(
        p,
        f"{ref('P', p.number)} proposed by {ctx.actor.display_name}",
        body=f"{p.text}\nDeciders: {names}.",
    )
    ctx.announce(reply)
    return reply


def answer(cmd: a.AnswerProposal, ctx: Context) -> Reply:
    p = _proposal(ctx, cmd.number)
    _require_open(p, ctx)
    mine = [d for d in p.deciders if d.person_id == ctx.actor.id]
    if not mine:
        names = ", ".join(f"{d.person.display_name} ({d.department.name})" for d in p.deciders)
        raise CommandError(
            f"Only P-{p.number}'s deciders can answer it: {names}. "
            f"You can comment with `comment P-{p.number} <text>`."
        )
    changed = []
    for d in mine:
        before = {"answer": d.answer, "note": d.note}
        d.answer, d.note, d.answered_at = cmd.answer, cmd.note, ctx.now
        action = "proposal.answered" if before["answer"] is None else "proposal.answer_changed"
        ctx.audit(
            action,
            "proposal",
            p.id,
            before=before if before["answer"] is not None else None,
            after={
                "answer": cmd.answer,
                "note": cmd.note,
                "department": d.department.name,
                "revision": p.revision,
            },
        )
        changed.append(d)
    ctx.session.flush()
    r = ref("P", p.number)
    who = ctx.actor.display_name
    depts = ", ".join(d.department.name for d in changed)
    if cmd.answer == "object":
        reply = _proposal_reply(
            p,
            f"{r}: {who} objects for {depts}",
            body=f"{p.proposed_by.display_name}, {who} objects: {cmd.note}. "
            f"Revise it with `propose revise {r} <text>` or withdraw it with "
            f"`propose withdraw {r}`.",
        )
        ctx.announce(reply)
        return reply
    answers = [d.answer for d in p.deciders]
    if None not in answers and "object" not in answers and "agree" in answers:
        return _agreed(p, ctx)
    waiting = [d for d in p.deciders if d.answer is None]
    still = (
        "Waiting for "
        + ", ".join(f"{d.person.display_name} ({d.department.name})" for d in waiting)
        if waiting
        else "Someone still objects; nothing is decided yet."
        if "object" in answers
        else "Everyone abstained; nothing is decided."
    )
    reply = _proposal_reply(
        p, f"{r}: {who} {ANSWER_WORDS[cmd.answer]} for {depts}", body=f"{p.text}\n{still}."
    )
    ctx.announce(reply)
    return reply


def _agreed(p: Proposal, ctx: Context) -> Reply:
    team = ctx.require_team()
    proposer = p.proposed_by
    decision = Decision(
        team_id=team.id,
        number=next_number(ctx.session, team.id, "D"),
        text=p.text,
        rationale=p.rationale,
        decided_by_id=proposer.id,
        department_id=proposer.department_id,
        source_platform=ctx.invocation.platform,
        created_at=ctx.now,
    )
    ctx.session.add(decision)
    ctx.session.flush()
    before = _state(p)
    p.status, p.decision_id, p.closed_at = "agreed", decision.id, ctx.now
    agreed_by = {
        d.department.name: d.person.display_name for d in p.deciders if d.answer == "agree"
    }
    ctx.audit(
        "decision.logged",
        "decision",
        decision.id,
        after={"status": "active", "text": decision.text, "proposal": p.number}
        | {"agreed_by": agreed_by},
    )
    ctx.audit("proposal.agreed", "proposal", p.id, before=before, after=_state(p))
    d_ref = ref("D", decision.number)
    reply = Reply(
        headline=f"{ref('P', p.number)} agreed: now {d_ref}",
        body=decision.text,
        fields=(
            *((Field("Because", p.rationale),) if p.rationale else ()),
            Field("Agreed by", how_agreed(p)),
            Field("Proposed by", person_with_department(proposer)),
        ),
        visibility="channel",
        ref=d_ref,
        data={
            "id": d_ref,
            "proposal": ref("P", p.number),
            "text": decision.text,
            "how": "agreed",
            "agreed_by": agreed_by,
        },
    )
    ctx.announce(reply)
    return reply


def how_agreed(p: Proposal) -> str:
    """``Sam (Health), Jo (Police); Lee (Housing) abstained``."""
    agreed = [
        f"{d.person.display_name} ({d.department.name})" for d in p.deciders if d.answer == "agree"
    ]
    abstained = [
        f"{d.person.display_name} ({d.department.name})"
        for d in p.deciders
        if d.answer == "abstain"
    ]
    text = ", ".join(agreed)
    if abstained:
        text += "; " + ", ".join(abstained) + " abstained"
    return text


def comment(cmd: a.CommentOnProposal, ctx: Context) -> Reply:
    p = _proposal(ctx, cmd.number)
    _require_open(p, ctx)
    ctx.session.add(
        ProposalComment(proposal_id=p.id, person_id=ctx.actor.id, text=cmd.text, at=ctx.now)
    )
    ctx.audit("proposal.commented", "proposal", p.id, after={"comment": cmd.text})
    reply = Reply(
        headline=f"{ref('P', p.number)}: {ctx.actor.display_name} comments",
        body=cmd.text,
        fields=(Field("Proposal", p.text),),
        visibility="channel",
        ref=ref("P", p.number),
        data={"id": ref("P", p.number), "comment": cmd.text},
    )
    ctx.announce(reply)
    return reply


def revise(cmd: a.ReviseProposal, ctx: Context) -> Reply:
    p = _proposal(ctx, cmd.number)
    _require_open(p, ctx)
    _may_steer(ctx, p, "revise")
    before = _state(p)
    p.text, p.revision = cmd.text, p.revision + 1
    for d in p.deciders:
        d.answer, d.note, d.answered_at = None, None, None
    # A revised proposal is a new question: a deadline escalation starts at the bottom again.
    reset_ladder(ctx, f"proposal:{p.id}", "revised")
    ctx.audit("proposal.revised", "proposal", p.id, before=before, after=_state(p))
    ctx.session.flush()
    reply = _proposal_reply(
        p,
        f"{ref('P', p.number)} revised by {ctx.actor.display_name}: deciders, please answer again",
    )
    ctx.announce(reply)
    return reply


def withdraw(cmd: a.WithdrawProposal, ctx: Context) -> Reply:
    p = _proposal(ctx, cmd.number)
    _require_open(p, ctx)
    _may_steer(ctx, p, "withdraw")
    before = _state(p)
    p.status, p.closed_at = "withdrawn", ctx.now
    ctx.audit("proposal.withdrawn", "proposal", p.id, before=before, after=_state(p))
    ctx.session.flush()
    reply = _proposal_reply(
        p, f"{ref('P', p.number)} withdrawn by {ctx.actor.display_name}", buttons=False
    )
    ctx.announce(reply)
    return reply


def list_proposals(cmd: a.ListProposals, ctx: Context) -> Reply:
    team = ctx.require_team()
    rows = ctx.session.scalars(
        select(Proposal)
        .where(Proposal.team_id == team.id, Proposal.status == "open")
        .order_by(Proposal.number)
        .limit(50)
    ).all()
    items = tuple(proposal_item(p) for p in rows)
    return Reply(
        headline=f"Open proposals ({len(items)})",
        sections=(Section("Open proposals", items, empty="No open proposals."),),
        data={"list": "proposals", "count": len(items), "ids": [i.ref for i in items]},
    )


def who_can_decide(cmd: a.WhoCanDecide, ctx: Context) -> Reply:
    team = ctx.require_team()
    items: list[Item] = []
    for dept in team_departments(ctx, team):
        named = named_decider(ctx, team, dept)
        person = named.person if named else decider_for(ctx, team, dept)
        how = "named decider" if named else "lead" if person else "nobody yet"
        items.append(
            Item(
                title=dept.name,
                fields=(
                    Field("Decides", person.display_name if person else "nobody"),
                    Field("As", how),
                ),
            )
        )
    words = sorted(keywords(cmd.topic))
    area_items: list[Item] = []
    if words:
        areas = list(
            ctx.session.scalars(
                select(Area).where(
                    Area.team_id == team.id,
                    or_(*(func.lower(Area.name).contains(w, autoescape=True) for w in words)),
                )
            )
        )
        for area in _best_first(areas, cmd.topic):
            for r in area.roles:
                if r.ended_at is None and r.role == "accountable":
                    area_items.append(
                        Item(
                            title=f"Area: {area.name}",
                            fields=(Field("Accountable", person_with_department(r.person)),),
                        )
                    )
    sections = [Section("Departments' deciders", tuple(items), empty="No departments yet.")]
    sections.append(
        Section(
            f'Accountable for "{cmd.topic}"',
            tuple(area_items),
            empty="No area with an accountable person matches.",
        )
    )
    return Reply(
        headline=f'Who can decide "{cmd.topic}"',
        body="A proposal is agreed when each department's decider agrees: "
        "`propose <text> [from <department>, ...]`.",
        sections=tuple(sections),
        data={
            "topic": cmd.topic,
            "deciders": {i.title: i.fields[0].value for i in items},
            "accountable": [i.fields[0].value for i in area_items],
        },
    )


def _best_first(areas: Iterable[Area], topic: str) -> list[Area]:
    """The areas whose name matches the topic, the rule's match first (``matching_area``)."""
    listed = list(areas)
    best = matching_area(listed, topic)
    return ([best] if best else []) + [x for x in listed if x is not best]


def set_decider(cmd: a.SetDecider, ctx: Context) -> Reply:
    team = ctx.require_team()
    if ctx.team_has_leads() and not ctx.is_lead():
        raise CommandError("Only a team lead can name a department's decider.")
    person = ctx.resolve_owner(cmd.owner, usage=usage_line("team decider"))
    dept = people.department_by_name(ctx.session, " ".join(cmd.department.split()))
    if dept is None:
        raise CommandError(
            f'There is no department called "{cmd.department}". Set people\'s departments '
            "with `dept <owner> <department>`.",
            usage=usage_line("team decider"),
        )
    current = named_decider(ctx, team, dept)
    if current is not None and current.person_id == person.id:
        raise CommandError(f"{person.display_name} already decides for {dept.name}.")
    if current is not None:
        current.ended_at = ctx.now
    ctx.session.add(
        DepartmentDecider(
            team_id=team.id, department_id=dept.id, person_id=person.id, created_at=ctx.now
        )
    )
    ctx.audit(
        "team.decider_set",
        "team",
        team.id,
        before={"person_id": current.person_id} if current else None,
        after={"department": dept.name, "person_id": person.id},
    )
    return Reply(
        headline=f"{person.display_name} decides for {dept.name} in {team.name}",
        body="New proposals ask them for that department's answer.",
        visibility="channel",
        data={"department": dept.name, "person": person.display_name},
    )


# --- the ladder's settings ---------------------------------------------------------------------


def _require_lead(ctx: Context, what: str) -> None:
    if ctx.team_has_leads() and not ctx.is_lead():
        raise CommandError(f"Only a team lead can {what}.")


def set_ladder(cmd: a.SetLadder, ctx: Context) -> Reply:
    team = ctx.require_team()
    _require_lead(ctx, "change the escalation ladder")
    usage = usage_line("team ladder")
    for step in cmd.steps:
        if step == "sro" and team.sro_id is None:
            raise CommandError(
                f"The ladder names the SRO, but {team.name} has none: "
                "set one with `team sro <owner>` first.",
                usage=usage,
            )
        if step == "lead" and not ctx.team_has_leads():
            raise CommandError(
                f"The ladder names the lead, but {team.name} has no lead: "
                "make one with `team lead <owner>` first.",
                usage=usage,
            )
        if step == "channel" and not any(
            link.platform != "console" for link in links_of_team(ctx.session, team.id)
        ):
            raise CommandError(
                f"The ladder names the channel, but {team.name} has no Slack or Teams channel.",
                usage=usage,
            )
    if cmd.steps == ("accountable",):
        raise CommandError(
            "An item whose area has no accountable person would escalate to nobody: "
            "add lead, sro or channel after accountable.",
            usage=usage,
        )
    before = {"ladder": team.ladder}
    team.ladder = ", ".join(cmd.steps)
    ctx.audit("team.setting_changed", "team", team.id, before=before, after={"ladder": team.ladder})
    return Reply(
        headline=f"{team.name}: escalations now climb {' → '.join(cmd.steps)}",
        visibility="channel",
        data={"ladder": list(cmd.steps)},
    )


def set_sro(cmd: a.SetSro, ctx: Context) -> Reply:
    team = ctx.require_team()
    _require_lead(ctx, "name the SRO")
    person = ctx.resolve_owner(cmd.owner, usage=usage_line("team sro"))
    before = {"sro_id": team.sro_id}
    team.sro_id = person.id
    ctx.audit("team.setting_changed", "team", team.id, before=before, after={"sro_id": person.id})
    return Reply(
        headline=f"{person.display_name} is now the SRO of {team.name}",
        visibility="channel",
        data={"sro": person.display_name},
    )


THRESHOLD_ATTRIBUTES = {
    "overdue": ("escalation_days", "overdue commitments"),
    "blocked": ("blocked_escalation_days", "blocked commitments"),
    "red_risk": ("risk_escalation_days", "open red risks"),
    "proposal": ("proposal_escalation_days", "proposals past their deadline"),
}


def set_threshold(cmd: a.SetEscalationThreshold, ctx: Context) -> Reply:
    team = ctx.require_team()
    _require_lead(ctx, "change team settings")
    attr, label = THRESHOLD_ATTRIBUTES[cmd.kind]
    before = {attr: getattr(team, attr)}
    setattr(team, attr, cmd.days)
    ctx.audit("team.setting_changed", "team", team.id, before=before, after={attr: cmd.days})
    return Reply(
        headline=f"{team.name}: {label} climb the ladder after {cmd.days} working days",
        visibility="channel",
        data={cmd.kind: cmd.days},
    )


# --- resets ----------------------------------------------------------------------------------


def reset_ladder(ctx: Context, item: str, why: str) -> None:
    """Start ``item`` (``commitment:<id>``, ``risk:<id>``, ``proposal:<id>``) again at the
    bottom of the ladder: a reset row (rung 0) opens a new round, so every rung can be taken
    again, and the item's clock counts from today (``why`` says what changed; a re-dated
    commitment's clock is its new due date)."""
    team = ctx.require_team()
    current = ctx.session.scalar(select(func.max(LadderStep.round)).where(LadderStep.item == item))
    ctx.session.add(
        LadderStep(
            team_id=team.id,
            item=item,
            kind="reset",
            round=(current + 1) if current is not None else 1,
            rung=0,
            step="reset",
            to=why,
            local_day=ctx.today,
            at=ctx.now,
        )
    )


# --- read models: how each decision was made ---------------------------------------------------


def decisions_how(session: Any, decision_ids: Sequence[int]) -> dict[int, str]:
    """``{decision id: "agreed by Sam (Health), Jo (Police)"}`` for decisions agreed from a
    proposal; decisions not in the map were recorded (``decision ...``)."""
    if not decision_ids:
        return {}
    found = session.scalars(
        select(Proposal).where(Proposal.decision_id.in_(list(decision_ids)))
    ).all()
    return {p.decision_id: f"agreed by {how_agreed(p)}" for p in found if p.decision_id}


def how_made(how: dict[int, str], decision: Decision) -> str:
    return how.get(decision.id, f"recorded by {decision.decided_by.display_name}")
