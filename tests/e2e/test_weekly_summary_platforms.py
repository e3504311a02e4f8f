"""The weekly summary where people ask for it: `/summary` in Slack uploads the workbook;
`summary` in Teams answers with a signed download link to it; the scheduler posts it once."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import urllib.error
import urllib.parse
import urllib.request

import pytest
from openpyxl import load_workbook

from bot.scheduler import Runtime, weekly_summaries_tick
from commands.reply import SummaryAttachment
from storage.database import Database
from tests.background import Server
from tests.e2e.slack_harness import SlackDriver
from tests.e2e.teams_support import channel_message, post
from tests.fakes.bot_connector import FakeBotConnector
from tests.reminder_support import RecordingNotifier
from tests.support import Desk


def _summary_figure(workbook_bytes: bytes, label: str) -> object:
    sheet = load_workbook(io.BytesIO(workbook_bytes), read_only=True)["Summary"]
    for row in sheet.iter_rows(values_only=True):
        if row and row[0] == label:
            return row[1]
    raise AssertionError(f"no {label!r} row on the Summary sheet")


def test_slash_summary_uploads_this_weeks_workbook_with_the_logged_figures(
    slack: SlackDriver,
) -> None:
    slack.ask("/joinedup", "team create Rough Sleeping")
    slack.ask("/decision", "Pool the data budget")

    status, _ = slack.command("/summary", "this week")
    assert status == 200
    [done] = slack.fake.wait_for("files.completeUploadExternal", 1)
    [content] = slack.fake.uploads.values()
    assert _summary_figure(content, "Decisions made") == 1
    assert "Decisions made: 1" in str(done.params.get("initial_comment", ""))


def test_teams_summary_links_to_a_signed_download_that_refuses_tampering(
    make_server, connector: FakeBotConnector
) -> None:
    server: Server = make_server(public_url="https://joinedup.example")
    post(server.url, channel_message("team create Rough Sleeping", service_url=connector.url))
    post(server.url, channel_message("decision Pool the data budget", service_url=connector.url))
    post(server.url, channel_message("summary this week", service_url=connector.url))
    reply = connector.wait_for(3)[2]
    [download] = [
        a for a in (reply.card or {}).get("actions", []) if a.get("type") == "Action.OpenUrl"
    ]
    assert download["title"] == "Download spreadsheet"
    url = urllib.parse.urlsplit(download["url"])
    assert url.netloc == "joinedup.example"
    local = f"{server.url}{url.path}?{url.query}"
    with urllib.request.urlopen(local, timeout=10) as response:
        assert response.status == 200
        assert _summary_figure(response.read(), "Decisions made") == 1
    tampered = local.replace("team=", "team=9")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(tampered, timeout=10)
    assert refused.value.code == 403


def test_the_scheduler_posts_each_teams_weekly_summary_once(db: Database) -> None:
    # Friday 20 Nov 2026, 16:05 in London: just past the default Friday 16:00.
    friday = dt.datetime(2026, 11, 20, 16, 5, tzinfo=dt.UTC)
    desk = Desk(db, friday - dt.timedelta(days=2), platform="slack", channel_id="CLOG")
    desk.say("decision Pool the data budget")
    notifier = RecordingNotifier("slack")
    runtime = Runtime(db, {"slack": notifier}, clock=lambda: friday)

    asyncio.run(weekly_summaries_tick(runtime))
    asyncio.run(weekly_summaries_tick(runtime))

    # The notifier gets the summary and which spreadsheet goes with it; it attaches it.
    [(channel, reply)] = notifier.summaries
    assert channel == "CLOG" and reply.summary == SummaryAttachment(team_id=1, week="2026-W47")
    assert reply.data["decisions_made"] == 1
