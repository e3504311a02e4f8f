"""Reading the log: show one record, list records a page at a time, and help."""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import func, or_, select

from commands import actions as a
from commands import measure_links
from commands.context import Context
from commands.language import CommandError
from commands.presenting import commitment_item, decision_item, risk_item
from commands.proposals import decisions_how, how_made
from commands.records import _commitment, _commitment_reply, _decision, _decision_reply, _risk
from commands.reply import Button, Field, Item, Page, Reply, Section
from commands.rules import OPEN_STATES, local_today, overdue_clause, risk_rating
from commands.usages import USAGES, Usage, brief, usage_line
from storage import people
from storage.models import Commitment, Decision, Risk

PAGE_SIZE = 15  # items per page of a list


def show(cmd: a.Show, ctx: Context) -> Reply:
    if cmd.kind == "M":
        return measure_links.show_measure(cmd.number, ctx)
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


def help_reply_lines(topic: str | None) -> tuple[str, list[Usage]]:
    """The usages to show for ``help [topic]`` (all when no topic)."""
    if not topic:
        return "Joinedup commands", list(USAGES)
    topic = topic.strip().lower()
    matches = [
        u for u in USAGES if u.verb == topic or topic in u.aliases or u.verb.split()[0] == topic
    ]
    if not matches:
        raise CommandError(f'There is no command "{topic}".', usage=usage_line("help"))
    return f"Help: {topic}", matches


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
