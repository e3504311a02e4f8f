"""What serves a measure: linking a commitment, decision or risk to it, logging one for it,
and ``show M-n`` with its values and what serves it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any, cast

from sqlalchemy import select

from commands import actions as a
from commands.context import Context
from commands.language import CommandError
from commands.measure_status import number_text
from commands.measures import find_measure, measure_reply, view_of
from commands.reply import Field, Item, Reply, Section
from storage.models import Commitment, Decision, Measure, MeasureLink, Risk

_MODELS: dict[str, type[Commitment] | type[Decision] | type[Risk]] = {
    "C": Commitment,
    "D": Decision,
    "R": Risk,
}
_KIND_WORD = {"C": "commitment", "D": "decision", "R": "risk"}


def _record_id(ctx: Context, kind: str, number: int) -> int:
    team = ctx.require_team()
    model = _MODELS[kind]
    found = ctx.session.scalars(
        select(model.id).where(model.team_id == team.id, model.number == number)
    ).first()
    if found is None:
        raise CommandError(f"There is no {kind}-{number} in {team.name}.")
    return int(found)


def _link(ctx: Context, measure: Measure, kind: str, number: int) -> None:
    record_id = _record_id(ctx, kind, number)
    exists = ctx.session.scalars(
        select(MeasureLink.id).where(
            MeasureLink.measure_id == measure.id,
            MeasureLink.kind == kind,
            MeasureLink.record_id == record_id,
        )
    ).first()
    if exists is not None:
        raise CommandError(f"{kind}-{number} already serves M-{measure.number}.")
    ctx.session.add(
        MeasureLink(
            measure_id=measure.id,
            kind=kind,
            record_id=record_id,
            created_by_id=ctx.actor.id,
            created_at=ctx.now,
        )
    )
    ctx.session.flush()
    ctx.audit(
        "measure.linked",
        "measure",
        measure.id,
        after={"record": f"{kind}-{number}", "kind": _KIND_WORD[kind], "record_id": record_id},
    )


def link_to_measure(cmd: a.LinkToMeasure, ctx: Context) -> Reply:
    measure = find_measure(ctx, cmd.measure, active=True)
    _link(ctx, measure, cmd.kind, cmd.record)
    return Reply(
        headline=f"{cmd.kind}-{cmd.record} serves M-{measure.number} ({measure.name})",
        visibility="channel",
        ref=f"M-{measure.number}",
        data={"record": f"{cmd.kind}-{cmd.record}", "measure": f"M-{measure.number}"},
    )


def log_for_measure(
    cmd: a.LogForMeasure, ctx: Context, log: Callable[[Any, Context], Reply]
) -> Reply:
    """Log the record with its own handler ``log``, then link it to the measure, in the
    same transaction: an unknown or retired measure writes nothing."""
    measure = find_measure(ctx, cmd.measure, active=True)
    reply = log(cmd.record, ctx)
    assert reply.ref is not None
    kind, _, number = reply.ref.partition("-")
    _link(ctx, measure, kind, int(number))
    serves = Field("Serves", f"M-{measure.number} {measure.name}")
    return Reply(
        **{
            **reply.__dict__,
            "fields": (*reply.fields, serves),
            "data": {**reply.data, "measure": f"M-{measure.number}"},
        }
    )


def show_measure(number: int, ctx: Context) -> Reply:
    """``show M-n``: the measure, its history (newest first) and what serves it."""
    measure = find_measure(ctx, number)
    view = view_of(ctx, measure)
    history = tuple(
        Item(
            title=number_text(v.value, view.unit),
            ref=v.period,
            fields=(
                (Field("Target line", number_text(round(v.expected, 2), view.unit)),)
                if v.expected is not None
                else ()
            )
            + ((Field("Note", v.note),) if v.note else ()),
        )
        for v in reversed(view.values)
    )
    links = ctx.session.scalars(
        select(MeasureLink)
        .where(MeasureLink.measure_id == measure.id)
        .order_by(MeasureLink.created_at, MeasureLink.id)
    ).all()
    serving: list[Item] = []
    by_kind: dict[str, list[int]] = defaultdict(list)
    for link in links:
        by_kind[link.kind].append(link.record_id)
    for kind in ("C", "D", "R"):
        model = _MODELS[kind]
        if not by_kind[kind]:
            continue
        records = [
            cast(Commitment | Decision | Risk, r)
            for r in ctx.session.scalars(
                select(model).where(model.id.in_(by_kind[kind])).order_by(model.number)
            ).unique()
        ]
        for record in records:
            serving.append(
                Item(
                    title=record.text,
                    ref=f"{kind}-{record.number}",
                    fields=(Field("Status", record.status),),
                )
            )
    reply = measure_reply(view, f"M-{measure.number}", visibility="private")
    return Reply(
        **{
            **reply.__dict__,
            "sections": (
                Section("Values", history, empty="No values yet."),
                Section("Serving it", tuple(serving), empty="Nothing linked yet."),
            ),
            "data": {**reply.data, "serving": [i.ref for i in serving]},
        }
    )
