"""The weekly summary spreadsheet (openpyxl lives only in this package)."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from commands.language import CommandError
from commands.measure_views import load_outcome_report
from commands.reply import Reply
from commands.summary import summary_reply
from commands.weekly import IsoWeek, load_report, summary_filename
from integrations.spreadsheet.workbook import SHEETS, build_workbook
from storage.database import Database
from storage.models import Team

__all__ = ["SHEETS", "XLSX_MEDIA_TYPE", "Export", "build_workbook", "export_week"]

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Export:
    filename: str
    content: bytes
    reply: Reply


def export_week(db: Database, *, team_id: int, week: IsoWeek, now: dt.datetime) -> Export:
    """One team's week as a workbook (bytes) and its short text summary, read in one
    transaction so the figures and the sheets agree. Blocking: call it off the event loop."""
    with db.uow() as uow:
        team = uow.session.get(Team, team_id)
        if team is None:
            raise CommandError("That team no longer exists.")
        report = load_report(uow.session, team, week, now=now)
        outcome = load_outcome_report(uow.session, team.id)
        buffer = io.BytesIO()
        build_workbook(report, buffer, outcome=outcome)
        return Export(
            filename=summary_filename(team.name, week),
            content=buffer.getvalue(),
            reply=summary_reply(report, outcome),
        )
