"""Ownership: who owns a topic, and recording who owns an area."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select

from commands import actions as a
from commands.context import Context
from commands.language import CommandError
from commands.presenting import commitment_item, decision_item, person_with_department
from commands.records import _accountable
from commands.reply import Field, Item, Reply, Section
from commands.rules import OPEN_STATES, keywords, may_take_accountable
from commands.usages import usage_line
from storage.models import Area, AreaRole, Commitment, Decision

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
