"""The scheduler and the command line drive the same sweep."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

from bot.scheduler import (
    REMINDERS_JOB,
    WEEKLY_JOB,
    Runtime,
    build_scheduler,
    reminders_tick,
    weekly_summaries_tick,
)
from bot.settings import load_settings
from storage.database import Database
from storage.models import OutboxMessage as Row
from tests.reminder_support import RecordingNotifier, utc
from tests.support import Desk, run_joinedup

ROOT = Path(__file__).resolve().parents[2]
MONDAY = utc("2026-11-23T09:00")


def seed(db: Database) -> Desk:
    desk = Desk(db, utc("2026-11-18T10:00"), platform="slack", channel_id="C-LOG")
    for text in (
        "commit sam@health.example Send the DPIA draft by 2026-11-19",
        "commit me Chase the data extract by 2026-11-20",
    ):
        assert desk.say(text).ok
    return desk


def test_the_scheduler_runs_the_reminders_job_at_once_and_then_each_tick(db) -> None:
    desk = seed(db)
    slack = RecordingNotifier()
    clock = [MONDAY]

    async def main() -> None:
        runtime = Runtime(db, {"slack": slack}, worker="replica-1", clock=lambda: clock[0])
        scheduler = build_scheduler(runtime, tick_seconds=3600)
        scheduler.start()
        try:
            job = scheduler.get_job(REMINDERS_JOB)
            assert job is not None and job.func is reminders_tick
            weekly = scheduler.get_job(WEEKLY_JOB)
            assert weekly is not None and weekly.func is weekly_summaries_tick
            for _ in range(200):  # until the first tick has sent and recorded everything
                rows = desk.rows(Row, Row.kind != "team_sweep")
                if len(rows) == 3 and {r.status for r in rows} == {"sent"}:
                    break
                await asyncio.sleep(0.02)
            clock[0] = MONDAY.replace(hour=11)
            await reminders_tick(runtime)  # a later tick the same day: nothing more
        finally:
            scheduler.shutdown(wait=False)

    asyncio.run(main())
    assert sorted(slack.dm_counts().values()) == [1, 1] and len(slack.posts) == 1
    assert {d.leased_by for d in desk.rows(Row, Row.kind != "team_sweep")} == {"replica-1"}


def test_the_scheduler_is_on_in_the_environment_unless_turned_off() -> None:
    assert load_settings({}).scheduler_enabled
    assert not load_settings({"JOINEDUP_SCHEDULER": "off"}).scheduler_enabled
    assert load_settings({"JOINEDUP_SCHEDULER_TICK": "5"}).scheduler_tick_seconds == 5


def _cli(*args: str, database: Path) -> subprocess.CompletedProcess[str]:
    return run_joinedup(*args, db_url=f"sqlite:///{database}")


def test_joinedup_remind_dry_run_prints_per_person_and_channel_and_sends_nothing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "j.db"
    db = Database(f"sqlite:///{path}")
    try:
        seed(db)
    finally:
        db.dispose()

    shown = _cli("remind", "--now", "2026-11-23T09:00", "--dry-run", database=path)
    assert shown.returncode == 0, shown.stderr
    assert "reminders due for Rough Sleeping (09:00 Europe/London, Mon 23 Nov 2026)" in shown.stdout
    assert "  nudge -> Sam: C-1 [would send]" in shown.stdout
    assert "  nudge -> Alex: C-2 [would send]" in shown.stdout
    assert "  digest -> slack log (Rough Sleeping): C-1, C-2 [would send]" in shown.stdout

    early = _cli("remind", "--now", "2026-11-23T08:00", "--dry-run", database=path)
    assert "no team's reminders are due" in early.stdout

    unsent = _cli("remind", "--now", "2026-11-23T09:00", database=path)
    assert unsent.returncode == 2 and "no chat platform is configured" in unsent.stderr
    nope = _cli("remind", "--team", "Nope", "--dry-run", database=path)
    assert nope.returncode == 2 and 'There is no team called "Nope".' in nope.stderr
    bad = _cli("remind", "--now", "Monday", "--dry-run", database=path)
    assert bad.returncode == 2 and "is not an ISO time" in bad.stderr

    db = Database(f"sqlite:///{path}")
    try:
        assert Desk(db, MONDAY, team=None).count(Row) == 0
    finally:
        db.dispose()
