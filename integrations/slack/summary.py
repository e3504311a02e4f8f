"""The weekly summary on Slack: its workbook built and uploaded, the summary as its comment."""

from __future__ import annotations

import asyncio
import datetime as dt

from slack_sdk.web.async_client import AsyncWebClient

from commands.reply import Reply
from commands.weekly import IsoWeek
from integrations.spreadsheet import Export, export_week
from storage.database import Database


async def summary_workbook(db: Database, reply: Reply, *, now: dt.datetime) -> Export:
    """The workbook that ``reply.summary`` names (team, ISO week) as it stands at ``now``,
    built off the event loop."""
    wanted = reply.summary
    if wanted is None:
        raise ValueError("this reply has no summary to attach")
    return await asyncio.to_thread(
        export_week, db, team_id=wanted.team_id, week=IsoWeek.from_label(wanted.week), now=now
    )


async def upload_summary(
    client: AsyncWebClient, workbook: Export, reply: Reply, *, channel: str
) -> None:
    """Upload ``workbook`` into ``channel`` with ``reply`` as its comment."""
    await client.files_upload_v2(
        channel=channel,
        file=workbook.content,
        filename=workbook.filename,
        title=workbook.filename,
        initial_comment=reply.to_text(),
    )
