"""One plain function per command. Each runs inside the dispatcher's unit of work and
returns a Reply; a CommandError rolls the whole command back."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import secrets
from dataclasses import replace
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holiday_calendars
from sqlalchemy import func, or_, select

from commands import actions as a
from commands import measures
from commands.context import Context
from commands.language import (
    MAX_TEXT,
    CommandError,
    about,
    brief,
    help_reply_lines,
    need_text,
    usage_line,
)
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
from commands.proposals import decisions_how, how_made, reset_ladder
from commands.reply import Button, Field, Item, Page, Reply, Section
from commands.rules import (
    CLOSED_STATES,
    OPEN_STATES,
    default_holidays,
    holidays_name,
    is_open,
    is_overdue,
    keywords,
    local_today,
    matching_area,
    may_change_commitment,
    may_change_risk,
    may_supersede_decision,
    may_take_accountable,
    overdue_clause,
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

PAGE_SIZE = 15  # items per page of a list
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


def _may_change_risk(ctx: Context, r: Risk, verb: str) -> None:
    if not may_change_risk(actor_id=ctx.actor.id, risk=r, actor_is_lead=ctx.is_lead()):
        owner = f"{r.owner.display_name} (its owner), " if r.owner else ""
        logger = ctx.session.get(Person, r.created_by_id)
        by = f"{logger.display_name} (who logged it)" if logger else "whoever logged it"
        raise CommandError(f"Only {owner}{by} or a team lead can {verb} R-{r.number}.")


def _accountable(ctx: Context, area: Area | None) -> AreaRole | None:
    if area is None:
        return None
    return next((r for r in area.roles if r.ended_at is None and r.role == "accountable"), None)


def _past_notice(ctx: Context, c: Commitment, when: str | None) -> str | None:
    """ "25 Nov has passed: C-6 is already overdue", when a due date given is before today."""
    if c.due_date is None or not is_overdue(c, ctx.today):
        return None
    return f"{when or day(c.due_date)} has passed: C-{c.number} is already overdue."


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
            "at": d.created_at.astimezone(ZoneInfo(ctx.require_team().timezone)).isoformat(),
        },
    )


# --- decisions -------------------------------------------------------------------------------


def log_decision(cmd: a.LogDecision, ctx: Context) -> Reply:
    team = ctx.require_team()
    text = need_text(cmd.text, "The decision", "decision")  # a form's text is not parsed
    if cmd.rationale is not None and len(cmd.rationale) > MAX_TEXT:
        raise CommandError(
            f"That rationale is {len(cmd.rationale):,} characters; the limit is {MAX_TEXT:,}.",
            usage=usage_line("decision"),
            field="rationale",
        )
    decision = Decision(
        team_id=team.id,
        number=next_number(ctx.session, team.id, "D"),
        text=text,
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
    area = matching_area(
        ctx.session.scalars(select(Area).where(Area.team_id == team.id)).all(), old.text
    )
    accountable = _accountable(ctx, area)
    if not may_supersede_decision(
        actor_id=ctx.actor.id,
        decision=old,
        accountable_id=accountable.person_id if accountable else None,
        actor_is_lead=ctx.is_lead(),
    ):
        who = f"{old.decided_by.display_name} (who made it)"
        if accountable is not None and area is not None:
            who += f", {accountable.person.display_name} (accountable for {area.name})"
        raise CommandError(f"Only {who} or a team lead can supersede D-{old.number}.")
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
    cmd = replace(cmd, text=need_text(cmd.text, "The commitment", "commit"))
    with about("owner"):
        owner = ctx.resolve_owner(cmd.owner, usage=usage_line("commit"))
    with about("due"):
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
    notice = _past_notice(ctx, commitment, cmd.when)
    reply = _commitment_reply(
        ctx,
        commitment,
        f"{ref('C', commitment.number)} logged by {ctx.actor.display_name}",
        body=f"{commitment.text}\n{notice}" if notice else None,
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
    reset_ladder(ctx, f"commitment:{c.id}", "reopened")  # unblocked: the ladder starts again
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
    reset_ladder(ctx, f"commitment:{c.id}", "blocked")  # it climbs from the day it blocked
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
    previous, previous_id = c.owner.display_name, c.owner_id
    c.owner_id, c.department_id, c.escalated_at = owner.id, owner.department_id, None
    reset_ladder(ctx, f"commitment:{c.id}", "reassigned")
    ctx.audit(
        "commitment.reassigned", "commitment", c.id, before=before, after=_commitment_state(c)
    )
    reply = _change(
        ctx,
        c,
        "reassign",
        f"C-{c.number} reassigned from {previous} to {owner.display_name} "
        f"({ctx.actor.display_name})",
    )
    ctx.tell(
        previous_id,
        Reply(
            headline=f"{ctx.actor.display_name} gave C-{c.number} to {owner.display_name}",
            body=c.text,
            ref=ref("C", c.number),
            data={"id": ref("C", c.number), "displaced": previous_id},
        ),
    )
    return reply


def set_due(cmd: a.SetDue, ctx: Context) -> Reply:
    c = _commitment(ctx, cmd.number)
    if not is_open(c):
        raise CommandError(f"C-{c.number} is {c.status}; reopen it before changing its date.")
    _may_change(ctx, c, "change the due date of")
    due = ctx.resolve_when(cmd.when, usage=usage_line("due"))
    before = _commitment_state(c)
    # A new due date is a new promise: a later slip may be escalated again.
    c.due_date, c.escalated_at = due, None
    reset_ladder(ctx, f"commitment:{c.id}", "redated")
    ctx.audit(
        "commitment.due_changed", "commitment", c.id, before=before, after=_commitment_state(c)
    )
    reply = _change(ctx, c, "due", f"C-{c.number} now due {day(due)} ({ctx.actor.display_name})")
    notice = _past_notice(ctx, c, cmd.when)
    if notice:
        reply = Reply(**{**reply.__dict__, "body": f"{c.text}\n{notice}"})
    return reply


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
    holder = _accountable(ctx, area)
    displaced = None
    # Both take the accountable role from its holder: naming someone else accountable, and
    # giving the holder another role (a person holds one role per area).
    if holder is not None and ((cmd.role == "accountable") != (holder.person_id == owner.id)):
        if not may_take_accountable(
            actor_id=ctx.actor.id,
            current_accountable_id=holder.person_id,
            actor_is_lead=ctx.is_lead(),
        ):
            raise CommandError(
                f"Only {holder.person.display_name} (accountable for {area.name}) or a team "
                f"lead can change who is accountable for {area.name}."
            )
        displaced = holder.person_id if holder.person_id != ctx.actor.id else None
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
    if displaced is not None:
        ctx.tell(
            displaced,
            Reply(
                headline=f"{owner.display_name} is now {cmd.role} for {area.name}",
                body=f"{ctx.actor.display_name} changed it; you are no longer accountable "
                f"for {area.name}.",
                data={"area": area.name, "displaced": displaced},
            ),
        )
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
    """One page of a list (``PAGE_SIZE`` items from ``cmd.start``), with its position and
    the commands for the pages either side (``Reply.page``)."""
    teams = [ctx.team] if ctx.team is not None else list(ctx.teams)
    if not teams:
        ctx.require_team()
    team_ids = [t.id for t in teams]
    several = len(teams) > 1
    names = {t.id: t.name for t in teams}
    days = {t.id: local_today(ctx.now, t.timezone) for t in teams}
    base = _list_command(cmd)
    if cmd.what == "decisions":
        query: Any = select(Decision).where(Decision.team_id.in_(team_ids))
        total, rows = _page(ctx, query.order_by(Decision.number.desc()), cmd.start)
        # How each was made: agreed by the departments' deciders, or recorded by someone.
        how = decisions_how(ctx.session, [d.id for d in rows])
        return _list_reply(
            "Decisions",
            [
                _in_team(
                    dataclasses.replace(
                        item, fields=(*item.fields, Field("How", how_made(how, d)))
                    ),
                    names[d.team_id],
                    several,
                )
                for d, item in ((d, decision_item(d)) for d in rows)
            ],
            "No decisions logged yet.",
            cmd,
            base=base,
            total=total,
        )
    if cmd.what == "risks":
        query = select(Risk).where(Risk.team_id.in_(team_ids), Risk.status == "open")
        total, rows = _page(ctx, query.order_by(Risk.number), cmd.start)
        items = [
            _in_team(
                risk_item(r, risk_rating(impact=r.impact, likelihood=r.likelihood)),
                names[r.team_id],
                several,
            )
            for r in rows
        ]
        return _list_reply("Open risks", items, "No open risks.", cmd, base=base, total=total)

    query = select(Commitment).where(Commitment.team_id.in_(team_ids))
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
        # Each team's own today: a list across teams is overdue by each team's calendar.
        query = query.where(
            or_(*((Commitment.team_id == t.id) & overdue_clause(days[t.id]) for t in teams))
        )
    elif cmd.what in ("done", "blocked"):
        query = query.where(Commitment.status == cmd.what)
    if cmd.what == "mine":
        query = query.where(Commitment.owner_id == ctx.actor.id)
    if cmd.owner:
        owner = ctx.resolve_owner(cmd.owner, usage=usage_line("list"), read_only=True)
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
        query = query.order_by(Commitment.done_at.desc(), Commitment.id)
    else:
        query = query.order_by(
            Commitment.due_date.is_(None),
            Commitment.due_date,
            Commitment.team_id,
            Commitment.number,
        )
    total, found = _page(ctx, query, cmd.start)
    items = [
        _in_team(commitment_item(c, days[c.team_id]), names[c.team_id], several) for c in found
    ]
    return _list_reply(title, items, "Nothing to show.", cmd, base=base, total=total)


def _page(ctx: Context, query: Any, start: int) -> tuple[int, list[Any]]:
    """The total a list query finds, and the rows of the page from ``start``."""
    total = ctx.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = list(ctx.session.scalars(query.offset(start).limit(PAGE_SIZE)))
    return int(total or 0), rows


def _list_command(cmd: a.ListRecords) -> str:
    """The list command without its position: what Next and Previous run again."""
    words = ["list", cmd.what]
    if cmd.owner:
        words += ["for", cmd.owner]
    if cmd.department:
        words += ["dept", cmd.department]
    return " ".join(words)


def _in_team(item: Item, team: str, several: bool) -> Item:
    """In a list across several teams: name the item's team, and run its buttons there."""
    if not several:
        return item
    return Item(
        title=f"[{team}] {item.title}",
        ref=item.ref,
        fields=item.fields,
        buttons=tuple(
            Button(b.label, f"{b.command} in {team}", b.style, b.picks_person) for b in item.buttons
        ),
        highlight=item.highlight,
        link=item.link,
    )


def _list_reply(
    title: str, items: list[Item], empty: str, cmd: a.ListRecords, *, base: str, total: int
) -> Reply:
    page = Page(command=base, start=cmd.start, shown=len(items), total=total, size=PAGE_SIZE)
    if total and not items:
        empty = f"There are only {total}; the list ends before item {cmd.start + 1}."
    return Reply(
        headline=f"{title} ({total})",
        sections=(Section(title=title, items=tuple(items), empty=empty),),
        data={
            "list": cmd.what,
            "count": len(items),
            "total": total,
            "start": cmd.start,
            "ids": [i.ref for i in items],
        },
        page=page,
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
    _may_change_risk(ctx, risk, "close")
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


def _risk_reply(ctx: Context, risk: Risk, headline: str) -> Reply:
    rating = risk_rating(impact=risk.impact, likelihood=risk.likelihood)
    item = risk_item(risk, rating)
    return Reply(
        headline=headline,
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


def rate_risk(cmd: a.RateRisk, ctx: Context) -> Reply:
    risk = _risk(ctx, cmd.number)
    if risk.status == "closed":
        raise CommandError(f"R-{risk.number} is closed; there is nothing to re-rate.")
    _may_change_risk(ctx, risk, "re-rate")
    before = {"impact": risk.impact, "likelihood": risk.likelihood}
    if {"impact": cmd.impact or risk.impact, "likelihood": cmd.likelihood or risk.likelihood} == (
        before
    ):
        raise CommandError(f"R-{risk.number} is already rated that way.")
    risk.impact = cmd.impact or risk.impact
    risk.likelihood = cmd.likelihood or risk.likelihood
    reset_ladder(ctx, f"risk:{risk.id}", "re-rated")  # a re-rated risk climbs from the bottom
    ctx.audit(
        "risk.rated",
        "risk",
        risk.id,
        before=before,
        after={"impact": risk.impact, "likelihood": risk.likelihood},
    )
    rating = risk_rating(impact=risk.impact, likelihood=risk.likelihood)
    reply = _risk_reply(ctx, risk, f"R-{risk.number} re-rated {rating} ({ctx.actor.display_name})")
    ctx.announce(reply)
    return reply


def reassign_risk(cmd: a.ReassignRisk, ctx: Context) -> Reply:
    risk = _risk(ctx, cmd.number)
    if risk.status == "closed":
        raise CommandError(f"R-{risk.number} is closed; reopen work as a new risk instead.")
    _may_change_risk(ctx, risk, "reassign")
    owner = ctx.resolve_owner(cmd.owner, usage=usage_line("risk owner"))
    if owner.id == risk.owner_id:
        raise CommandError(f"{owner.display_name} already owns R-{risk.number}.")
    previous_id = risk.owner_id
    risk.owner_id = owner.id
    reset_ladder(ctx, f"risk:{risk.id}", "reassigned")
    ctx.audit(
        "risk.reassigned",
        "risk",
        risk.id,
        before={"owner_id": previous_id},
        after={"owner_id": owner.id},
    )
    ctx.session.flush()
    ctx.session.refresh(risk)
    reply = _risk_reply(
        ctx, risk, f"R-{risk.number} now owned by {owner.display_name} ({ctx.actor.display_name})"
    )
    ctx.announce(reply)
    if previous_id is not None:
        ctx.tell(
            previous_id,
            Reply(
                headline=f"{ctx.actor.display_name} gave R-{risk.number} to {owner.display_name}",
                body=risk.text,
                ref=f"R-{risk.number}",
                data={"id": f"R-{risk.number}", "displaced": previous_id},
            ),
        )
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
    team.holidays = default_holidays(team.timezone)
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
        f"reminders at {team.reminder_time} on working days. Public holidays: "
        f"{holidays_name(team.holidays)} (`team set holidays none` turns them off). Try `help`.",
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
    sro = ctx.session.get(Person, team.sro_id) if team.sro_id else None
    weekday = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    return Reply(
        headline=f"Team {team.name}",
        fields=(
            Field("Timezone", team.timezone),
            Field("Reminders", f"{team.reminder_time} on working days"),
            Field("Escalation", f"after {team.escalation_days} working days overdue"),
            Field("Weekly summary", f"{weekday[team.summary_weekday - 1]} {team.summary_time}"),
            Field("Holidays", holidays_name(team.holidays)),
            Field("Suggestions", "on" if team.suggestions_enabled else "off"),
            Field("Leads", ", ".join(p.display_name for p in leads) or "none"),
            Field(
                "Channels",
                ", ".join(f"{link.platform}:{link.name or link.channel_id}" for link in links),
            ),
            Field(
                "Ladder",
                f"{team.ladder}; blocked after {team.blocked_escalation_days}, red risks after "
                f"{team.risk_escalation_days}, proposals {team.proposal_escalation_days} "
                "working days past their deadline",
            ),
            Field("SRO", sro.display_name if sro else "none"),
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
        before = {"timezone": team.timezone, "holidays": team.holidays}
        said = f"timezone is now {value}"
        if team.holidays == default_holidays(team.timezone):
            # The calendar followed the old timezone, so it follows the new one.
            team.holidays = default_holidays(value)
            said += f"; public holidays: {holidays_name(team.holidays)}"
        team.timezone = value
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
        said = f"public holidays: {holidays_name(team.holidays)}"
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
    filed = _file_open_commitments(ctx, person, dept.id)
    who = "You're" if person.id == ctx.actor.id else f"{person.display_name} is"
    body = "New commitments they own count for that department."
    if filed:
        ids = ", ".join(f"C-{n}" for n in filed)
        noun = "commitment" if len(filed) == 1 else "commitments"
        body = f"Filed {len(filed)} open {noun} with no department under {dept.name}: {ids}. "
        body += "New commitments they own count for that department."
    return Reply(
        headline=f"{who} in {dept.name}",
        body=body,
        data={"person": person.display_name, "department": dept.name, "filed": filed},
    )


def _file_open_commitments(ctx: Context, person: Person, department_id: int) -> list[int]:
    """File the person's open commitments in this team that have no department under their
    new one (an audit event each), so work logged before departments were set counts in the
    weekly figures. Commitments already filed elsewhere keep their department."""
    team = ctx.require_team()
    found = ctx.session.scalars(
        select(Commitment)
        .where(
            Commitment.team_id == team.id,
            Commitment.owner_id == person.id,
            Commitment.status.in_(OPEN_STATES),
            Commitment.department_id.is_(None),
        )
        .order_by(Commitment.number)
    ).all()
    for c in found:
        before = {"department_id": None}
        c.department_id, c.updated_at = department_id, ctx.now
        ctx.audit(
            "commitment.department_filed",
            "commitment",
            c.id,
            before=before,
            after={"department_id": department_id},
        )
    return [c.number for c in found]


def set_my_name(cmd: a.SetMyName, ctx: Context) -> Reply:
    """``me name <display name>``: the name others see, kept over the platform's profile."""
    name = " ".join(cmd.name.split())
    if not name:
        raise CommandError("What name should others see?", usage=usage_line("me name"))
    if len(name) > 200:
        raise CommandError("A name can be at most 200 characters.", usage=usage_line("me name"))
    before = {"display_name": ctx.actor.display_name}
    ctx.actor.display_name, ctx.actor.name_chosen = name, True
    ctx.session.flush()
    ctx.audit("person.renamed", "person", ctx.actor.id, before=before, after={"display_name": name})
    return Reply(headline=f"Others now see you as {name}", data={"display_name": name})


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


_HELP_NOTES: dict[str, str] = {
    "commit": "Owners: me, @handle, an email or a mention. Dates: Friday, tomorrow, "
    "2026-12-04, 4 Dec, end of month, in 2 weeks.",
    "due": "Dates: Friday, tomorrow, 2026-12-04, 4 Dec, end of month, in 2 weeks.",
    "snooze": "Dates: Friday, tomorrow, 2026-12-04, 4 Dec; or `for 3 days`.",
    "reassign": "Owners: me, @handle, an email or a mention.",
    "list": f"Lists show {PAGE_SIZE} at a time with their position (1–{PAGE_SIZE} of 212); "
    "Next and Previous turn the page, or say `from <n>`. In a direct message `list mine` "
    "covers all your teams.",
}


def show_help(cmd: a.Help, ctx: Context) -> Reply:
    """``help``: a compact index of every command, one line each; ``help <command>``: the
    usage, what it does, its aliases, an example and notes."""
    title, usages = help_reply_lines(cmd.topic)
    if cmd.topic is None:
        index = "\n".join(f"`{u.verb}` {brief(u)}" for u in usages)
        return Reply(
            headline=title,
            body=index,
            fields=(
                Field("Details", "`help <command>`, e.g. `help commit`"),
                Field("Direct messages", "add `in <team>` when you are in several teams"),
            ),
            data={"help": "index", "verbs": [u.verb for u in usages]},
        )
    items = tuple(
        Item(
            title=u.line,
            fields=(Field("What", u.summary),)
            + ((Field("Also", ", ".join(u.aliases)),) if u.aliases else ())
            + ((Field("Example", u.example),) if u.example else ())
            + (
                (Field("Notes", _HELP_NOTES[u.verb.split()[0]]),)
                if u.verb.split()[0] in _HELP_NOTES
                else ()
            ),
        )
        for u in usages
    )
    return Reply(
        headline=title,
        sections=(Section(title="Commands", items=items),),
        data={"help": cmd.topic, "verbs": [u.verb for u in usages]},
    )
