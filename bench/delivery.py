"""How fast the delivery engine empties the outbox, beside a floor measured in the same run.

What it measures: N nudges written to the outbox are delivered through the real
``SlackNotifier`` to the fake Slack Web API on loopback (each call answered after
``--latency`` ms, as a remote API would), by one worker with 1 lane and with 4 lanes, on
SQLite and on PostgreSQL. The floor: the same N direct messages sent straight through the
same notifier (which looks up each person's Slack account) with no outbox, 4 at a time,
after a warm-up. Reported: messages/s and the ratio to the floor. Every run checks that
each message was posted exactly once.

    python bench/delivery.py [--messages 400] [--latency 20]

PostgreSQL is used when ``JOINEDUP_BENCH_DATABASE_URL`` is set or one answers at
127.0.0.1:5432/test, in a throwaway schema dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import socket
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.outbox import DeliveryEngine  # noqa: E402
from commands.reply import Reply  # noqa: E402
from integrations.slack.notifier import SlackNotifier, single_token  # noqa: E402
from storage import outbox, people  # noqa: E402
from storage.database import Database  # noqa: E402
from storage.engine import make_engine, normalise_url  # noqa: E402
from tests.background import serving  # noqa: E402
from tests.fakes.slack_api import FakeSlackApi  # noqa: E402

REPLY = Reply(headline="Good morning: 2 overdue on your list", body="Mark them done.")


def seed_people(db: Database, n: int) -> list[int]:
    """N people on Slack (U0, U1 ...), each a DM channel of its own in the fake."""
    with db.uow() as uow:
        ids = [
            people.resolve_identity(
                uow.session, platform="slack", tenant="T1", user_id=f"U{i}", display_name=f"P{i}"
            ).id
            for i in range(n)
        ]
        uow.commit()
    return ids


def seed(db: Database, n: int) -> list[int]:
    """A nudge in the outbox for each of N people."""
    now = dt.datetime.now(dt.UTC)
    ids = seed_people(db, n)
    with db.uow() as uow:
        rows = [
            {
                "kind": outbox.NUDGE,
                "platform": outbox.ANY_PLATFORM,
                "person_id": pid,
                "payload": {"reply": REPLY.to_dict(), "to": f"P{i}"},
                "dedupe_key": f"bench:{uuid.uuid4().hex}",
            }
            for i, pid in enumerate(ids)
        ]
        outbox.enqueue_many(uow.session, rows, now=now)
        uow.commit()
    return ids


def run(db: Database, fake: FakeSlackApi, n: int, lanes: int) -> float:
    ids = seed(db, n)
    fake.calls.clear()
    notifier = SlackNotifier(db=db, tokens=single_token("xoxb-bench"), api_url=fake.base_url)
    engine = DeliveryEngine(db, {"slack": notifier}, worker=f"bench-{lanes}")
    t0 = time.perf_counter()
    report = asyncio.run(engine.deliver_due(lanes=lanes))
    elapsed = time.perf_counter() - t0
    posted = Counter(c.params["channel"] for c in fake.calls_to("chat.postMessage"))
    once = len(report.sent) == n and len(posted) == n and set(posted.values()) == {1}
    assert once, f"sent {len(report.sent)}, posted to {len(posted)} channels, not once each"
    del ids
    return elapsed


def floor(db: Database, fake: FakeSlackApi, n: int) -> float:
    """The same direct messages through the same notifier, 4 at a time, no outbox."""
    ids = seed_people(db, n)
    notifier = SlackNotifier(db=db, tokens=single_token("xoxb-bench"), api_url=fake.base_url)
    fake.calls.clear()

    async def send_all() -> None:
        queue = list(ids)

        async def lane() -> None:
            while queue:
                await notifier.send_to_person(person_id=queue.pop(), reply=REPLY)

        await asyncio.gather(*(lane() for _ in range(4)))

    t0 = time.perf_counter()
    asyncio.run(send_all())
    return time.perf_counter() - t0


def measure(name: str, db: Database, fake: FakeSlackApi, n: int) -> None:
    floor(db, fake, min(n, 50))  # warm the connection pools
    base = floor(db, fake, n)
    print(f"{name:<10} floor (4 at a time, no outbox): {n / base:7.1f} msg/s")
    for lanes in (1, 4):
        took = run(db, fake, n, lanes)
        print(
            f"{name:<10} engine, {lanes} lane{'s' if lanes > 1 else ' '}:          "
            f"{n / took:7.1f} msg/s  ({(n / took) / (n / base) * 100:5.1f}% of the floor)"
        )


def pg_url() -> str | None:
    url = os.environ.get("JOINEDUP_BENCH_DATABASE_URL", "").strip()
    if url:
        return url
    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=1).close()
    except OSError:
        return None
    return "postgresql://127.0.0.1:5432/test"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=400)
    parser.add_argument("--latency", type=float, default=20.0, help="fake Slack latency, ms")
    args = parser.parse_args()
    fake = FakeSlackApi()
    fake.delay = args.latency / 1000
    with serving(fake.app()) as server, tempfile.TemporaryDirectory() as tmp:
        fake.base_url = f"{server.url}/api/"
        db = Database(f"sqlite:///{Path(tmp) / 'bench.db'}")
        try:
            measure("sqlite", db, fake, args.messages)
        finally:
            db.dispose()
        url = pg_url()
        if url is None:
            print("PostgreSQL: not reachable (set JOINEDUP_BENCH_DATABASE_URL); SQLite only")
            return
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        admin = make_engine(url)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        sep = "&" if "?" in url else "?"
        db = Database(f"{normalise_url(url)}{sep}options=-csearch_path%3D{schema}")
        try:
            measure("postgresql", db, fake, args.messages)
        finally:
            db.dispose()
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


if __name__ == "__main__":
    main()
