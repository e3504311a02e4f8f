"""The console as a new user meets it: team names are not created by a typo, people choose
the name others see, and `summary` writes the workbook it promises."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import select

from storage.database import Database
from storage.models import Team
from tests.support import run_joinedup


def chat(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return run_joinedup(
        "chat", *args, stdin=stdin, db_url=f"sqlite:///{tmp_path / 'j.db'}", cwd=tmp_path
    )


def team_names(tmp_path: Path) -> list[str]:
    db = Database(f"sqlite:///{tmp_path / 'j.db'}")
    try:
        with db.uow() as uow:
            return list(uow.session.scalars(select(Team.name).order_by(Team.id)))
    finally:
        db.dispose()


def test_a_misspelt_team_is_refused_with_did_you_mean_and_create_makes_it(
    tmp_path: Path,
) -> None:
    assert chat(tmp_path, "--team", "Hostel Pathway", "--as", "a@council.example").returncode == 0
    typo = chat(tmp_path, "--team", "Hostel Pathwy", "--as", "a@council.example")
    assert typo.returncode == 2
    assert 'Did you mean "Hostel Pathway"?' in typo.stderr and "--create" in typo.stderr
    assert team_names(tmp_path) == ["Hostel Pathway"]
    made = chat(tmp_path, "--team", "Hostel Pathwy", "--create", "--as", "a@council.example")
    assert made.returncode == 0, made.stderr
    assert team_names(tmp_path) == ["Hostel Pathway", "Hostel Pathwy"]


def test_a_blank_team_name_is_refused_and_creates_nothing(tmp_path: Path) -> None:
    for blank in ("", "   "):
        run = chat(tmp_path, "--team", blank, "--as", "a@council.example")
        assert run.returncode == 2 and "Give the team a name" in run.stderr
        assert "Traceback" not in run.stderr
    assert team_names(tmp_path) == []


def test_the_first_team_on_an_empty_database_is_created_and_follows_its_holidays(
    tmp_path: Path,
) -> None:
    run = chat(tmp_path, "--team", "Rough Sleeping", "--as", "a@council.example", "--json")
    assert run.returncode == 0, run.stderr
    created = json.loads(run.stdout.splitlines()[0])
    assert created["data"]["holidays"] == "GB-ENG"
    assert "England and Wales bank holidays" in created["body"]


def test_the_console_takes_the_name_others_see(tmp_path: Path) -> None:
    run = chat(
        tmp_path,
        "--team",
        "Rough Sleeping",
        "--as",
        "you@council.example",
        "--name",
        "Alex Morgan",
        "--json",
        stdin="decision Open the hub\n",
    )
    assert run.returncode == 0, run.stderr
    decision = json.loads(run.stdout.splitlines()[-1])
    assert decision["data"]["decided_by"] == "Alex Morgan"


def test_summary_in_the_console_writes_the_workbook_and_prints_its_path(tmp_path: Path) -> None:
    run = chat(
        tmp_path,
        "--team",
        "Rough Sleeping",
        "--as",
        "a@council.example",
        "--json",
        stdin="commit me Send the DPIA\nsummary this week\n",
    )
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout.splitlines()[-1])
    path = Path(summary["data"]["workbook"])
    assert path.parent == tmp_path and path.name.startswith("joinedup-rough-sleeping-")
    assert {"Workbook": str(path)}.items() <= {
        f["label"]: f["value"] for f in summary["fields"]
    }.items()
    book = load_workbook(path)
    assert "Summary" in book.sheetnames and "Commitments" in book.sheetnames
