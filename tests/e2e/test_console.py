"""The console and CLI as a user runs them: a real process, a real database file."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

from sqlalchemy import select

from storage.database import Database
from storage.migrate import head_revision
from storage.models import AuditEvent, Commitment, Decision, Team
from tests.support import run_joinedup

ROOT = Path(__file__).resolve().parents[2]


def joinedup(args: list[str], *, stdin: str = "", db_url: str) -> subprocess.CompletedProcess[str]:
    return run_joinedup(*args, stdin=stdin, db_url=db_url)


def test_a_piped_console_session_keeps_the_joint_log(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'joinedup.db'}"
    session = "\n".join(
        [
            "dept sam.jones@health.example Health",
            "decision Pool the data budget because both teams need the same extract",
            "commit sam.jones@health.example Send the DPIA draft by Friday",
            "who owns DPIA",
            "commit me Book the venue by flurbsday",
            "done C-1 sent to legal",
        ]
    )
    run = joinedup(
        ["chat", "--team", "Rough Sleeping", "--as", "alex@council.example", "--json"],
        stdin=session,
        db_url=url,
    )
    assert run.returncode == 0, run.stderr
    replies = [json.loads(line) for line in run.stdout.splitlines()]
    assert replies[0]["headline"].startswith("Created team Rough Sleeping")
    decision, commitment, owners, refused, done = replies[2:]
    assert decision["ref"] == "D-1" and decision["data"]["decided_by"] == "Alex"
    assert (
        commitment["data"]["owner"] == "Sam Jones" and commitment["data"]["department"] == "Health"
    )
    due = dt.date.fromisoformat(commitment["data"]["due"])
    assert due.weekday() == 4 and 0 <= (due - dt.date.today()).days <= 7
    assert owners["sections"][0]["items"][0]["ref"] == "C-1"
    assert not refused["ok"] and "flurbsday" in refused["headline"] and refused["usage"]
    assert done["data"]["status"] == "done"

    db = Database(url)
    with db.uow() as uow:
        s = uow.session
        assert [t.name for t in s.scalars(select(Team))] == ["Rough Sleeping"]
        assert [d.text for d in s.scalars(select(Decision))] == ["Pool the data budget"]
        [c] = s.scalars(select(Commitment)).all()
        assert (c.text, c.status, c.done_note) == ("Send the DPIA draft", "done", "sent to legal")
        actions = [e.action for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    db.dispose()
    assert "decision.logged" in actions and "commitment.logged" in actions
    assert actions[-1] == "commitment.done"
    assert actions.count("commitment.logged") == 1  # the refused one wrote nothing


def test_the_text_console_prints_readable_replies(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'j.db'}"
    run = joinedup(
        ["chat", "--team", "T", "--as", "a@b.example"], stdin="decision Go\nfoo\n", db_url=url
    )
    assert run.returncode == 0
    assert "D-1 logged by A" in run.stdout
    assert (
        'I don\'t know the command "foo".' in run.stdout and "Usage: help [command]" in run.stdout
    )
    assert "Traceback" not in run.stdout + run.stderr


def test_a_bad_email_is_one_clear_line_and_exit_2(tmp_path: Path) -> None:
    run = joinedup(
        ["chat", "--team", "T", "--as", "nobody"], db_url=f"sqlite:///{tmp_path / 'j.db'}"
    )
    assert run.returncode == 2 and "not an email" in run.stderr and "Traceback" not in run.stderr


def test_extract_reads_json_lines_and_plain_text(tmp_path: Path) -> None:
    lines = (
        '{"text": "I\'ll send the draft by Friday"}\nthanks all!\nDecision: we go with option B\n'
    )
    run = joinedup(
        ["extract", "--now", "2026-11-18T10:00:00+00:00"], stdin=lines, db_url="sqlite:///unused.db"
    )
    assert run.returncode == 0, run.stderr
    out = [json.loads(line) for line in run.stdout.splitlines()]
    assert [o["kind"] for o in out] == ["commitment", "none", "decision"]
    assert out[0]["owner"] == "me" and out[0]["due"] == "2026-11-20"


def test_db_upgrade_migrates_an_empty_file_and_says_where_it_is(tmp_path: Path) -> None:
    run = joinedup(["db", "upgrade"], db_url=f"sqlite:///{tmp_path / 'new.db'}")
    assert run.returncode == 0 and f"database at {head_revision()}" in run.stdout


def test_a_console_session_tracks_the_outcome_and_its_measures(tmp_path: Path) -> None:
    from zoneinfo import ZoneInfo

    from commands.periods import period_of
    from storage.models import MeasureLink, MeasureValue

    url = f"sqlite:///{tmp_path / 'joinedup.db'}"
    this_month = period_of(dt.datetime.now(ZoneInfo("Europe/London")).date(), "month")
    last_month = this_month.previous().label
    session = "\n".join(
        [
            "dept me Housing",
            "outcome Fewer people sleeping rough in the city",
            "measure add People sleeping rough target 20 baseline 64 unit people "
            "by in 52 weeks lower is better",
            f"measure M-1 61 for {last_month} street count",
            "measure M-1 58",
            "measure M-1 about sixty",
            "measure M-4 12",
            "measure M-1 58 for last month",
            "measure add Beds target 30 baseline 30",
            "commit me Open the winter shelter by Friday for M-1",
            "link C-1 M-1",
            "measures",
            "show M-1",
            "summary",
        ]
    )
    run = joinedup(
        ["chat", "--team", "Rough Sleeping", "--as", "alex@council.example", "--json"],
        stdin=session,
        db_url=url,
    )
    assert run.returncode == 0, run.stderr
    replies = [json.loads(line) for line in run.stdout.splitlines()]
    (
        _created,
        _dept,
        outcome,
        added,
        earlier,
        current,
        not_a_number,
        unknown,
        bad_period,
        flat,
        serves,
        linked_twice,
        listed,
        shown,
        summary,
    ) = replies
    assert outcome["data"]["outcome"] == "Fewer people sleeping rough in the city"
    assert added["ref"] == "M-1" and added["data"]["lower_is_better"] is True
    assert earlier["data"]["latest_period"] == last_month
    assert current["data"]["latest_period"] == this_month.label
    assert current["data"]["trend"] == "better"
    assert not not_a_number["ok"] and '"about" is not a number' in not_a_number["headline"]
    assert not unknown["ok"] and "There is no M-4" in unknown["headline"]
    assert not bad_period["ok"] and '"last" is not a period' in bad_period["headline"]
    assert not flat["ok"] and "target equals the baseline" in flat["headline"]
    assert serves["ref"] == "C-1" and serves["data"]["measure"] == "M-1"
    assert not linked_twice["ok"] and "already serves M-1" in linked_twice["headline"]
    assert listed["data"]["ids"] == ["M-1"]
    assert listed["data"]["measures"][0]["status"] in ("green", "amber", "red")
    assert [i["ref"] for i in shown["sections"][0]["items"]] == [this_month.label, last_month]
    assert [i["ref"] for i in shown["sections"][1]["items"]] == ["C-1"]
    assert summary["sections"][0]["title"] == "Outcome: Fewer people sleeping rough in the city"
    assert summary["body"].startswith("1 measure: ")

    db = Database(url)
    with db.uow() as uow:
        s = uow.session
        assert sorted(v.period for v in s.scalars(select(MeasureValue))) == sorted(
            [last_month, this_month.label]
        )
        assert len(s.scalars(select(MeasureLink)).all()) == 1
    db.dispose()
