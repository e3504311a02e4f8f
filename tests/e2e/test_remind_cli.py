"""``joinedup remind`` as an operator runs it: a real process, a real database, Slack's Web
API faked on loopback in this process.

The team starts in the console (``joinedup chat``), where its lead logs commitments for
colleagues by email, some already overdue. Then it is used as a real deployment is: the
console's ``team link`` code joins a Slack channel through the real server, and the owners,
who are Slack users, use the bot there; each Slack user is matched to the console's person
by the email Slack's users.info gives (``storage.people.resolve_identity``). That is the
only way an emailed owner gets a Slack account in the log, so it is the way tested here.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from storage.database import Database
from tests.e2e.slack_harness import BOT_TOKEN, SIGNING_SECRET, SlackDriver

ROOT = Path(__file__).resolve().parents[2]
LONDON = ZoneInfo("Europe/London")
# The conftest `slack` fixture's fake workspace: id -> email (the console knows the emails).
ALEX, SAM, PRIYA = "U1", "U2", "U3"


def joinedup(
    args: list[str], *, db: Database, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m bot ...`` with only the settings given here (none of this shell's)."""
    inherited = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "MICROSOFT_", "JOINEDUP_"))
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**inherited, "JOINEDUP_DATABASE_URL": db.url, "PYTHONPATH": str(ROOT), **(env or {})},
        timeout=60,
    )


def next_weekday_after(day: dt.date) -> dt.date:
    day += dt.timedelta(days=1)
    while day.isoweekday() > 5:
        day += dt.timedelta(days=1)
    return day


def start_in_the_console(db: Database, *, today: dt.date, reminder_day: dt.date) -> str:
    """The lead's console session; returns the join code it printed."""
    lines = [
        "team set escalation 10",  # nudges and digests here; escalation has its own tests
        f"commit sam.jones@health.example Send the DPIA draft by {today - dt.timedelta(days=3)}",
        f"commit priya@police.example Share the patrol data by {today - dt.timedelta(days=1)}",
        f"commit sam.jones@health.example Book the venue by {reminder_day}",
        f"commit me Draft the comms plan by {reminder_day + dt.timedelta(days=14)}",
        "team link",
    ]
    run = joinedup(
        ["chat", "--team", "Rough Sleeping", "--as", "alex@council.example", "--json"],
        db=db,
        stdin="\n".join(lines),
    )
    assert run.returncode == 0, run.stderr
    replies = [json.loads(line) for line in run.stdout.splitlines()]
    assert all(r["ok"] for r in replies), [r["headline"] for r in replies if not r["ok"]]
    assert [r["ref"] for r in replies[2:6]] == ["C-1", "C-2", "C-3", "C-4"]
    return str(replies[-1]["data"]["code"])


def link_slack(slack: SlackDriver, code: str) -> None:
    """The lead links the Slack channel; the owners use the bot there for the first time."""
    joined = slack.ask("/joinedup", f"team join {code}", user=ALEX)
    assert joined["text"].startswith("This channel now shares Rough Sleeping's joint log")
    answers = [slack.ask("/joinedup", "list mine", user=user) for user in (SAM, PRIYA)]
    assert "C-1" in answers[0]["text"] or "C-1" in answers[1]["text"]


def remind(db: Database, slack: SlackDriver, at: dt.datetime) -> subprocess.CompletedProcess[str]:
    return joinedup(
        ["remind", "--now", at.isoformat()],
        db=db,
        env={
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "JOINEDUP_SLACK_API_URL": f"{slack.fake.base_url}/api/",
        },
    )


def test_remind_sends_one_nudge_per_slack_owner_and_one_digest_per_channel_once_a_day(
    slack: SlackDriver, db: Database
) -> None:
    today = dt.datetime.now(LONDON).date()
    day = next_weekday_after(today)
    code = start_in_the_console(db, today=today, reminder_day=day)
    link_slack(slack, code)
    before = len(slack.fake.calls)
    nine = dt.datetime.combine(day, dt.time(9, 0), tzinfo=LONDON)

    first = remind(db, slack, nine)

    assert first.returncode == 0, first.stderr
    calls = slack.fake.calls[before:]
    assert all(c.ok and c.token == BOT_TOKEN for c in calls), [(c.method, c.status) for c in calls]
    opened = [c.params["users"] for c in calls if c.method == "conversations.open"]
    assert sorted(opened) == [SAM, PRIYA]
    posts = {c.params["channel"]: c.params for c in calls if c.method == "chat.postMessage"}
    assert len(posts) == len([c for c in calls if c.method == "chat.postMessage"]) == 3
    assert set(posts) == {"D2", "D3", "C1"}  # Sam's DM, Priya's DM, the linked channel
    assert posts["D2"]["text"].startswith("Good morning Sam Jones: 1 overdue and 1 due today")
    assert posts["D3"]["text"].startswith("Good morning Priya Shah: 1 overdue")
    digest = posts["C1"]["text"]
    assert digest.startswith("Rough Sleeping: commitments on")
    assert "2 overdue, 1 due this week, 0 blocked" in digest
    assert "C-4" not in str(posts)  # Alex's is due in a fortnight: no nudge, not this week
    out = first.stdout.splitlines()
    assert out[0].startswith(f"{nine.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC: reminders due for ")
    assert sorted(out[1:]) == [
        "  digest -> slack rough-sleeping (Rough Sleeping): C-1, C-2, C-3 [sent]",
        "  nudge -> Priya Shah: C-2 [sent]",
        "  nudge -> Sam Jones: C-1, C-3 [sent]",
    ]

    again = remind(db, slack, nine)
    later = remind(db, slack, nine + dt.timedelta(hours=6))

    assert again.returncode == later.returncode == 0, again.stderr + later.stderr
    assert len(slack.fake.calls) == before + len(calls)  # nothing more reached Slack
    for run in (again, later):
        [line] = run.stdout.splitlines()
        assert "already swept today, nothing more: Rough Sleeping" in line
