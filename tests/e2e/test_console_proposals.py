"""Three people from three departments agree a proposal into a decision, each in their own
`joinedup chat` process on one database file (the console as a user runs it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select

from storage.database import Database
from storage.models import AuditEvent, Decision, Proposal, ProposalDecider
from tests.support import run_joinedup

TEAM = "Rough Sleeping"


def chat(email: str, lines: list[str], url: str) -> list[dict[str, Any]]:
    run = run_joinedup(
        "chat", "--team", TEAM, "--as", email, "--json", stdin="\n".join(lines), db_url=url
    )
    # The exit code says whether any line was refused; a refusal is never a traceback.
    assert "Traceback" not in run.stdout + run.stderr, run.stderr
    return [json.loads(line) for line in run.stdout.splitlines()]


def test_three_departments_agree_a_proposal_into_a_decision_through_the_console(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'joinedup.db'}"
    alex = chat(
        "alex@council.example",
        [
            "dept me Housing",
            "dept sam@health.example Health",
            "dept kim@police.example Police",
            "team decider Health sam@health.example",
            "team decider Police kim@police.example",
            "propose Share the rough sleeper list weekly because outreach needs it "
            "decide by 2099-01-08 from Health, Housing, Police",
            "agree P-1",
        ],
        url,
    )
    created, *_, proposed, agreed_housing = alex
    assert created["data"]["created"] is True
    assert proposed["ref"] == "P-1" and proposed["visibility"] == "channel"
    assert [b["command"] for b in proposed["buttons"]] == ["agree P-1", "object P-1", "abstain P-1"]
    assert "Alex agreed for Housing" in agreed_housing["headline"]

    (sam,) = chat("sam@health.example", ["agree P-1"], url)
    assert sam["ok"] and "Waiting for Kim (Police)" in sam["body"]

    lee = chat("lee@council.example", ["agree P-1", "comment P-1 the shelters want it too"], url)
    assert not lee[0]["ok"] and "Only P-1's deciders can answer it" in lee[0]["headline"]
    assert lee[1]["ok"]

    bare, agreed, listed = chat(
        "kim@police.example",
        ["object P-1", "agree P-1 with the data-sharing agreement", "list decisions"],
        url,
    )
    assert not bare["ok"] and bare["headline"].startswith("Why do you object to P-1?")
    assert agreed["headline"] == "P-1 agreed: now D-1"
    assert agreed["data"]["agreed_by"] == {"Health": "Sam", "Housing": "Alex", "Police": "Kim"}
    (item,) = listed["sections"][0]["items"]
    how = {f["label"]: f["value"] for f in item["fields"]}["How"]
    assert how == "agreed by Sam (Health), Alex (Housing), Kim (Police)"

    db = Database(url)
    with db.uow() as uow:
        s = uow.session
        (decision,) = s.scalars(select(Decision)).all()
        (proposal,) = s.scalars(select(Proposal)).all()
        made = (proposal.status, proposal.decision_id == decision.id, decision.rationale)
        answers = sorted(
            (d.department.name, d.answer, d.note) for d in s.scalars(select(ProposalDecider))
        )
        actions = [e.action for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    db.dispose()
    assert made == ("agreed", True, "outreach needs it")
    assert answers == [
        ("Health", "agree", None),
        ("Housing", "agree", None),
        ("Police", "agree", "with the data-sharing agreement"),
    ]
    assert actions.count("proposal.answered") == 3  # the refused and the bare answers wrote nothing
    assert actions[-2:] == ["decision.logged", "proposal.agreed"]
