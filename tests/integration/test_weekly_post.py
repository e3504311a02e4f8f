"""The scheduled weekly post: once per team on its summary day, after its summary time."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass, field

import pytest

from bot.weekly_post import post_weekly_summaries
from commands.invocation import ChannelRef
from commands.ports import DeliveryError
from commands.reply import Reply, SummaryAttachment
from storage.database import Database
from storage.models import OutboxMessage as Row
from tests.support import Desk

FRIDAY_1605 = dt.datetime(2026, 11, 20, 16, 5, tzinfo=dt.UTC)  # London is on GMT


@dataclass
class RecordingNotifier:
    platform: str
    fail_with: list[DeliveryError] = field(default_factory=list)
    shared: list[dict] = field(default_factory=list)

    async def post_to_channel(self, *, tenant: str, channel_id: str, reply: Reply) -> None:
        raise AssertionError("the weekly summary is shared as a file")

    async def send_to_person(self, *, person_id: int, reply: Reply) -> bool:
        raise AssertionError("the weekly summary goes to channels")

    async def share_summary(
        self, *, tenant: str, channel_id: str, reply: Reply, now: dt.datetime
    ) -> None:
        await asyncio.sleep(0)
        if self.fail_with:
            raise self.fail_with.pop(0)
        self.shared.append({"channel": channel_id, "reply": reply, "now": now})


@pytest.fixture
def team(db: Database) -> Desk:
    """A team linked to a Slack channel and a Teams channel (and the console, never posted)."""
    slack = Desk(db, FRIDAY_1605, platform="slack", channel_id="C-SLACK")
    code = slack.say("team link").data["code"]
    teams_channel = ChannelRef(platform="teams", tenant="T1", channel_id="19:teams", name="log")
    assert slack.say(f"team join {code}", channel=teams_channel).ok
    slack.say("decision Meet weekly")
    return slack


def notifiers() -> dict[str, RecordingNotifier]:
    return {"slack": RecordingNotifier("slack"), "teams": RecordingNotifier("teams")}


def post(db: Database, sinks: dict[str, RecordingNotifier], now: dt.datetime):  # type: ignore[no-untyped-def]
    return post_weekly_summaries(db, sinks, now=now, worker="test")


def weekly(team: Desk) -> list[Row]:
    """The weekly summary's outbox rows, one per linked channel."""
    return team.rows(Row, Row.kind == "weekly_summary", order_by=Row.id)


def test_the_summary_is_shared_in_every_linked_channel_once(team: Desk, db: Database) -> None:
    sinks = notifiers()
    outcomes = asyncio.run(post(db, sinks, FRIDAY_1605))
    assert sorted((o.status, o.to) for o in outcomes) == [
        ("sent", "slack:C-SLACK"),
        ("sent", "teams:19:teams"),
    ]
    [slack] = sinks["slack"].shared
    assert slack["reply"].summary == SummaryAttachment(team_id=1, week="2026-W47")
    assert slack["reply"].data["decisions_made"] == 1
    assert slack["now"] == FRIDAY_1605
    # Again a minute later, and again after that: nothing more.
    assert asyncio.run(post(db, sinks, FRIDAY_1605 + dt.timedelta(minutes=1))) == []
    assert asyncio.run(post(db, sinks, FRIDAY_1605 + dt.timedelta(hours=7))) == []
    assert len(sinks["slack"].shared) == len(sinks["teams"].shared) == 1
    rows = weekly(team)
    assert [(r.dedupe_key, r.status) for r in rows] == [
        (f"weekly_summary:channel:{r.channel_link_id}:2026-11-20", "sent") for r in rows
    ]
    assert len(rows) == 2 and rows[0].deadline == dt.datetime(2026, 11, 21, tzinfo=dt.UTC)


def test_each_platform_is_handed_the_same_summary_to_attach_its_spreadsheet_its_own_way(
    team: Desk, db: Database
) -> None:
    sinks = notifiers()
    asyncio.run(post(db, sinks, FRIDAY_1605))
    [slack], [teams] = sinks["slack"].shared, sinks["teams"].shared
    # No platform's attachment is made here: Slack's notifier uploads the workbook, Teams'
    # links to it (tests/e2e/test_slack_notifier.py, test_teams_outbox.py).
    assert teams["reply"] == slack["reply"]
    assert teams["reply"].link is None
    assert (teams["channel"], slack["channel"]) == ("19:teams", "C-SLACK")


def test_two_sweeps_at_the_same_moment_send_it_once(team: Desk, db: Database) -> None:
    sinks = notifiers()

    async def both():  # type: ignore[no-untyped-def]
        return await asyncio.gather(post(db, sinks, FRIDAY_1605), post(db, sinks, FRIDAY_1605))

    first, second = asyncio.run(both())
    assert len(first) + len(second) == 2
    assert len(sinks["slack"].shared) == len(sinks["teams"].shared) == 1
    assert len(weekly(team)) == 2


@pytest.mark.parametrize(
    "now",
    [
        dt.datetime(2026, 11, 20, 15, 59, tzinfo=dt.UTC),  # Friday, before 16:00
        dt.datetime(2026, 11, 19, 17, 0, tzinfo=dt.UTC),  # Thursday
        dt.datetime(2026, 11, 21, 9, 0, tzinfo=dt.UTC),  # Saturday: a missed Friday is not replayed
    ],
)
def test_nothing_is_sent_before_the_time_or_on_other_days(
    team: Desk, db: Database, now: dt.datetime
) -> None:
    sinks = notifiers()
    assert asyncio.run(post(db, sinks, now)) == []
    assert not sinks["slack"].shared and weekly(team) == []


def test_the_teams_own_day_time_and_timezone_decide(team: Desk, db: Database) -> None:
    team.say("team set timezone America/New_York")
    team.say("team set summary monday 08:30")
    sinks = notifiers()
    # Monday 13:00 UTC is 08:00 in New York: not yet; 13:30 UTC is 08:30: due.
    assert asyncio.run(post(db, sinks, dt.datetime(2026, 11, 23, 13, 0, tzinfo=dt.UTC))) == []
    outcomes = asyncio.run(post(db, sinks, dt.datetime(2026, 11, 23, 13, 30, tzinfo=dt.UTC)))
    assert [o.status for o in outcomes] == ["sent", "sent"]
    assert sinks["slack"].shared[0]["reply"].summary.week == "2026-W48"


def test_a_platform_failure_is_retried_later_only_where_it_failed(team: Desk, db: Database) -> None:
    sinks = notifiers()
    sinks["teams"].fail_with.append(DeliveryError("Teams is down", retry_after=600))
    outcomes = asyncio.run(post(db, sinks, FRIDAY_1605))
    assert sorted((o.to, o.status) for o in outcomes) == [
        ("slack:C-SLACK", "sent"),
        ("teams:19:teams", "retry"),
    ]
    slack_row, teams_row = weekly(team)
    assert teams_row.status == "pending" and "Teams is down" in (teams_row.last_error or "")
    assert teams_row.next_attempt_at == FRIDAY_1605 + dt.timedelta(seconds=600)
    # Not before the Retry-After...
    assert asyncio.run(post(db, sinks, FRIDAY_1605 + dt.timedelta(minutes=5))) == []
    # ...then Teams alone gets it; Slack is not sent a second copy.
    [retry] = asyncio.run(post(db, sinks, FRIDAY_1605 + dt.timedelta(minutes=11)))
    assert (retry.status, retry.to) == ("sent", "teams:19:teams")
    assert len(sinks["slack"].shared) == len(sinks["teams"].shared) == 1
    slack_row, teams_row = weekly(team)
    assert (slack_row.status, slack_row.attempts) == ("sent", 1)
    assert (teams_row.status, teams_row.attempts) == ("sent", 2)


def test_a_permanent_refusal_is_recorded_and_not_retried(team: Desk, db: Database) -> None:
    sinks = notifiers()
    sinks["slack"].fail_with.append(DeliveryError("channel_not_found", permanent=True))
    outcomes = asyncio.run(post(db, sinks, FRIDAY_1605))
    assert sorted((o.to, o.status) for o in outcomes) == [
        ("slack:C-SLACK", "failed"),
        ("teams:19:teams", "sent"),
    ]
    slack_row, _ = weekly(team)
    assert slack_row.status == "failed" and "channel_not_found" in (slack_row.last_error or "")
    assert asyncio.run(post(db, sinks, FRIDAY_1605 + dt.timedelta(hours=1))) == []
