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
