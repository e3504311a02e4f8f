"""Benchmark: planning one reminder sweep over many teams.

What it measures: the time ``commands.reminders.plan_sweep`` takes to work out,
at one moment (Monday 09:00 in London), every nudge, channel digest and
escalation due across 1,000 teams x 100 open commitments (about 20% overdue,
5 owners per team, one Slack channel and two RACI areas each), and the number
of SQL statements it sends (counted with SQLAlchemy's ``before_cursor_execute``
event). It runs the same plan over 100 teams to show that the statement count
does not grow with the number of teams (batched queries, no per-team or
per-item query loop). It also times claiming the planned messages (the batched
``INSERT ... ON CONFLICT DO NOTHING``), which a real sweep does next.

On SQLite (a temporary file) always; on PostgreSQL when
``JOINEDUP_BENCH_DATABASE_URL`` is set or one answers at 127.0.0.1:5432/test,
in a throwaway schema dropped afterwards. Seeding uses bulk inserts.

Each team also has ``--measures`` joint measures (default 3: monthly, weekly,
quarterly, a year of values, last month's missing), so each nudge asks for the
values due; ``--measures 0`` gives the plan without them, for comparison.

    python bench/reminders.py [--teams 1000] [--small 100] [--measures 3] [--only sqlite]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import random
import socket
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert, select, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from commands.reminders import enqueue_plan, plan_sweep  # noqa: E402
from storage.database import Database  # noqa: E402
from storage.engine import make_engine, normalise_url  # noqa: E402
from storage.models import (  # noqa: E402
    Area,
    AreaRole,
    ChannelLink,
    Commitment,
    Counter,
    Department,
    LadderStep,
    Measure,
    MeasureValue,
    Person,
    Team,
    TeamMember,
)

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)  # Monday, 09:00 in London
TODAY = NOW.date()
PER_TEAM = 100
OWNERS_PER_TEAM = 5
DEPARTMENTS = ["Housing", "Health", "Police", "Council", "DLUHC"]
MEASURES = 3


def seed(db: Database, teams: int) -> int:
    """Bulk-insert ``teams`` teams with their people, channels, areas and commitments."""
    rnd = random.Random(7)
    created = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
    with db.uow() as uow:
        s = uow.session
        s.execute(
            insert(Department),
            [{"id": i + 1, "name": n, "key": n.casefold()} for i, n in enumerate(DEPARTMENTS)],
        )
        s.execute(
            insert(Team),
            [
                {
                    "id": t,
                    "name": f"Team {t}",
                    "key": f"team {t}",
                    "timezone": "Europe/London",
                    "reminder_time": "09:00",
                    "escalation_days": 3,
                    "summary_weekday": 5,
                    "summary_time": "16:00",
                    "holidays": "GB-ENG",
                    "suggestions_enabled": True,
                    "decision_reaction": "pushpin",
                    "commitment_reaction": "ballot_box_with_check",
                    "created_at": created,
                }
                for t in range(1, teams + 1)
            ],
        )
        s.execute(
            insert(Counter),
            [{"team_id": t, "kind": "C", "last_number": PER_TEAM} for t in range(1, teams + 1)],
        )
        people = []
        members = []
        for t in range(1, teams + 1):
            for o in range(OWNERS_PER_TEAM):
                pid = (t - 1) * OWNERS_PER_TEAM + o + 1
                people.append(
                    {
                        "id": pid,
                        "display_name": f"Person {pid}",
                        "email": f"p{pid}@dept{o}.example",
                        "department_id": o + 1,
                        "created_at": created,
                    }
                )
                members.append(
                    {
                        "team_id": t,
                        "person_id": pid,
                        "role": "lead" if o == 0 else "member",
                        "joined_at": created,
                    }
                )
        s.execute(insert(Person), people)
        s.execute(insert(TeamMember), members)
        s.execute(
            insert(ChannelLink),
            [
                {
                    "team_id": t,
                    "platform": "slack",
                    "tenant": "T1",
                    "channel_id": f"C{t:05d}",
                    "name": f"team-{t}",
                    "created_at": created,
                }
                for t in range(1, teams + 1)
            ],
        )
        areas, roles = [], []
        for t in range(1, teams + 1):
            for k, name in enumerate(("Data sharing", "Outreach")):
                aid = (t - 1) * 2 + k + 1
                areas.append(
                    {
                        "id": aid,
                        "team_id": t,
                        "name": name,
                        "key": name.casefold(),
                        "created_at": created,
                    }
                )
                roles.append(
                    {
                        "area_id": aid,
                        "person_id": (t - 1) * OWNERS_PER_TEAM + k + 2,
                        "role": "accountable",
                        "created_at": created,
                    }
                )
        s.execute(insert(Area), areas)
        s.execute(insert(AreaRole), roles)
        texts = ["Data sharing agreement draft", "Outreach rota", "Send the DPIA", "Book the venue"]
        rows: list[dict[str, Any]] = []
        for t in range(1, teams + 1):
            for n in range(1, PER_TEAM + 1):
                owner = (t - 1) * OWNERS_PER_TEAM + rnd.randrange(OWNERS_PER_TEAM) + 1
                overdue = rnd.random() < 0.2
                late = rnd.randint(1, 15) if overdue else 0
                due = (
                    TODAY - dt.timedelta(days=late)
                    if overdue
                    else TODAY + dt.timedelta(days=rnd.randint(0, 60))
                )
                blocked = rnd.random() < 0.03
                rows.append(
                    {
                        "team_id": t,
                        "number": n,
                        "text": f"{rnd.choice(texts)} {n}",
                        "owner_id": owner,
                        "department_id": (owner - 1) % OWNERS_PER_TEAM + 1,
                        "created_by_id": (t - 1) * OWNERS_PER_TEAM + 1,
                        "due_date": due,
                        "status": "blocked" if blocked else "open",
                        "blocked_reason": "waiting for legal" if blocked else None,
                        # Steady state: most long-overdue items were escalated on earlier days.
                        "escalated_at": NOW - dt.timedelta(days=2)
                        if late > 7 and rnd.random() < 0.9
                        else None,
                        "snoozed_until": TODAY + dt.timedelta(days=2)
                        if overdue and rnd.random() < 0.05
                        else None,
                        "created_at": created,
                        "updated_at": created,
                    }
                )
        for start in range(0, len(rows), 10_000):
            s.execute(insert(Commitment), rows[start : start + 10_000])
        # ...and took both steps of the default ladder (accountable, lead) on those days.
        steps = [
            {
                "team_id": team_id,
                "item": f"commitment:{cid}",
                "kind": "overdue",
                "round": 0,
                "rung": rung,
                "step": step,
                "local_day": TODAY - dt.timedelta(days=2),
                "at": NOW - dt.timedelta(days=2),
            }
            for cid, team_id in s.execute(
                select(Commitment.id, Commitment.team_id).where(
                    Commitment.escalated_at.is_not(None)
                )
            )
            for rung, step in ((1, "accountable"), (2, "lead"))
        ]
        for start in range(0, len(steps), 10_000):
            s.execute(insert(LadderStep), steps[start : start + 10_000])
        seed_measures(s, teams, rnd)
        uow.commit()
    return len(rows)


def seed_measures(s: Any, teams: int, rnd: random.Random) -> None:
    """``MEASURES`` measures a team, cycling monthly, weekly, quarterly, each with a year of
    values except the last ended month's (so the monthly ones are asked for)."""
    from commands.periods import period_of

    if MEASURES == 0:
        return
    frequencies = ("month", "week", "quarter")
    start = dt.date(2025, 11, 1)
    measures, values = [], []
    mid = 0
    for t in range(1, teams + 1):
        for k in range(MEASURES):
            mid += 1
            frequency = frequencies[k % 3]
            measures.append(
                {
                    "id": mid,
                    "team_id": t,
                    "number": k + 1,
                    "name": f"Measure {k + 1}",
                    "baseline": 100.0,
                    "target": 40.0,
                    "target_date": dt.date(2027, 11, 1),
                    "owner_id": (t - 1) * OWNERS_PER_TEAM + k % OWNERS_PER_TEAM + 1,
                    "department_id": k % OWNERS_PER_TEAM + 1,
                    "created_by_id": (t - 1) * OWNERS_PER_TEAM + 1,
                    "frequency": frequency,
                    "lower_is_better": True,
                    "status": "active",
                    "start_date": start,
                    "created_at": dt.datetime(2025, 11, 1, tzinfo=dt.UTC),
                }
            )
            period = period_of(start, frequency)
            last = period_of(TODAY, frequency).previous()
            while period < last or (period == last and frequency != "month"):
                values.append(
                    {
                        "measure_id": mid,
                        "period": period.label,
                        "period_start": period.start,
                        "period_end": period.end,
                        "value": 100.0 - rnd.random() * 30,
                        "recorded_by_id": (t - 1) * OWNERS_PER_TEAM + 1,
                        "recorded_at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
                    }
                )
                period = period.next()
    s.execute(
        insert(Counter),
        [{"team_id": t, "kind": "M", "last_number": MEASURES} for t in range(1, teams + 1)],
    )
    s.execute(insert(Measure), measures)
    for i in range(0, len(values), 10_000):
        s.execute(insert(MeasureValue), values[i : i + 10_000])


@contextmanager
def counting(db: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def measure(db: Database, teams: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    commitments = seed(db, teams)
    seeded = time.perf_counter() - t0
    with db.uow() as uow:  # warm the connection pool and caches, as a running server would
        plan_sweep(uow.session, now=NOW - dt.timedelta(days=2))
    with counting(db) as statements, db.uow() as uow:
        t0 = time.perf_counter()
        plan = plan_sweep(uow.session, now=NOW)
        planned = time.perf_counter() - t0
        n_plan = len(statements)
        t0 = time.perf_counter()
        won = enqueue_plan(uow.session, plan, now=NOW)
        uow.commit()
        claimed = time.perf_counter() - t0
        n_claim = len(statements) - n_plan
        n_won = len(won)
        kinds: dict[str, int] = {}
        for o in plan.outgoing:
            kinds[o.kind] = kinds.get(o.kind, 0) + 1
            asked = sum(1 for r in o.refs if r.startswith("M-")) if o.kind == "owner_nudge" else 0
            if asked:
                kinds["measure values asked"] = kinds.get("measure values asked", 0) + asked
    del plan, won
    gc.collect()  # the first sweep's garbage, so that it is not timed as the next tick's
    with counting(db) as statements, db.uow() as uow:  # the next tick, 30 s later
        t0 = time.perf_counter()
        plan_sweep(uow.session, now=NOW + dt.timedelta(seconds=30))
        next_tick = time.perf_counter() - t0
        n_next = len(statements)
    return {
        "teams": teams,
        "commitments": commitments,
        "seed_s": seeded,
        "plan_s": planned,
        "plan_statements": n_plan,
        "claim_s": claimed,
        "claim_statements": n_claim,
        "claimed": n_won,
        "next_s": next_tick,
        "next_statements": n_next,
        "kinds": kinds,
    }


def report(backend: str, r: dict[str, Any]) -> None:
    kinds = ", ".join(f"{v} {k}" for k, v in sorted(r["kinds"].items()))
    print(
        f"{backend:<10} {r['teams']:>5} teams x {PER_TEAM} = {r['commitments']:>6} commitments, "
        f"{MEASURES} measures each: "
        f"plan {r['plan_s']:.2f} s in {r['plan_statements']} SQL statements; "
        f"claim {r['claim_s']:.2f} s in {r['claim_statements']} statements ({kinds}); "
        f"next tick {r['next_s'] * 1000:.0f} ms in {r['next_statements']} statements; "
        f"seeded in {r['seed_s']:.1f} s"
    )


def on_sqlite(teams: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{tmp}/bench.db")
        try:
            return measure(db, teams)
        finally:
            db.dispose()


def pg_url() -> str | None:
    url = os.environ.get("JOINEDUP_BENCH_DATABASE_URL", "").strip()
    if url:
        return url
    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=1).close()
    except OSError:
        return None
    return "postgresql://127.0.0.1:5432/test"


def on_postgresql(url: str, teams: int) -> dict[str, Any]:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in url else "?"
    db = Database(f"{normalise_url(url)}{sep}options=-csearch_path%3D{schema}")
    try:
        return measure(db, teams)
    finally:
        db.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teams", type=int, default=1000)
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--measures", type=int, default=MEASURES)
    parser.add_argument("--only", choices=("sqlite", "postgresql"), help="one backend only")
    args = parser.parse_args()
    globals()["MEASURES"] = args.measures
    backends: list[tuple[str, Any]] = []
    if args.only != "postgresql":
        backends.append(("sqlite", on_sqlite))
    url = pg_url() if args.only != "sqlite" else None
    if url:
        backends.append(("postgresql", lambda n: on_postgresql(url, n)))
    elif args.only != "sqlite":
        print("PostgreSQL: not reachable (set JOINEDUP_BENCH_DATABASE_URL)")
    for name, run in backends:
        big, small = run(args.teams), run(args.small)
        report(name, small)
        report(name, big)
        same = big["plan_statements"] == small["plan_statements"]
        print(
            f"{name:<10} statements to plan: {small['plan_statements']} for {args.small} teams, "
            f"{big['plan_statements']} for {args.teams} "
            f"({'constant' if same else 'GROWS with teams'}); "
            f"plan time {big['plan_s']:.2f} s (target < 2 s)"
        )


if __name__ == "__main__":
    main()
