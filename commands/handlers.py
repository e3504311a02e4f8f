"""One plain function per command. Each runs inside the dispatcher's unit of work and
returns a Reply; a CommandError rolls the whole command back."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holiday_calendars
from sqlalchemy import func, or_, select

from commands import actions as a
from commands import measures
from commands.context import Context
from commands.language import CommandError, help_reply_lines, usage_line
from commands.presenting import (
    commitment_buttons,
    commitment_fields,
    commitment_item,
    day,
    decision_fields,
    decision_item,
    person_with_department,
    ref,
    risk_item,
)
from commands.reply import Field, Item, Reply, Section
from commands.rules import (
    CLOSED_STATES,
    OPEN_STATES,
    is_open,
    keywords,
    may_change_commitment,
    risk_rating,
)
from storage import people
from storage.models import (
    Area,
    AreaRole,
    ChannelLink,
    Commitment,
    Decision,
    JoinCode,
    Person,
    Risk,
    Team,
    TeamMember,
)
from storage.teams import create_team, links_of_team, next_number, team_by_name

LIST_LIMIT = 50
JOIN_CODE_TTL = dt.timedelta(minutes=30)
_JOIN_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


# --- snapshots for the audit trail ---------------------------------------------------------


def _commitment_state(c: Commitment) -> dict[str, Any]:
    return {
        "status": c.status,
        "owner_id": c.owner_id,
        "due_date": c.due_date.isoformat() if c.due_date else None,
        "snoozed_until": c.snoozed_until.isoformat() if c.snoozed_until else None,
        "blocked_reason": c.blocked_reason,
        "text": c.text,
    }


def _decision_state(d: Decision) -> dict[str, Any]:
    return {"status": d.status, "text": d.text, "rationale": d.rationale}


# --- lookups ---------------------------------------------------------------------------------


R = TypeVar("R", Commitment, Decision, Risk)


def _record(ctx: Context, model: type[R], kind: str, number: int) -> R:
    """The team's record ``<kind>-<number>``, or a CommandError naming what is missing."""
    team = ctx.require_team()
    found = ctx.session.scalars(
        select(model).where(model.team_id == team.id, model.number == number)
    ).first()
    if found is None:
        raise CommandError(f"There is no {kind}-{number} in {team.name}.")
    return found


def _commitment(ctx: Context, number: int) -> Commitment:
    return _record(ctx, Commitment, "C", number)


def _decision(ctx: Context, number: int) -> Decision:
    return _record(ctx, Decision, "D", number)


def _risk(ctx: Context, number: int) -> Risk:
    return _record(ctx, Risk, "R", number)


def _may_change(ctx: Context, c: Commitment, verb: str) -> None:
    if not may_change_commitment(actor_id=ctx.actor.id, commitment=c, actor_is_lead=ctx.is_lead()):
        raise CommandError(
            f"Only {c.owner.display_name} (the owner), whoever logged it, or a team lead "
            f"can {verb} C-{c.number}."
        )


def _commitment_reply(
    ctx: Context, c: Commitment, headline: str, *, body: str | None = None
) -> Reply:
    return Reply(
        headline=headline,
        body=body if body is not None else c.text,
        fields=commitment_fields(c, ctx.today),
        buttons=commitment_buttons(c),
        visibility="channel",
        ref=ref("C", c.number),
        link=c.source_link,
        data={
            "id": ref("C", c.number),
            "text": c.text,
            "owner": c.owner.display_name,
            "owner_email": c.owner.email,
            "department": c.department.name if c.department else None,
            "due": c.due_date.isoformat() if c.due_date else None,
            "status": c.status,
        },
    )


def _decision_reply(ctx: Context, d: Decision, headline: str) -> Reply:
    return Reply(
        headline=headline,
        body=d.text,
        fields=decision_fields(d),
        visibility="channel",
        ref=ref("D", d.number),
        link=d.source_link,
        data={
            "id": ref("D", d.number),
            "text": d.text,
            "rationale": d.rationale,
            "decided_by": d.decided_by.display_name,
            "department": d.department.name if d.department else None,
            "status": d.status,
            "at": d.created_at.isoformat(),
        },
    )


# --- decisions -------------------------------------------------------------------------------


def log_decision(cmd: a.LogDecision, ctx: Context) -> Reply:
    team = ctx.require_team()
    decision = Decision(
        team_id=team.id,
        number=next_number(ctx.session, team.id, "D"),
        text=cmd.text,
        rationale=cmd.rationale,
        decided_by_id=ctx.actor.id,
        department_id=ctx.actor.department_id,
        source_platform=ctx.invocation.platform,
        source_link=ctx.invocation.source_link,
        created_at=ctx.now,
    )
    ctx.session.add(decision)
    ctx.session.flush()
    ctx.audit("decision.logged", "decision", decision.id, after=_decision_state(decision))
    reply = _decision_reply(
        ctx, decision, f"{ref('D', decision.number)} logged by {ctx.actor.display_name}"
    )
    ctx.announce(reply)
    return reply


def supersede_decision(cmd: a.SupersedeDecision, ctx: Context) -> Reply:
    team = ctx.require_team()
    old = _decision(ctx, cmd.number)
    if old.status == "superseded":
        newer = ctx.session.get(Decision, old.superseded_by_id) if old.superseded_by_id else None
        by = f" by D-{newer.number}" if newer else ""
        raise CommandError(f"D-{old.number} is already superseded{by}; supersede that one instead.")
    before = _decision_state(old)
    new = Decision(
        team_id=team.id,
        number=next_number(ctx.session, team.id, "D"),
        text=cmd.text,
        rationale=cmd.rationale,
        decided_by_id=ctx.actor.id,
        department_id=ctx.actor.department_id,
        supersedes_id=old.id,
        source_platform=ctx.invocation.platform,
        source_link=ctx.invocation.source_link,
        created_at=ctx.now,
    )
    ctx.session.add(new)
    ctx.session.flush()
    old.status = "superseded"
    old.superseded_by_id = new.id
    ctx.audit("decision.superseded", "decision", old.id, before=before, after=_decision_state(old))
    ctx.audit(
        "decision.logged",
        "decision",
        new.id,
        after=_decision_state(new) | {"supersedes": old.number},
    )
    reply = _decision_reply(
        ctx,
        new,
        f"{ref('D', new.number)} supersedes D-{old.number} ({ctx.actor.display_name})",
    )
    ctx.announce(reply)
    return reply


# --- commitments -----------------------------------------------------------------------------


def log_commitment(cmd: a.LogCommitment, ctx: Context) -> Reply:
    team = ctx.require_team()
    owner = ctx.resolve_owner(cmd.owner, usage=usage_line("commit"))
    due = ctx.resolve_when(cmd.when, usage=usage_line("commit")) if cmd.when else None
    commitment = Commitment(
        team_id=team.id,
        number=next_number(ctx.session, team.id, "C"),
        text=cmd.text,
        owner_id=owner.id,
        department_id=owner.department_id,
        created_by_id=ctx.actor.id,
        due_date=due,
        source_platform=ctx.invocation.platform,
        source_link=ctx.invocation.source_link,
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    ctx.session.add(commitment)
    ctx.session.flush()
    ctx.session.refresh(commitment)
    ctx.audit("commitment.logged", "commitment", commitment.id, after=_commitment_state(commitment))
    reply = _commitment_reply(
        ctx, commitment, f"{ref('C', commitment.number)} logged by {ctx.actor.display_name}"
    )
    ctx.announce(reply)
    return reply


def _change(
    ctx: Context, c: Commitment, action: str, headline: str, *, announce: bool = True
) -> Reply:
    c.updated_at = ctx.now
    ctx.session.flush()
    ctx.session.refresh(c)
    reply = _commitment_reply(ctx, c, headline)
    if announce:
        ctx.announce(reply)
    return reply


def mark_done(cmd: a.MarkDone, ctx: Context) -> Reply:
    c = _commitment(ctx, cmd.number)
    if c.status == "done":
        raise CommandError(f"C-{c.number} is already done.")
    if c.status == "cancelled":
        raise CommandError(f"C-{c.number} was cancelled; `reopen C-{c.number}` first.")
    _may_change(ctx, c, "close")
    before = _commitment_state(c)
    c.status, c.done_at, c.done_note, c.blocked_reason = "done", ctx.now, cmd.note, None
    ctx.audit("commitment.done", "commitment", c.id, before=before, after=_commitment_state(c))
    return _change(ctx, c, "done", f"C-{c.number} done ({ctx.actor.display_name})")


def reopen(cmd: a.Reopen, ctx: Context) -> Reply:
    c = _commitment(ctx, cmd.number)
    if c.status == "open":
        raise CommandError(f"C-{c.number} is already open.")
    _may_change(ctx, c, "reopen")
    before = _commitment_state(c)
    c.status, c.done_at, c.blocked_reason, c.cancelled_reason = "open", None, None, None
    ctx.audit("commitment.reopened", "commitment", c.id, before=before, after=_commitment_state(c))
    return _change(ctx, c, "reopen", f"C-{c.number} reopened ({ctx.actor.display_name})")


def cancel(cmd: a.Cancel, ctx: Context) -> Reply:
    c = _commitment(ctx, cmd.number)
    if c.status in CLOSED_STATES:
        raise CommandError(f"C-{c.number} is already {c.status}.")
    _may_change(ctx, c, "cancel")
    before = _commitment_state(c)
    c.status, c.cancelled_reason = "cancelled", cmd.reason or "no reason given"
    ctx.audit("commitment.cancelled", "commitment", c.id, before=before, after=_commitment_state(c))
    return _change(ctx, c, "cancel", f"C-{c.number} cancelled ({ctx.actor.display_name})")


def block(cmd: a.Block, ctx: Context) -> Reply:
    c = _commitment(ctx, cmd.number)
    if not is_open(c):
        raise CommandError(f"C-{c.number} is {c.status}; only open commitments can be blocked.")
    _may_change(ctx, c, "block")
    before = _commitment_state(c)
    c.status, c.blocked_reason = "blocked", cmd.reason
    ctx.audit("commitment.blocked", "commitment", c.id, before=before, after=_commitment_state(c))
    return _change(ctx, c, "block", f"C-{c.number} blocked ({ctx.actor.display_name})")


def reassign(cmd: a.Reassign, ctx: Context) -> Reply:
    c = _commitment(ctx, cmd.number)
    if not is_open(c):
        raise CommandError(f"C-{c.number} is {c.status}; reopen it before reassigning.")
    _may_change(ctx, c, "reassign")
    owner = ctx.resolve_owner(cmd.owner, usage=usage_line("reassign"))
    if owner.id == c.owner_id:
        raise CommandError(f"{owner.display_name} already owns C-{c.number}.")
    before = _commitment_state(c)
    previous = c.owner.display_name
    c.owner_id, c.department_id, c.escalated_at = owner.id, owner.department_id, None
    ctx.audit(
        "commitment.reassigned", "commitment", c.id, before=before, after=_commitment_state(c)
    )
    return _change(
        ctx,
        c,
        "reassign",
        f"C-{c.number} reassigned from {previous} to {owner.display_name} "
        f"({ctx.actor.display_name})",
    )


def set_due(cmd: a.SetDue, ctx: Context) -> Reply:
    c = _commitment(ctx, cmd.number)
    if not is_open(c):
        raise CommandError(f"C-{c.number} is {c.status}; reopen it before changing its date.")
    _may_change(ctx, c, "change the due date of")
    due = ctx.resolve_when(cmd.when, usage=usage_line("due"))
    before = _commitment_state(c)
    # A new due date is a new promise: a later slip may be escalated again.
    c.due_date, c.escalated_at = due, None
    ctx.audit(
        "commitment.due_changed", "commitment", c.id, before=before, after=_commitment_state(c)
    )
    return _change(ctx, c, "due", f"C-{c.number} now due {day(due)} ({ctx.actor.display_name})")


def snooze(cmd: a.Snooze, ctx: Context) -> Reply:
    c = _commitment(ctx, cmd.number)
    if not is_open(c):
        raise CommandError(f"C-{c.number} is {c.status}; there is nothing to snooze.")
    _may_change(ctx, c, "snooze")
    until = ctx.resolve_when(cmd.when, usage=usage_line("snooze"))
    if until <= ctx.today:
        raise CommandError(
            f"Snooze until a future date; {day(until)} is not after today.",
            usage=usage_line("snooze"),
        )
    before = _commitment_state(c)
    c.snoozed_until = until
    ctx.audit("commitment.snoozed", "commitment", c.id, before=before, after=_commitment_state(c))
    return _change(
        ctx,
        c,
        "snooze",
        f"C-{c.number} snoozed until {day(until)} ({ctx.actor.display_name})",
        announce=False,
    )


def show(cmd: a.Show, ctx: Context) -> Reply:
    if cmd.kind == "M":
        return measures.show_measure(cmd.number, ctx)
    if cmd.kind == "C":
        c = _commitment(ctx, cmd.number)
        reply = _commitment_reply(ctx, c, f"C-{c.number}")
    elif cmd.kind == "D":
        d = _decision(ctx, cmd.number)
        reply = _decision_reply(ctx, d, f"D-{d.number}")
        links = []
        if d.supersedes_id:
            older = ctx.session.get(Decision, d.supersedes_id)
            links.append(Field("Supersedes", f"D-{older.number}" if older else "?"))
        if d.superseded_by_id:
            newer = ctx.session.get(Decision, d.superseded_by_id)
            links.append(Field("Superseded by", f"D-{newer.number}" if newer else "?"))
        reply = Reply(**{**reply.__dict__, "fields": reply.fields + tuple(links)})
    else:
        r = _risk(ctx, cmd.number)
        item = risk_item(r, risk_rating(impact=r.impact, likelihood=r.likelihood))
        reply = Reply(headline=f"R-{r.number}", body=r.text, fields=item.fields, ref=item.ref)
    return Reply(**{**reply.__dict__, "visibility": "private"})


# --- ownership -------------------------------------------------------------------------------


def _score(topic_words: list[str], phrase: str, text: str) -> float:
    """The share of topic words found in ``text``, plus a bonus for the whole phrase."""
    if not topic_words:
        return 0.0
    haystack = text.casefold()
    hits = sum(1 for w in topic_words if w in haystack)
    score = hits / len(topic_words)
    if phrase and phrase in haystack:
        score += 0.5
    return score


def _like_any(column: Any, words: list[str]) -> Any:
    return or_(*(func.lower(column).contains(w, autoescape=True) for w in words))


def who_owns(cmd: a.WhoOwns, ctx: Context) -> Reply:
    team = ctx.require_team()
    phrase = " ".join(cmd.topic.casefold().split())
    words = sorted(keywords(cmd.topic)) or [phrase]
    ranked: list[tuple[float, int, float, Item]] = []

    areas = ctx.session.scalars(
        select(Area).where(Area.team_id == team.id, _like_any(Area.name, words))
    ).all()
    for area in areas:
        score = _score(words, phrase, area.name)
        if score <= 0:
            continue
        roles = [r for r in area.roles if r.ended_at is None]
        by_role: dict[str, list[str]] = {}
        for r in roles:
            by_role.setdefault(r.role, []).append(person_with_department(r.person))
        fields = tuple(
            Field(role.capitalize(), ", ".join(by_role[role]))
            for role in ("accountable", "responsible", "consulted", "informed")
            if role in by_role
        )
        ranked.append(
            (score, 3, area.created_at.timestamp(), Item(title=f"Area: {area.name}", fields=fields))
        )

    commitments = ctx.session.scalars(
        select(Commitment)
        .where(
            Commitment.team_id == team.id,
            Commitment.status.in_(OPEN_STATES),
            _like_any(Commitment.text, words),
        )
        .limit(200)
    ).all()
    for c in commitments:
        score = _score(words, phrase, c.text)
        if score > 0:
            ranked.append((score, 2, c.created_at.timestamp(), commitment_item(c, ctx.today)))

    decisions = ctx.session.scalars(
        select(Decision)
        .where(
            Decision.team_id == team.id,
            Decision.status == "active",
            or_(
                _like_any(Decision.text, words),
                _like_any(func.coalesce(Decision.rationale, ""), words),
            ),
        )
        .limit(200)
    ).all()
    for d in decisions:
        score = _score(words, phrase, f"{d.text} {d.rationale or ''}")
        if score > 0:
            ranked.append((score, 1, d.created_at.timestamp(), decision_item(d)))

    if not ranked:
        return Reply(
            headline=f'Nobody owns "{cmd.topic}" yet.',
            body=f"Record it with `owns {cmd.topic} <owner> [accountable|responsible]`.",
            usage=usage_line("owns"),
            data={"topic": cmd.topic, "matches": 0},
        )
    ranked.sort(key=lambda r: (r[0], r[1], r[2]), reverse=True)
    best = [r[3] for r in ranked[:8]]
    return Reply(
        headline=f'Who owns "{cmd.topic}"',
        sections=(Section(title="Best matches first", items=tuple(best)),),
        data={"topic": cmd.topic, "matches": len(ranked)},
    )


def set_ownership(cmd: a.SetOwnership, ctx: Context) -> Reply:
    team = ctx.require_team()
    owner = ctx.resolve_owner(cmd.owner, usage=usage_line("owns"))
    key = " ".join(cmd.area.split()).casefold()
    area = ctx.session.scalars(select(Area).where(Area.team_id == team.id, Area.key == key)).first()
    if area is None:
        area = Area(team_id=team.id, name=" ".join(cmd.area.split()), key=key, created_at=ctx.now)
        ctx.session.add(area)
        ctx.session.flush()
        ctx.audit("area.created", "area", area.id, after={"name": area.name})
    active = [r for r in area.roles if r.ended_at is None]
    if any(r.person_id == owner.id and r.role == cmd.role for r in active):
        raise CommandError(f"{owner.display_name} is already {cmd.role} for {area.name}.")
    replaced = []
    for r in active:
        # One accountable person per area (RACI); a person holds one role per area.
        if (cmd.role == "accountable" and r.role == "accountable") or r.person_id == owner.id:
            r.ended_at = ctx.now
            replaced.append({"person_id": r.person_id, "role": r.role})
    role = AreaRole(area_id=area.id, person_id=owner.id, role=cmd.role, created_at=ctx.now)
    ctx.session.add(role)
    ctx.session.flush()
    ctx.audit(
        "area.role_set",
        "area",
        area.id,
        before={"ended": replaced} if replaced else None,
        after={"person_id": owner.id, "role": cmd.role},
    )
    ctx.session.refresh(area)
    roles = [r for r in area.roles if r.ended_at is None]
    reply = Reply(
        headline=f"{owner.display_name} is now {cmd.role} for {area.name}",
        fields=tuple(
            Field(r.role.capitalize(), person_with_department(r.person))
            for r in sorted(roles, key=lambda r: ("arci".index(r.role[0]), r.id))
        ),
        visibility="channel",
        data={"area": area.name, "person": owner.display_name, "role": cmd.role},
    )
    ctx.announce(reply)
    return reply


# --- lists -----------------------------------------------------------------------------------


def list_records(cmd: a.ListRecords, ctx: Context) -> Reply:
    team = ctx.require_team()
    today = ctx.today
    if cmd.what == "decisions":
        rows = ctx.session.scalars(
            select(Decision)
            .where(Decision.team_id == team.id)
            .order_by(Decision.number.desc())
            .limit(LIST_LIMIT)
        ).all()
        return _list_reply(
            "Decisions", [decision_item(d) for d in rows], "No decisions logged yet.", "decisions"
        )
    if cmd.what == "risks":
        risks = ctx.session.scalars(
            select(Risk)
            .where(Risk.team_id == team.id, Risk.status == "open")
            .order_by(Risk.number)
            .limit(LIST_LIMIT)
        ).all()
        items = [risk_item(r, risk_rating(impact=r.impact, likelihood=r.likelihood)) for r in risks]
        return _list_reply("Open risks", items, "No open risks.", "risks")

    query = select(Commitment).where(Commitment.team_id == team.id)
    title = {
        "open": "Open commitments",
        "overdue": "Overdue commitments",
        "mine": "Your open commitments",
        "done": "Done commitments",
        "blocked": "Blocked commitments",
        "all": "All commitments",
    }[cmd.what]
    if cmd.what in ("open", "mine"):
        query = query.where(Commitment.status.in_(OPEN_STATES))
    elif cmd.what == "overdue":
        query = query.where(Commitment.status.in_(OPEN_STATES), Commitment.due_date < today)
    elif cmd.what in ("done", "blocked"):
        query = query.where(Commitment.status == cmd.what)
    if cmd.what == "mine":
        query = query.where(Commitment.owner_id == ctx.actor.id)
    if cmd.owner:
        owner = ctx.resolve_owner(cmd.owner, usage=usage_line("list"))
        query = query.where(Commitment.owner_id == owner.id)
        title += f" for {owner.display_name}"
    if cmd.department:
        dept = people.department_by_name(ctx.session, cmd.department)
        if dept is None:
            raise CommandError(
                f'There is no department called "{cmd.department}".', usage=usage_line("list")
            )
        query = query.where(Commitment.department_id == dept.id)
        title += f" in {dept.name}"
    if cmd.what in ("done",):
        query = query.order_by(Commitment.done_at.desc())
    else:
        query = query.order_by(
            Commitment.due_date.is_(None), Commitment.due_date, Commitment.number
        )
    found = ctx.session.scalars(query.limit(LIST_LIMIT + 1)).all()
    items = [commitment_item(c, today) for c in found[:LIST_LIMIT]]
    reply = _list_reply(title, items, "Nothing to show.", cmd.what)
    if len(found) > LIST_LIMIT:
        reply = Reply(**{**reply.__dict__, "body": f"Showing the first {LIST_LIMIT}."})
    return reply


def _list_reply(title: str, items: list[Item], empty: str, what: str) -> Reply:
    return Reply(
        headline=f"{title} ({len(items)})",
        sections=(Section(title=title, items=tuple(items), empty=empty),),
        data={"list": what, "count": len(items), "ids": [i.ref for i in items]},
    )


# --- risks -----------------------------------------------------------------------------------


def log_risk(cmd: a.LogRisk, ctx: Context) -> Reply:
    team = ctx.require_team()
    owner = ctx.resolve_owner(cmd.owner, usage=usage_line("risk")) if cmd.owner else None
    risk = Risk(
        team_id=team.id,
        number=next_number(ctx.session, team.id, "R"),
        text=cmd.text,
        impact=cmd.impact,
        likelihood=cmd.likelihood,
        owner_id=owner.id if owner else None,
        created_by_id=ctx.actor.id,
        created_at=ctx.now,
    )
    ctx.session.add(risk)
    ctx.session.flush()
    ctx.session.refresh(risk)
    rating = risk_rating(impact=risk.impact, likelihood=risk.likelihood)
    ctx.audit("risk.logged", "risk", risk.id, after={"text": risk.text, "rating": rating})
    item = risk_item(risk, rating)
    reply = Reply(
        headline=f"R-{risk.number} logged by {ctx.actor.display_name}",
        body=risk.text,
        fields=item.fields,
        visibility="channel",
        ref=item.ref,
        data={
            "id": item.ref,
            "rating": rating,
            "impact": risk.impact,
            "likelihood": risk.likelihood,
        },
    )
    ctx.announce(reply)
    return reply


def close_risk(cmd: a.CloseRisk, ctx: Context) -> Reply:
    risk = _risk(ctx, cmd.number)
    if risk.status == "closed":
        raise CommandError(f"R-{risk.number} is already closed.")
    risk.status = "closed"
    ctx.audit(
        "risk.closed",
        "risk",
        risk.id,
        before={"status": "open"},
        after={"status": "closed", "note": cmd.note},
    )
    reply = Reply(
        headline=f"R-{risk.number} closed ({ctx.actor.display_name})",
        body=risk.text,
        visibility="channel",
        ref=f"R-{risk.number}",
    )
    ctx.announce(reply)
    return reply


# --- teams and people ------------------------------------------------------------------------


def create_team_here(cmd: a.CreateTeam, ctx: Context) -> Reply:
    channel = ctx.invocation.channel
    if channel is None:
        raise CommandError("Create a team from a channel or chat, so I know where it lives.")
    if ctx.team is not None:
        raise CommandError(
            f"This conversation is already linked to {ctx.team.name}. "
            "Use `team set ...` to change it, or `team` to see it."
        )
    if team_by_name(ctx.session, cmd.name) is not None:
        raise CommandError(
            f'A team called "{cmd.name}" already exists. To link this channel to it, run '
            "`team link` in one of its channels and `team join <code>` here."
        )
    team = create_team(ctx.session, cmd.name)
    team.created_at = ctx.now
    ctx.session.add(
        ChannelLink(
            team_id=team.id,
            platform=channel.platform,
            tenant=channel.tenant,
            channel_id=channel.channel_id,
            name=channel.name,
            created_at=ctx.now,
        )
    )
    ctx.team = team
    people.ensure_member(ctx.session, team.id, ctx.actor.id, role="lead")
    ctx.audit("team.created", "team", team.id, after={"name": team.name, "lead": ctx.actor.id})
    return Reply(
        headline=f"Team {team.name} created; this channel is its log",
        body=f"{ctx.actor.display_name} is its lead. Timezone {team.timezone}, "
        f"reminders at {team.reminder_time} on working days. Try `help`.",
        visibility="channel",
        data={"team": team.name, "timezone": team.timezone},
    )


def show_team(cmd: a.ShowTeam, ctx: Context) -> Reply:
    team = ctx.require_team()
    leads = ctx.session.scalars(
        select(Person)
        .join(TeamMember, TeamMember.person_id == Person.id)
        .where(TeamMember.team_id == team.id, TeamMember.role == "lead")
        .order_by(Person.display_name)
    ).all()
    links = links_of_team(ctx.session, team.id)
    weekday = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    return Reply(
        headline=f"Team {team.name}",
        fields=(
            Field("Timezone", team.timezone),
            Field("Reminders", f"{team.reminder_time} on working days"),
            Field("Escalation", f"after {team.escalation_days} working days overdue"),
            Field("Weekly summary", f"{weekday[team.summary_weekday - 1]} {team.summary_time}"),
            Field("Holidays", team.holidays or "none"),
            Field("Suggestions", "on" if team.suggestions_enabled else "off"),
            Field("Leads", ", ".join(p.display_name for p in leads) or "none"),
            Field(
                "Channels",
                ", ".join(f"{link.platform}:{link.name or link.channel_id}" for link in links),
            ),
        ),
        data={"team": team.name, "timezone": team.timezone, "links": len(links)},
    )


def _require_lead(ctx: Context, what: str) -> None:
    if ctx.team_has_leads() and not ctx.is_lead():
        raise CommandError(f"Only a team lead can {what}.")


_HHMM = re.compile(r"^([01]?\d|2[0-3])[:.]([0-5]\d)$")
_WEEKDAYS = {
    name: i + 1
    for i, names in enumerate(
        (
            ("mon", "monday"),
            ("tue", "tues", "tuesday"),
            ("wed", "wednesday"),
            ("thu", "thur", "thurs", "thursday"),
            ("fri", "friday"),
            ("sat", "saturday"),
            ("sun", "sunday"),
        )
    )
    for name in names
}


def _hhmm(value: str, usage: str) -> str:
    m = _HHMM.match(value.strip())
    if not m:
        raise CommandError(f'"{value}" is not a time; use 24-hour HH:MM, like 09:00.', usage=usage)
    return f"{int(m.group(1)):02d}:{m.group(2)}"


def _holiday_calendar(value: str, usage: str) -> str | None:
    if value.lower() in ("none", "off", "no"):
        return None
    country, _, subdiv = value.upper().partition("-")
    try:
        holiday_calendars.country_holidays(country, subdiv=subdiv or None)
    except NotImplementedError:
        raise CommandError(
            f'"{value}" is not a holiday calendar I know; '
            "try GB-ENG, GB-SCT, GB-WLS, GB-NIR or IE.",
            usage=usage,
        ) from None
    return f"{country}-{subdiv}" if subdiv else country


def set_team_option(cmd: a.SetTeamOption, ctx: Context) -> Reply:
    team = ctx.require_team()
    _require_lead(ctx, "change team settings")
    usage = usage_line("team set")
    value = cmd.value.strip()
    before: dict[str, Any]
    if cmd.option == "timezone":
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise CommandError(
                f'"{value}" is not a timezone I know; use an IANA name like Europe/London.',
                usage=usage,
            ) from None
        before, team.timezone = {"timezone": team.timezone}, value
        said = f"timezone is now {value}"
    elif cmd.option == "reminders":
        before, team.reminder_time = {"reminder_time": team.reminder_time}, _hhmm(value, usage)
        said = f"reminders now go out at {team.reminder_time} ({team.timezone}) on working days"
    elif cmd.option == "escalation":
        if not value.isdigit() or not 1 <= int(value) <= 60:
            raise CommandError(
                f'"{value}" should be a number of working days from 1 to 60.', usage=usage
            )
        before, team.escalation_days = {"escalation_days": team.escalation_days}, int(value)
        said = f"overdue commitments are escalated after {value} working days"
    elif cmd.option == "summary":
        parts = value.split()
        if len(parts) != 2 or parts[0].lower() not in _WEEKDAYS:
            raise CommandError('Give a day and a time, like "friday 16:00".', usage=usage)
        before = {"summary_weekday": team.summary_weekday, "summary_time": team.summary_time}
        team.summary_weekday, team.summary_time = (
            _WEEKDAYS[parts[0].lower()],
            _hhmm(parts[1], usage),
        )
        said = f"the weekly summary is sent on {parts[0].capitalize()} at {team.summary_time}"
    elif cmd.option == "holidays":
        before, team.holidays = {"holidays": team.holidays}, _holiday_calendar(value, usage)
        said = f"public holidays: {team.holidays or 'none'}"
    elif cmd.option == "suggestions":
        if value.lower() not in ("on", "off"):
            raise CommandError('Say "team set suggestions on" or "off".', usage=usage)
        before = {"suggestions_enabled": team.suggestions_enabled}
        team.suggestions_enabled = value.lower() == "on"
        said = f"suggestions are {value.lower()}"
    else:  # reaction
        parts = value.split()
        if len(parts) != 2 or parts[0].lower() not in ("decision", "commitment"):
            raise CommandError('Say "team set reaction decision pushpin".', usage=usage)
        emoji = parts[1].strip(":")
        if not re.fullmatch(r"[\w+-]{1,64}", emoji):
            raise CommandError(f'"{parts[1]}" is not an emoji name.', usage=usage)
        attr = f"{parts[0].lower()}_reaction"
        before = {attr: getattr(team, attr)}
        setattr(team, attr, emoji)
        said = f":{emoji}: now logs a {parts[0].lower()}"
    ctx.audit("team.setting_changed", "team", team.id, before=before, after={cmd.option: value})
    return Reply(headline=f"{team.name}: {said}", visibility="channel", data={cmd.option: value})


def make_lead(cmd: a.MakeLead, ctx: Context) -> Reply:
    team = ctx.require_team()
    _require_lead(ctx, "make someone a lead")
    person = ctx.resolve_owner(cmd.owner, usage=usage_line("team lead"))
    member = people.ensure_member(ctx.session, team.id, person.id)
    if member.role == "lead":
        raise CommandError(f"{person.display_name} is already a lead of {team.name}.")
    member.role = "lead"
    ctx.audit(
        "team.lead_added", "team", team.id, before={"role": "member"}, after={"lead": person.id}
    )
    return Reply(
        headline=f"{person.display_name} is now a lead of {team.name}", visibility="channel"
    )


def set_department(cmd: a.SetDepartment, ctx: Context) -> Reply:
    ctx.require_team()
    person = ctx.resolve_owner(cmd.owner, usage=usage_line("dept"))
    if person.id != ctx.actor.id:
        _require_lead(ctx, "set someone else's department")
    name = " ".join(cmd.department.split())
    if len(name) > 200:
        raise CommandError(
            "A department name can be at most 200 characters.", usage=usage_line("dept")
        )
    dept = people.department_by_name(ctx.session, name, create=True)
    assert dept is not None
    before = {"department_id": person.department_id}
    person.department_id = dept.id
    ctx.session.flush()
    ctx.audit(
        "person.department_set",
        "person",
        person.id,
        before=before,
        after={"department_id": dept.id},
    )
    who = "You're" if person.id == ctx.actor.id else f"{person.display_name} is"
    return Reply(
        headline=f"{who} in {dept.name}",
        body="New commitments they own count for that department.",
        data={"person": person.display_name, "department": dept.name},
    )


def link_team(cmd: a.LinkTeam, ctx: Context) -> Reply:
    team = ctx.require_team()
    code = "".join(secrets.choice(_JOIN_ALPHABET) for _ in range(8))
    expires = ctx.now + JOIN_CODE_TTL
    ctx.session.add(
        JoinCode(
            code=code,
            team_id=team.id,
            created_by_id=ctx.actor.id,
            created_at=ctx.now,
            expires_at=expires,
        )
    )
    ctx.audit("team.join_code_made", "team", team.id, after={"expires_at": expires.isoformat()})
    return Reply(
        headline=f"Join code for {team.name}: {code}",
        body=f"In a channel on the other platform, say `team join {code}` within 30 minutes. "
        "It works once.",
        data={"code": code, "expires_at": expires.isoformat()},
    )


def join_team(cmd: a.JoinTeam, ctx: Context) -> Reply:
    channel = ctx.invocation.channel
    if channel is None:
        raise CommandError("Join from a channel or chat, so I know what to link.")
    if ctx.team is not None:
        raise CommandError(f"This conversation is already linked to {ctx.team.name}.")
    code = ctx.session.get(JoinCode, cmd.code, with_for_update=True)
    if code is None:
        raise CommandError(
            f'"{cmd.code}" is not a join code. Get one with `team link`.',
            usage=usage_line("team join"),
        )
    if code.used_at is not None:
        raise CommandError("That join code has been used already; get a new one with `team link`.")
    if code.expires_at <= ctx.now:
        raise CommandError("That join code has expired; get a new one with `team link`.")
    team = ctx.session.get(Team, code.team_id)
    assert team is not None
    link = ChannelLink(
        team_id=team.id,
        platform=channel.platform,
        tenant=channel.tenant,
        channel_id=channel.channel_id,
        name=channel.name,
        created_at=ctx.now,
    )
    ctx.session.add(link)
    ctx.session.flush()
    code.used_at, code.used_by_link_id = ctx.now, link.id
    ctx.team = team
    people.ensure_member(ctx.session, team.id, ctx.actor.id)
    ctx.audit(
        "team.channel_joined",
        "team",
        team.id,
        after={"platform": channel.platform, "channel": channel.channel_id},
    )
    reply = Reply(
        headline=f"This channel now shares {team.name}'s joint log",
        body="Decisions and commitments logged here or in the team's other channels "
        "are announced in both.",
        visibility="channel",
        data={"team": team.name},
    )
    ctx.announce(
        Reply(
            headline=f"A {channel.platform} channel joined {team.name}'s joint log",
            visibility="channel",
        )
    )
    return reply


def show_help(cmd: a.Help, ctx: Context) -> Reply:
    title, usages = help_reply_lines(cmd.topic)
    items = tuple(
        Item(
            title=u.line,
            fields=(Field("What", u.summary),)
            + ((Field("Also", ", ".join(u.aliases)),) if u.aliases else ())
            + ((Field("Example", u.example),) if u.example else ()),
        )
        for u in usages
    )
    return Reply(
        headline=title,
        body="Owners: me, @handle, an email or a mention. Dates: Friday, tomorrow, 2026-12-04, "
        "4 Dec, end of month, in 2 weeks.",
        sections=(Section(title="Commands", items=items),),
    )
