"""The weekly workbook is board-ready: it prints landscape, one page wide, headers repeated,
a footer with team, week and page numbers, and a Summary that says what it is."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest

from commands.weekly import IsoWeek
from integrations.spreadsheet import export_week
from storage.database import Database
from tests.spreadsheets import SHEETS, open_workbook, records, table_data
from tests.support import Desk

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
W47 = IsoWeek(2026, 47)
LAST_HEADERS = {
    "Summary": ("Department", "Blocked"),
    "Decisions": ("Decision", "How made"),
    "Commitments": ("Commitment", "Source"),
    "Overdue": ("Accountable", "Source"),
    "Risks": ("Risk", "Logged"),
    "Ownership": ("Area", "Informed departments"),
    "Measures": ("Measure", "Status"),
}


def at(day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, 0, tzinfo=dt.UTC)


def busy_team(db: Database, *, commitments: int = 8) -> Desk:
    desk = Desk(db, at(16), team="Rough Sleeping & Health")
    sam = "sam.jones@health.example"
    assert desk.say(f"dept {sam} Health").ok
    assert desk.say("dept me Housing").ok
    assert desk.say("decision Pool the data budget because both need it", now=at(16)).ok
    for n in range(commitments):
        who = sam if n % 2 else "me"
        day = 10 + n % 15
        assert desk.say(
            f"commit {who} Long commitment number {n} about the joint data sharing agreement, "
            f"the outreach rota and the hostel contract by 2026-11-{day:02d}",
            now=at(9),
        ).ok
    assert desk.say("done C-1", now=at(17)).ok  # due 10 Nov: 7 days late
    assert desk.say("risk Low one impact low likelihood low", now=at(16)).ok
    assert desk.say("risk Red one impact high likelihood high", now=at(16)).ok
    assert desk.say("risk Amber one impact medium likelihood medium", now=at(16)).ok
    assert desk.say("risk Closed red impact high likelihood high", now=at(16)).ok
    assert desk.say("risk close R-4", now=at(17)).ok
    assert desk.say(f"owns data sharing {sam} accountable", now=at(16)).ok
    return desk


def test_every_sheet_prints_landscape_one_page_wide_with_header_and_footer(db: Database):
    busy_team(db)
    wb = open_workbook(export_week(db, team_id=1, week=W47, now=NOW).content)
    assert wb.sheetnames == SHEETS
    for ws in wb:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0), ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert ws.print_title_rows == "$1:$1", ws.title
        assert ws.oddFooter.left.text == "Rough Sleeping && Health, 2026-W47", ws.title
        assert ws.oddFooter.right.text == "Page &P of &N", ws.title


def test_the_summary_opens_with_a_title_and_its_headers_fit(db: Database):
    busy_team(db)
    wb = open_workbook(export_week(db, team_id=1, week=W47, now=NOW).content)
    ws = wb["Summary"]
    assert ws["A1"].value == "Rough Sleeping & Health: weekly joint delivery summary"
    assert ws["A1"].font.b and ws["A1"].font.sz >= 14
    assert ws["A2"].value.startswith("2026-W47 (Mon 16 Nov – Sun 22 Nov 2026). Generated ")
    assert "2026-11-23 09:00 (Europe/London)" in ws["A2"].value
    departments = table_data(wb, "Summary", "tblDepartments")
    first_col = ws.tables["tblDepartments"].ref.split(":")[0]
    header_row = int(first_col[1:])
    for cell in ws[header_row]:
        if cell.value:
            assert ws.column_dimensions[cell.column_letter].width >= len(cell.value), cell.value
    assert {d["Department"] for d in departments} == {"Health", "Housing"}
    [chart] = ws._charts
    assert chart.y_axis.majorUnit == 1 and chart.y_axis.number_format.formatCode == "0"
    assert chart.y_axis.scaling.min == 0


def test_risks_are_by_rating_and_commitments_overdue_first_with_days_late(db: Database):
    busy_team(db)
    wb = open_workbook(export_week(db, team_id=1, week=W47, now=NOW).content)
    risks = [(r["ID"], r["RAG"], r["Status"]) for r in records(wb, "Risks")]
    assert risks == [
        ("R-2", "red", "open"),
        ("R-3", "amber", "open"),
        ("R-1", "green", "open"),
        ("R-4", "red", "closed"),
    ]
    rows = records(wb, "Commitments")
    overdue = [r["Days overdue"] for r in rows]
    assert overdue == sorted(overdue, key=lambda d: d == 0)  # every overdue row first
    assert overdue[0] > 0 and overdue[-1] == 0
    done = next(r for r in rows if r["ID"] == "C-1")
    assert (done["Status"], done["Days late"]) == ("done", 7)


def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_libreoffice_prints_every_sheet_one_page_wide(db: Database, tmp_path: Path):
    soffice = _soffice()
    if soffice is None:
        pytest.skip("LibreOffice is not installed (apt-get install libreoffice-calc-nogui)")
    pypdf = pytest.importorskip("pypdf")
    busy_team(db, commitments=90)
    export = export_week(db, team_id=1, week=W47, now=NOW)
    xlsx = tmp_path / "summary.xlsx"
    xlsx.write_bytes(export.content)
    profile = tmp_path / "lo-profile"
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(xlsx),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    reader = pypdf.PdfReader(str(tmp_path / "summary.pdf"))
    pages = [(page.extract_text() or "", page.mediabox) for page in reader.pages]
    # 90 long commitments run over several pages tall, never wide.
    assert len(pages) > len(SHEETS)
    by_sheet: dict[str, int] = {}
    for text, box in pages:
        assert box.width > box.height, "not landscape"
        assert "Rough Sleeping & Health, 2026-W47" in text, text[-200:]
        sheet = next(
            s
            for s in SHEETS
            if f"\n{s}" in text or text.startswith(s) or f" {s} " in text or f"{s}\n" in text
        )
        by_sheet[sheet] = by_sheet.get(sheet, 0) + 1
        first, last = LAST_HEADERS[sheet]
        # Columns never split: each page shows the first and the last column's header.
        assert first in text and last in text, (sheet, text[:300])
    assert set(by_sheet) == set(SHEETS)
    assert by_sheet["Commitments"] >= 2 and by_sheet["Decisions"] == 1
