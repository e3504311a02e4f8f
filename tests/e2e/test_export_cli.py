"""`joinedup export`, run as a new user would: a console session logs a week of decisions and
commitments across two departments, then the export writes a workbook that agrees."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook

from commands.weekly import IsoWeek
from tests.spreadsheets import table_data
from tests.support import run_joinedup

ROOT = Path(__file__).resolve().parents[2]

SESSION = "\n".join(
    [
        "dept me Housing",
        "dept sam@health.example Health",
        "decision Pool the data budget because both teams need the same extract",
        "decision Share the caseload list",
        "commit sam@health.example Send the DPIA draft by tomorrow",
        "commit me Book the venue by tomorrow",
        "commit me Chase the police extract",
        "done C-2 booked",
        "block C-3 waiting for the extract",
    ]
)


def joinedup(*args: str, db_url: str, cwd: Path, stdin: str = "") -> subprocess.CompletedProcess:
    return run_joinedup(*args, db_url=db_url, cwd=cwd, stdin=stdin)


@pytest.fixture
def logged(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'joinedup.db'}"
    chat = joinedup(
        "chat", "--team", "Rough Sleeping", "--as", "alex@council.example",
        db_url=url, cwd=tmp_path, stdin=SESSION,
    )  # fmt: skip
    assert chat.returncode == 0, chat.stderr
    return url


def test_export_writes_a_workbook_whose_summary_matches_the_console_log(
    logged: str, tmp_path: Path
) -> None:
    result = joinedup(
        "export", "--team", "rough sleeping", "--week", "this week", db_url=logged, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    path_line, *summary = result.stdout.splitlines()
    path = tmp_path / path_line
    assert path.name.startswith("joinedup-rough-sleeping-") and path.suffix == ".xlsx"
    assert path.exists()
    assert summary[0].startswith("Weekly summary for Rough Sleeping:")
    assert "  Decisions made: 2" in summary and "  Blocked: 1" in summary

    wb = load_workbook(io.BytesIO(path.read_bytes()))
    figures = {r["Figure"]: r["Value"] for r in table_data(wb, "Summary", "tblHeadline")}
    assert figures["Decisions made"] == 2
    assert figures["Commitments made"] == 3
    assert figures["Completed"] == 1 and figures["Completed on time"] == 1
    assert figures["Open"] == 2 and figures["Blocked"] == 1
    departments = {r["Department"]: r for r in table_data(wb, "Summary", "tblDepartments")}
    assert set(departments) == {"Health", "Housing"}
    assert departments["Health"]["Commitments made"] == 1
    assert departments["Housing"]["Commitments made"] == 2
    assert [r[0] for r in wb["Decisions"].iter_rows(min_row=2, values_only=True)] == ["D-1", "D-2"]


def test_export_defaults_to_last_week_and_takes_an_output_path(logged: str, tmp_path: Path) -> None:
    out = tmp_path / "board.xlsx"
    result = joinedup(
        "export", "--team", "Rough Sleeping", "--now", "2026-11-18T10:00", "--out", str(out),
        db_url=logged, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == str(out) and out.exists()
    assert str(IsoWeek(2026, 46)) in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--team", "Nobody"], 'joinedup: there is no team called "Nobody"'),
        (["--team", "Rough Sleeping", "--week", "soon"], 'joinedup: "soon" is not a week'),
        (["--team", "Rough Sleeping", "--week", "2026-W54"], "joinedup: 2026 has no week 54"),
        (["--team", "Rough Sleeping", "--out", "/no/such/dir/x.xlsx"], "does not exist"),
    ],
)
def test_a_bad_team_or_week_is_one_line_exit_2_and_no_file(
    logged: str, tmp_path: Path, args: list[str], message: str
) -> None:
    before = set(tmp_path.iterdir())
    result = joinedup("export", *args, db_url=logged, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert set(tmp_path.iterdir()) == before
