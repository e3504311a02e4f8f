"""Nothing a user typed becomes a formula, and characters spreadsheets reject are removed:
proved on every sheet of the workbook, and (when LibreOffice is installed) after LibreOffice
has opened and re-saved it."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import update

from commands.weekly import IsoWeek
from integrations.spreadsheet import export_week
from storage.database import Database
from storage.models import (
    Area,
    Commitment,
    Decision,
    Department,
    Measure,
    Person,
    Risk,
    Team,
)
from tests.spreadsheets import SHEETS, assert_well_formed, open_workbook
from tests.support import Desk

NOW = dt.datetime(2026, 11, 18, 10, 0, tzinfo=dt.UTC)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")

# What people typed (control characters included), and what the sheet must show.
TYPED = {
    "team": ("=1+1 Team\x01", "=1+1 Team"),
    "health": ("-Health\x0b", "-Health"),
    "housing": ("@Housing\x1f", "@Housing"),
    "alex": ("=Alex", "=Alex"),
    "sam": ("\tSam", "\tSam"),
    "decision": (
        '=HYPERLINK("http://evil.example","x")\x07',
        '=HYPERLINK("http://evil.example","x")',
    ),
    "rationale": ("+cmd|' /C calc'!A0", "+cmd|' /C calc'!A0"),
    "overdue": ("\rCR first\x08", "\nCR first"),  # a carriage return is a line break
    "open": ("\nLF first", "\nLF first"),
    "done": ("-1+2", "-1+2"),
    "risk": ("@SUM(1)\x0c", "@SUM(1)"),
    "area": ("=area\x02", "=area"),
    "measure": ("=SUM(A1)\x03 sleeping rough", "=SUM(A1) sleeping rough"),
}


def typed(key: str) -> str:
    return TYPED[key][0]


@pytest.fixture
def hostile_log(db: Database) -> Database:
    desk = Desk(db, NOW, team="Hostile", lead="alex@council.example")
    sam = "sam@health.example"
    desk.say("dept me Housing")
    desk.say(f"dept {sam} Health")
    desk.say("decision placeholder because placeholder")
    desk.say(f"commit {sam} placeholder by 2026-11-02")  # C-1, overdue
    desk.say("commit me placeholder by Friday")  # C-2, open
    desk.say("commit me placeholder by Friday")  # C-3, done below
    desk.say("done C-3")
    desk.say("commit me placeholder by 2026-11-01")  # C-4, overdue, owned by "=Alex"
    desk.say(f"risk placeholder owner {sam}")
    desk.say("risk placeholder owner me")
    desk.say(f"owns placeholder {sam} accountable")
    desk.say("owns placeholder me informed")
    desk.say(f"measure add placeholder target 20 baseline 64 owner {sam} lower is better")
    desk.say("measure M-1 58 for 2026-10")
    with db.uow() as uow:
        s = uow.session
        s.execute(update(Team).values(name=typed("team")))
        s.execute(
            update(Department).where(Department.name == "Health").values(name=typed("health"))
        )
        s.execute(
            update(Department).where(Department.name == "Housing").values(name=typed("housing"))
        )
        s.execute(update(Person).where(Person.email == sam).values(display_name=typed("sam")))
        s.execute(
            update(Person)
            .where(Person.email == "alex@council.example")
            .values(display_name=typed("alex"))
        )
        s.execute(update(Decision).values(text=typed("decision"), rationale=typed("rationale")))
        for number, key in ((1, "overdue"), (2, "open"), (3, "done"), (4, "overdue")):
            s.execute(update(Commitment).where(Commitment.number == number).values(text=typed(key)))
        s.execute(update(Risk).values(text=typed("risk")))
        s.execute(update(Area).values(name=typed("area")))
        s.execute(update(Measure).values(name=typed("measure")))
        uow.commit()
    return db


def workbook_bytes(db: Database) -> bytes:
    return export_week(db, team_id=1, week=IsoWeek(2026, 47), now=NOW).content


def string_cells(wb, sheet: str):  # type: ignore[no-untyped-def]
    return [c for row in wb[sheet].iter_rows() for c in row if isinstance(c.value, str)]


def test_formula_like_text_is_stored_as_quoted_text_on_every_sheet(hostile_log: Database) -> None:
    content = workbook_bytes(hostile_log)
    assert_well_formed(content)  # also: no <f> element in any sheet
    wb = open_workbook(content)
    seen_starts: set[str] = set()
    for sheet in SHEETS:
        cells = string_cells(wb, sheet)
        risky = [c for c in cells if c.value.startswith(FORMULA_STARTS)]
        assert any(c.value.startswith("=") for c in risky), f"{sheet}: nothing to prove"
        for cell in wb[sheet].iter_rows():
            for c in cell:
                assert c.data_type != "f", f"{sheet}!{c.coordinate} is a formula"
        for c in risky:
            assert c.data_type == "s", f"{sheet}!{c.coordinate}"
            assert c.quotePrefix, f"{sheet}!{c.coordinate} {c.value!r} is not quote-prefixed"
            seen_starts.add(c.value[0])
    # Every risky start was seen; a leading carriage return arrives as a line feed.
    assert seen_starts == set(FORMULA_STARTS) - {"\r"}


def test_characters_spreadsheets_reject_are_removed_on_every_sheet(hostile_log: Database) -> None:
    wb = open_workbook(workbook_bytes(hostile_log))
    shown = {sheet: {c.value for c in string_cells(wb, sheet)} for sheet in SHEETS}
    for sheet, values in shown.items():
        assert values, sheet
        for value in values:
            assert not ILLEGAL_CHARACTERS_RE.search(value), f"{sheet}: {value!r}"
    expect = {
        "Summary": ["team", "health", "housing"],
        "Decisions": ["decision", "rationale", "alex", "housing"],
        "Commitments": ["overdue", "open", "done", "sam", "health"],
        "Overdue": ["overdue", "sam", "alex", "health", "housing"],
        "Risks": ["risk", "sam", "health", "housing"],
        "Ownership": ["area", "sam", "alex", "health", "housing"],
        "Measures": ["measure", "sam", "health"],
    }
    for sheet, keys in expect.items():
        for key in keys:
            assert TYPED[key][1] in shown[sheet] or any(TYPED[key][1] in v for v in shown[sheet]), (
                f"{sheet} lacks {TYPED[key][1]!r}"
            )
        # Every sheet had at least one value with a control character to remove.
        assert any(TYPED[k][0] != TYPED[k][1] for k in keys), sheet


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_opens_the_workbook_and_keeps_typed_formulas_as_text(
    hostile_log: Database, tmp_path: Path
) -> None:
    source = tmp_path / "summary.xlsx"
    source.write_bytes(workbook_bytes(hostile_log))
    out = tmp_path / "out"
    result = subprocess.run(
        [
            "soffice",
            "--headless",
            "--norestore",
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(out),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    converted = out / "summary.xlsx"
    assert result.returncode == 0 and converted.exists(), result.stderr
    content = converted.read_bytes()
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/sheet"):
                assert b"<f>" not in z.read(name) and b"<f " not in z.read(name), name
    wb = open_workbook(content)
    assert wb.sheetnames == SHEETS
    values = {c.value for sheet in SHEETS for c in string_cells(wb, sheet)}
    assert TYPED["decision"][1] in values and TYPED["area"][1] in values
    # Summary: outcome, headline, departments, open proposals, escalated; Measures; one on
    # each other sheet.
    assert sum(len(wb[s].tables) for s in SHEETS) == 12
