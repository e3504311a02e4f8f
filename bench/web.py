"""Benchmark: the live view's overview page and the commitments API for a team with 10,000
commitments, over HTTP at 20 concurrent clients, beside the same queries run directly.

What it measures, on SQLite (a temporary file; ``--database-url`` for PostgreSQL):

- the team of ``bench/export.py`` (10,000 commitments, 2,000 decisions, 200 risks, 100
  areas), bulk-seeded;
- **over HTTP**: ``joinedup serve`` in its own process (as deployed), 20 client threads
  each sending ``--requests`` requests one after another: ``GET /web/teams/1/`` with a
  signed-in session cookie (the overview: the week's figures, overdue by department and
  owner, 12 weeks of completions, red risks, recent decisions, escalations; rendered as
  HTML), and ``GET /api/v1/teams/1/commitments`` with a bearer token (the first page of
  open commitments, overdue first, as JSON). Latency per request, p50 and p99;
- **directly**: the same read models (``commands.views.overview`` and
  ``commands.views.commitments``), each in its own unit of work, from 20 threads in this
  process: the floor, with the same concurrency on the same machine;
- **ratio** = HTTP p50 / direct p50 (and the same for p99). Goal: within 2x;
- **SQL statements** per overview and per commitments page (SQLAlchemy
  ``before_cursor_execute``) at 1,000 and at 10,000 commitments: the same.

Run: ``python bench/web.py`` (from the repository root).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import requests  # noqa: E402
from export import seed  # noqa: E402  (bench/export.py: the same large team)
from sqlalchemy import event, select  # noqa: E402

from commands import views  # noqa: E402
from storage import access  # noqa: E402
from storage.database import Database  # noqa: E402
from storage.models import Team, TeamMember  # noqa: E402
from tests.background import free_port, serve_process  # noqa: E402

CLIENTS = 20


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def concurrently(work: Callable[[int], None], *, clients: int, each: int) -> list[float]:
    """Run ``work(i)`` ``each`` times in each of ``clients`` threads; latencies in ms."""
    latencies: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(clients)

    def client(i: int) -> None:
        mine = []
        start.wait()
        for _ in range(each):
            t0 = time.perf_counter()
            work(i)
            mine.append((time.perf_counter() - t0) * 1000)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies


def credentials(db: Database, team_id: int, clients: int) -> tuple[list[str], str]:
    """A signed-in session per client (cookies) and one API token."""
    now = dt.datetime.now(dt.UTC)
    with db.uow() as uow:
        person_id = uow.session.scalars(
            select(TeamMember.person_id).where(TeamMember.team_id == team_id)
        ).first()
        assert person_id is not None
        cookies = []
        for _ in range(clients):
            link = access.create_sign_in(uow.session, person_id=person_id, now=now)
            cookie = access.redeem_sign_in(uow.session, link, now=now)
            assert cookie
            cookies.append(cookie)
        token = access.create_api_token(uow.session, team_id=team_id, label="bench", now=now)
        uow.commit()
    return cookies, token


def count_statements(db: Database, work: Callable[[], Any]) -> int:
    seen = [0]

    def listen(*_args: Any) -> None:
        seen[0] += 1

    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        work()
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    return seen[0]


def direct(db: Database, team_id: int, which: str) -> Callable[[int], None]:
    def run(_i: int) -> None:
        now = dt.datetime.now(dt.UTC)
        with db.reader() as uow:
            team = uow.session.get(Team, team_id)
            assert team is not None
            if which == "overview":
                views.overview(uow.session, team, now=now)
            else:
                views.commitments(uow.session, team, now=now)

    return run


def report(name: str, http: list[float], floor: list[float]) -> None:
    p50, p99 = percentile(http, 0.5), percentile(http, 0.99)
    d50, d99 = percentile(floor, 0.5), percentile(floor, 0.99)
    print(
        f"{name:<22} HTTP p50 {p50:8.1f} ms  p99 {p99:8.1f} ms | direct p50 {d50:8.1f} ms  "
        f"p99 {d99:8.1f} ms | ratio p50 {p50 / d50:4.2f}  p99 {p99 / d99:4.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commitments", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=10, help="per client and endpoint")
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        db = Database(url, pool_size=CLIENTS)
        team_id = seed(db, commitments=args.commitments, decisions=args.commitments // 5)
        small_url = f"sqlite:///{tmp}/small.db"
        small = Database(small_url)
        small_team = seed(small, commitments=1_000, decisions=200)
        print(
            f"team: {args.commitments:,} commitments, {args.commitments // 5:,} decisions; "
            f"{CLIENTS} concurrent clients x {args.requests} requests; "
            f"{db.engine.dialect.name}"
        )
        for name, which in (("overview", "overview"), ("commitments page", "commitments")):
            at_small = count_statements(small, lambda w=which: direct(small, small_team, w)(0))
            at_large = count_statements(db, lambda w=which: direct(db, team_id, w)(0))
            print(
                f"SQL statements, {name}: {at_small} at 1,000 commitments, "
                f"{at_large} at {args.commitments:,}"
            )
        small.dispose()

        cookies, token = credentials(db, team_id, CLIENTS)
        port = free_port()
        server = serve_process(
            {
                "JOINEDUP_DATABASE_URL": url,
                "JOINEDUP_SCHEDULER": "off",
                "JOINEDUP_OUTBOX_TICK": "3600",
            },
            port,
            Path(tmp) / "serve.log",
        )
        base = f"http://127.0.0.1:{port}"
        try:
            sessions = [requests.Session() for _ in range(CLIENTS)]
            for s, cookie in zip(sessions, cookies, strict=True):
                s.cookies.set("joinedup_session", cookie, path="/web")

            def overview_http(i: int) -> None:
                r = sessions[i].get(f"{base}/web/teams/{team_id}/", timeout=60)
                assert r.status_code == 200, r.status_code

            def api_http(i: int) -> None:
                r = sessions[i].get(
                    f"{base}/api/v1/teams/{team_id}/commitments",
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=60,
                )
                assert r.status_code == 200, r.status_code

            for name, http_work, which in (
                ("overview page", overview_http, "overview"),
                ("commitments API", api_http, "commitments"),
            ):
                concurrently(http_work, clients=CLIENTS, each=1)  # warm up
                concurrently(direct(db, team_id, which), clients=CLIENTS, each=1)
                http = concurrently(http_work, clients=CLIENTS, each=args.requests)
                floor = concurrently(
                    direct(db, team_id, which), clients=CLIENTS, each=args.requests
                )
                report(name, http, floor)
        finally:
            server.terminate()
            server.wait(10)
            db.dispose()


if __name__ == "__main__":
    main()
