"""Benchmark: signed Slack /decision commands against a real `joinedup serve` process.

What it measures, on SQLite (a temporary file) and on PostgreSQL (when
``JOINEDUP_BENCH_DATABASE_URL`` is set or one answers at 127.0.0.1:5432/test, in a
throwaway schema): ``--clients`` (default 50) concurrent clients send signed ``/decision``
slash commands for ``--seconds`` each, and the bench reports

- acknowledged/s: 200s whose answer says the decision was logged;
- busy/s: 200s that said "busy, nothing was saved" (the in-flight bound);
- committed/s: decisions in the database after the run, over the run's length;
- ack latency p50/p99 of the acknowledged (saved) answers;
- peak RSS of the server process, sampled every 100 ms;
- server CPU time per answer (from `/proc/<pid>/stat`): what a command costs, whatever else
  the machine is doing;
- lost: acknowledged as saved but not in the database after the server is killed with
  SIGKILL at the end of the run (must be 0), and doubled (must be 0).

Beside it, the FLOOR, measured in the same run on the same database: a bare bolt
``AsyncApp`` (``process_before_response=True``) whose slash command listener inserts one row
in a thread and then acknowledges, served by the same aiohttp. The goals (issue 10): ack p99
within 2x the floor's, committed/s at least half the floor's, zero lost.

Joinedup runs the load twice: all in one team (one channel), and spread over ten teams (ten
channels). Numbers are gap-free per team, so on PostgreSQL one team's decisions queue on its
counter row from the number to the commit; that bounds one team's rate, not the server's.

A last phase overloads the server (``--overload-clients``, default 200) to show that memory
stays flat: RSS at the start and end of that phase, and how many were told "busy".

    python bench/commands.py [--seconds 10] [--clients 50] [--overload-clients 200]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import signal
import socket
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from storage.engine import make_engine, normalise_url  # noqa: E402
from tests.background import BackgroundLoop, free_port, start_process  # noqa: E402
from tests.fakes.slack_api import FakeSlackApi  # noqa: E402

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench"
BUSY = "Joinedup is busy"


# --- the floor: a bare bolt app that commits one row before it acknowledges --------------------

FLOOR_TABLE = "bench_floor"


# The spread phase: the same load over ten teams, each logging in its own channel. Numbers
# are gap-free per team, so one team's decisions queue on its counter row (PostgreSQL) from
# the number to the commit; ten teams' do not queue on each other's.
SPREAD = tuple(f"C{i}" for i in range(1, 11))


def post_signed(port: int, body: str, text: str) -> None:
    """One signed ``/joinedup <text>`` from the bench's user, answered before it returns."""
    body = body.replace("Decision+0", urllib.parse.quote_plus(text)).replace(
        "%2Fdecision", "%2Fjoinedup"
    )
    ts = str(int(time.time()))
    sig = hmac.new(SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256)
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/slack/events",
        data=body.encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": "v0=" + sig.hexdigest(),
        },
    )
    urllib.request.urlopen(request, timeout=10).read()


def run_floor(port: int, database_url: str, api_url: str) -> None:
    """``python bench/commands.py --floor PORT URL API``: the floor server (its own process),
    whose one-time ``auth.test`` goes to the same fake Web API as Joinedup's."""
    from aiohttp import web
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    engine = make_engine(database_url)
    with engine.begin() as conn:
        conn.execute(
            text(f"CREATE TABLE IF NOT EXISTS {FLOOR_TABLE} (id INTEGER PRIMARY KEY, body TEXT)")
            if engine.dialect.name == "sqlite"
            else text(
                f"CREATE TABLE IF NOT EXISTS {FLOOR_TABLE} (id SERIAL PRIMARY KEY, body TEXT)"
            )
        )
    bolt = AsyncApp(
        signing_secret=SECRET,
        client=AsyncWebClient(token=TOKEN, base_url=api_url),
        process_before_response=True,
    )

    def insert(body: str) -> None:
        with engine.begin() as conn:
            conn.execute(text(f"INSERT INTO {FLOOR_TABLE} (body) VALUES (:b)"), {"b": body})

    @bolt.command("/decision")
    async def on_decision(ack: Any, command: dict[str, Any]) -> None:
        await asyncio.to_thread(insert, command.get("text") or "")
        await ack(response_type="in_channel", text=f"D-0 logged by floor: {command['text']}")

    async def handle(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    async def health(_request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/slack/events", handle)
    app.router.add_get("/healthz", health)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


# --- load -------------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used (``/proc/<pid>/stat``; 0 when unknown)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


@dataclass
class Run:
    seconds: float = 0.0
    saved: list[int] = field(default_factory=list)
    busy: int = 0
    other: int = 0
    latencies: list[float] = field(default_factory=list)
    rss: list[float] = field(default_factory=list)
    cpu_s: float = 0.0  # the server's CPU time over the run

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


def body_for(n: int, trigger: str, channel: str = "C1") -> str:
    return urllib.parse.urlencode(
        {
            "token": "x",
            "team_id": "T1",
            "team_domain": "joint",
            "channel_id": channel,
            "channel_name": "rough-sleeping",
            "user_id": "U1",
            "user_name": "alex",
            "command": "/decision",
            "text": f"Decision {n}",
            "api_app_id": "A1",
            "response_url": "http://127.0.0.1:9/response",
            "trigger_id": trigger,
        }
    )


async def load(
    port: int,
    *,
    clients: int,
    seconds: float,
    pid: int,
    start_at: int,
    channels: tuple[str, ...] = ("C1",),
) -> Run:
    """``clients`` concurrent clients for ``seconds``; the n-th command goes to
    ``channels[n % len(channels)]`` (each channel the log of a team of its own)."""
    run = Run()
    counter = [start_at]
    stop = time.monotonic() + seconds
    url = f"http://127.0.0.1:{port}/slack/events"

    async def sample() -> None:
        while time.monotonic() < stop:
            run.rss.append(rss_mb(pid))
            await asyncio.sleep(0.1)

    async def client(session: aiohttp.ClientSession) -> None:
        while time.monotonic() < stop:
            counter[0] += 1
            n = counter[0]
            body = body_for(n, f"bench.{uuid.uuid4().hex}", channels[n % len(channels)])
            ts = str(int(time.time()))
            sig = hmac.new(SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256)
            started = time.monotonic()
            try:
                async with session.post(
                    url,
                    data=body,
                    headers={
                        "Content-Type": "application/x-www-form-urlencoded",
                        "X-Slack-Request-Timestamp": ts,
                        "X-Slack-Signature": "v0=" + sig.hexdigest(),
                    },
                ) as response:
                    raw = await response.read()
                    elapsed = time.monotonic() - started
            except aiohttp.ClientError:
                run.other += 1
                continue
            answer = json.loads(raw) if raw and response.status == 200 else {}
            said = str(answer.get("text", ""))
            if response.status == 200 and " logged by " in said:
                run.saved.append(n)
                run.latencies.append(elapsed)
            elif said.startswith(BUSY):
                run.busy += 1
            else:
                run.other += 1

    began = time.monotonic()
    cpu_before = cpu_seconds(pid)
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(sample(), *(client(session) for _ in range(clients)))
    run.seconds = time.monotonic() - began
    run.cpu_s = cpu_seconds(pid) - cpu_before
    return run


# --- one backend ----------------------------------------------------------------------------


def count_rows(url: str, sql: str) -> list[Any]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql)))
    finally:
        engine.dispose()


def measure(database_url: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    log = workdir / "serve.log"
    results: dict[str, Any] = {}
    fake = FakeSlackApi()
    fake.add_user("U1", name="Alex Morgan", email="alex@council.example")
    loop = BackgroundLoop()
    try:
        fake.base_url = loop.serve(fake.app()).url
        # The floor.
        port = free_port()
        floor = start_process(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "--floor",
                str(port),
                database_url,
                f"{fake.base_url}/api/",
            ],
            {},
            port,
            log,
            wait=60,
        )
        try:
            run = asyncio.run(
                load(port, clients=args.clients, seconds=args.seconds, pid=floor.pid, start_at=0)
            )
        finally:
            floor.send_signal(signal.SIGKILL)
            floor.wait(30)
        rows = count_rows(database_url, f"SELECT count(*) FROM {FLOOR_TABLE}")[0][0]
        results["floor"] = summary(run, committed=rows)

        # Joinedup, at the same concurrency, then overloaded.
        env = {
            "JOINEDUP_DATABASE_URL": database_url,
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "JOINEDUP_SLACK_API_URL": f"{fake.base_url}/api/",
            "JOINEDUP_SCHEDULER": "off",
            "JOINEDUP_OUTBOX_TICK": "3600",
        }
        port = free_port()
        server_argv = [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1"]
        server = start_process([*server_argv, "--port", str(port)], env, port, log, wait=60)
        try:
            for channel in SPREAD:
                text = f"team create Bench {channel}"
                post_signed(port, body_for(0, f"setup.{channel}", channel), text)
            before = rss_mb(server.pid)
            # One team, ten teams, then overloaded; each phase numbers its decisions from
            # its own start, so what the database holds is counted per phase.
            run, spread, over = (
                asyncio.run(
                    load(
                        port,
                        clients=clients,
                        seconds=args.seconds,
                        pid=server.pid,
                        start_at=start_at,
                        channels=channels,
                    )
                )
                for clients, start_at, channels in (
                    (args.clients, 0, ("C1",)),
                    (args.clients, 5_000_000, SPREAD),
                    (args.overload_clients, 10_000_000, ("C1",)),
                )
            )
        finally:
            # Killed, not stopped: what was acknowledged must already be in the database.
            server.send_signal(signal.SIGKILL)
            server.wait(30)
    finally:
        loop.close()
    texts = [
        int(r[0].split()[-1])
        for r in count_rows(database_url, "SELECT text FROM decisions")
        if r[0].startswith("Decision ")
    ]
    in_run = [n for n in texts if n < 5_000_000]
    in_spread = [n for n in texts if 5_000_000 <= n < 10_000_000]
    acknowledged = set(run.saved) | set(spread.saved) | set(over.saved)
    results["joinedup"] = summary(run, committed=len(in_run))
    results["joinedup"]["rss_before_mb"] = before
    results["spread"] = summary(spread, committed=len(in_spread))
    results["overload"] = summary(over, committed=len(texts) - len(in_run) - len(in_spread))
    results["overload"]["rss_first_s_mb"] = max(over.rss[:10] or [0.0])
    results["overload"]["rss_last_s_mb"] = max(over.rss[-10:] or [0.0])
    results["lost"] = len(acknowledged - set(texts))
    results["doubled"] = len(texts) - len(set(texts))
    return results


def summary(run: Run, *, committed: int) -> dict[str, Any]:
    return {
        "clients_s": run.seconds,
        "acknowledged_per_s": len(run.saved) / run.seconds,
        "busy_per_s": run.busy / run.seconds,
        "other": run.other,
        "committed_per_s": committed / run.seconds,
        "p50_ms": run.percentile(50),
        "p99_ms": run.percentile(99),
        "peak_rss_mb": max(run.rss or [0.0]),
        # Server CPU per answer (saved or busy): what one command costs, whatever else the
        # machine is doing.
        "cpu_ms": 1000 * run.cpu_s / max(1, len(run.saved) + run.busy),
    }


def report(name: str, r: dict[str, Any]) -> None:
    f, j, sp, o = r["floor"], r["joinedup"], r["spread"], r["overload"]
    print(f"\n== {name} ==")
    print(
        f"{'':10} {'ack/s':>8} {'busy/s':>8} {'commit/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'peak RSS':>9} {'CPU/answer':>10}"
    )
    for label, x in (("floor", f), ("one team", j), ("10 teams", sp), ("overload", o)):
        print(
            f"{label:10} {x['acknowledged_per_s']:8.0f} {x['busy_per_s']:8.0f} "
            f"{x['committed_per_s']:9.0f} {x['p50_ms']:8.1f} {x['p99_ms']:8.1f} "
            f"{x['peak_rss_mb']:8.0f}M {x['cpu_ms']:8.2f}ms"
        )
    for label, x in (("one team", j), ("10 teams", sp)):
        print(
            f"ratios, {label}: ack p99 {x['p99_ms'] / f['p99_ms']:.2f}x the floor's (goal <= 2), "
            f"committed/s {x['committed_per_s'] / f['committed_per_s']:.2f}x (goal >= 0.5), "
            f"server CPU per command {x['cpu_ms'] / f['cpu_ms']:.2f}x"
        )
    print(
        f"acknowledged but lost after SIGKILL: {r['lost']} (goal 0); doubled: {r['doubled']}; "
        f"RSS before load {j['rss_before_mb']:.0f}M, overload first second "
        f"{o['rss_first_s_mb']:.0f}M, last second {o['rss_last_s_mb']:.0f}M"
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
    if len(sys.argv) == 5 and sys.argv[1] == "--floor":
        run_floor(int(sys.argv[2]), sys.argv[3], sys.argv[4])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--overload-clients", type=int, default=200)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if args.only in (None, "sqlite"):
            url = f"sqlite:///{workdir / 'bench.db'}"
            from storage.database import Database

            Database(url).dispose()  # migrated before the floor adds its table
            report("SQLite", measure(url, args, workdir))
        pg = pg_url()
        if args.only in (None, "postgresql") and pg:
            schema = f"bench_{uuid.uuid4().hex[:10]}"
            admin = make_engine(pg)
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            sep = "&" if "?" in pg else "?"
            url = f"{normalise_url(pg)}{sep}options=-csearch_path%3D{schema}"
            try:
                from storage.database import Database

                Database(url).dispose()
                report("PostgreSQL", measure(url, args, workdir))
            finally:
                with admin.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                admin.dispose()


if __name__ == "__main__":
    threading.stack_size(0)
    main()
