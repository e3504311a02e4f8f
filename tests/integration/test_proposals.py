"""Proposals agreed across departments, on a real database (SQLite, and PostgreSQL when
JOINEDUP_TEST_DATABASE_URL is set)."""

from __future__ import annotations

import threading

from commands.reply import Reply
from storage.database import Database
from storage.models import (
    AuditEvent,
    Decision,
    DepartmentDecider,
    LadderStep,
    OutboxMessage,
    Proposal,
    ProposalComment,
    ProposalDecider,
    Team,
)
from tests.conftest import WEDNESDAY
from tests.support import Desk

ALEX = "alex@council.example"  # lead, Housing
SAM = "sam@health.example"
KIM = "kim@police.example"
LEE = "lee@council.example"  # Housing, not a decider


def ok(desk: Desk, text: str, **kw):  # type: ignore[no-untyped-def]
    reply = desk.say(text, **kw)
    assert reply.ok, reply.headline
    return reply


def three_departments(db: Database, **kw) -> Desk:  # type: ignore[no-untyped-def]
    desk = Desk(db, WEDNESDAY, **kw)
    ok(desk, "dept me Housing")
    ok(desk, f"dept {SAM} Health")
    ok(desk, f"dept {KIM} Police")
    ok(desk, f"dept {LEE} Housing")
    ok(desk, f"team decider Health {SAM}")
    ok(desk, f"team decider Police {KIM}")
    return desk


def test_three_departments_agreeing_make_a_decision_that_says_who_agreed(db) -> None:
    desk = three_departments(db)
    opened = ok(desk, "propose Share the list weekly because outreach needs it decide by Friday")
    assert opened.ref == "P-1" and opened.visibility == "channel"
    assert [b.command for b in opened.buttons] == ["agree P-1", "object P-1", "abstain P-1"]
    assert [d["department"] for d in opened.data["deciders"]] == ["Health", "Housing", "Police"]
    assert opened.data["decide_by"] == "2026-11-20"

    ok(desk, "agree P-1", as_=SAM)
    ok(desk, "agree P-1 fine by us", as_=KIM)
    assert desk.count(Decision) == 0
    done = ok(desk, "agree P-1")
    assert done.ref == "D-1" and done.data["how"] == "agreed"
    assert done.data["agreed_by"] == {"Health": "Sam", "Police": "Kim", "Housing": "Alex"}
    (p,) = desk.rows(Proposal)
    (d,) = desk.rows(Decision)
    assert (p.status, p.decision_id, d.text) == ("agreed", d.id, "Share the list weekly")
    assert desk.count(AuditEvent, AuditEvent.action == "proposal.agreed") == 1

    listed = ok(desk, "list decisions")
    how = dict((f.label, f.value) for f in listed.sections[0].items[0].fields)["How"]
    assert how == "agreed by Sam (Health), Alex (Housing), Kim (Police)"
    again = desk.say("agree P-1", as_=SAM)
    assert not again.ok and "already agreed as D-1" in again.headline


def test_a_plain_decision_lists_as_recorded(db) -> None:
    desk = three_departments(db)
    ok(desk, "decision Meet on Tuesdays")
    listed = ok(desk, "list decisions")
    fields = dict((f.label, f.value) for f in listed.sections[0].items[0].fields)
    assert fields["How"] == "recorded by Alex"


def test_from_names_the_departments_and_a_lead_decides_for_their_own(db) -> None:
    desk = three_departments(db)
    opened = ok(desk, "propose Pool the budget from Housing, Police")
    assert [(d["department"], d["person"]) for d in opened.data["deciders"]] == [
        ("Housing", "Alex"),
        ("Police", "Kim"),
    ]
    refused = desk.say("agree P-1", as_=SAM)
    assert not refused.ok and "Only P-1's deciders can answer it" in refused.headline
    assert "comment P-1" in refused.headline


def test_an_objection_keeps_it_open_and_tells_the_proposer_who_and_why(db) -> None:
    desk = three_departments(db)
    ok(desk, "propose Close the hub at 6pm", as_=SAM)
    objection = ok(desk, "object P-1 our staff leave at 5", as_=KIM)
    assert "Kim objects for Police" in objection.headline
    assert "Sam, Kim objects: our staff leave at 5" in (objection.body or "")
    ok(desk, "agree P-1", as_=SAM)
    ok(desk, "agree P-1")
    assert desk.count(Decision) == 0
    revised = ok(desk, "propose revise P-1 Close the hub at 5pm", as_=SAM)
    assert all(d["answer"] is None for d in revised.data["deciders"])
    for who in (SAM, KIM, ALEX):
        ok(desk, "agree P-1", as_=who)
    (d,) = desk.rows(Decision)
    assert d.text == "Close the hub at 5pm"


def test_a_bare_object_asks_for_the_reason_and_writes_nothing(db) -> None:
    desk = three_departments(db)
    ok(desk, "propose Close the hub at 6pm")
    before = desk.count(AuditEvent)
    reply = desk.say("object P-1", as_=KIM)
    assert not reply.ok and reply.headline == "Why do you object to P-1? Say `object P-1 <reason>`."
    assert desk.count(AuditEvent) == before
    assert [d.answer for d in desk.rows(ProposalDecider)] == [None, None, None]


def test_answering_twice_replaces_the_earlier_answer_with_an_audit_event(db) -> None:
    desk = three_departments(db)
    ok(desk, "propose Close the hub at 6pm")
    ok(desk, "object P-1 too early", as_=KIM)
    ok(desk, "abstain P-1", as_=KIM)
    (kim,) = desk.rows(ProposalDecider, ProposalDecider.person_id == desk.person_id(KIM))
    assert (kim.answer, kim.note) == ("abstain", None)
    (changed,) = desk.rows(AuditEvent, AuditEvent.action == "proposal.answer_changed")
    assert changed.before == {"answer": "object", "note": "too early"}
    assert changed.after is not None and changed.after["answer"] == "abstain"


def test_a_non_decider_answer_is_refused_and_writes_nothing_but_anyone_may_comment(db) -> None:
    desk = three_departments(db)
    ok(desk, "propose Close the hub at 6pm")
    before = desk.count(AuditEvent)
    refused = desk.say("agree P-1", as_=LEE)
    assert not refused.ok
    assert refused.headline == (
        "Only P-1's deciders can answer it: Sam (Health), Alex (Housing), Kim (Police). "
        "You can comment with `comment P-1 <text>`."
    )
    assert desk.count(AuditEvent) == before
    commented = ok(desk, "comment P-1 the night shelter needs to know", as_=LEE)
    assert commented.visibility == "channel"
    (c,) = desk.rows(ProposalComment)
    assert c.text == "the night shelter needs to know"


def test_an_unknown_proposal_is_a_short_specific_message(db) -> None:
    desk = three_departments(db)
    reply = desk.say("agree P-9", as_=SAM)
    assert not reply.ok and reply.headline == "There is no P-9 in Rough Sleeping."
    bad = desk.say("agree C-3", as_=SAM)
    assert not bad.ok and "is not a proposal id" in bad.headline


def test_a_department_without_a_decider_is_refused_before_anything_is_written(db) -> None:
    desk = three_departments(db)
    ok(desk, "dept ash@fire.example Fire")
    reply = desk.say("propose Close the hub")
    assert not reply.ok and reply.headline.startswith("Nobody can decide for Fire")
    assert desk.count(Proposal) == 0
    unknown = desk.say("propose Close the hub from Health, Parks")
    assert not unknown.ok and 'There is no department called "Parks"' in unknown.headline


def test_withdraw_is_for_the_proposer_or_a_lead(db) -> None:
    desk = three_departments(db)
    ok(desk, "propose Close the hub", as_=SAM)
    refused = desk.say("propose withdraw P-1", as_=KIM)
    assert not refused.ok and "Only Sam (who proposed it) or a team lead" in refused.headline
    ok(desk, "propose withdraw P-1", as_=SAM)
    (p,) = desk.rows(Proposal)
    assert p.status == "withdrawn"
    late = desk.say("agree P-1", as_=KIM)
    assert not late.ok and "withdrawn" in late.headline


def test_a_proposal_is_announced_on_the_other_platform(db) -> None:
    desk = three_departments(db, platform="slack")
    teams_channel = desk.channel.__class__(platform="teams", tenant="T1", channel_id="19:x")
    code = ok(desk, "team link").data["code"]
    ok(desk, f"team join {code}", channel=teams_channel)
    ok(desk, "propose Close the hub")
    for who in (SAM, KIM, ALEX):
        ok(desk, "agree P-1", as_=who)
    to_teams = desk.rows(
        OutboxMessage, OutboxMessage.platform == "teams", order_by=OutboxMessage.id
    )
    headlines = [m.payload["headline"] for m in to_teams]
    assert headlines[0] == "P-1 proposed by Alex"
    assert headlines.count("P-1 agreed: now D-1") == 1
    assert [b["command"] for b in to_teams[0].payload["buttons"]] == [
        "agree P-1",
        "object P-1",
        "abstain P-1",
    ]


def test_who_can_decide_names_deciders_and_the_accountable_person(db) -> None:
    desk = three_departments(db)
    ok(desk, "owns data sharing jo@police.example accountable")
    reply = ok(desk, "who can decide data sharing")
    assert reply.data["deciders"] == {"Health": "Sam", "Housing": "Alex", "Police": "Kim"}
    assert reply.data["accountable"] == ["Jo"]


def test_replacing_a_decider_keeps_the_old_one_as_history(db) -> None:
    desk = three_departments(db)
    ok(desk, "team decider Health jo@health.example")
    rows = desk.rows(DepartmentDecider, order_by=DepartmentDecider.id)
    assert [r.ended_at is None for r in rows] == [False, True, True]
    opened = ok(desk, "propose Go from Health")
    assert opened.data["deciders"][0]["person"] == "Jo"


def test_a_ladder_step_that_names_nobody_is_refused_and_nothing_written(db) -> None:
    desk = three_departments(db)
    reply = desk.say("team ladder accountable, lead, sro")
    assert not reply.ok and "has none: set one with `team sro <owner>` first" in reply.headline
    channel = desk.say("team ladder lead, channel")
    assert not channel.ok and "no Slack or Teams channel" in channel.headline
    (team,) = desk.rows(Team)
    assert team.ladder == "accountable, lead"
    ok(desk, f"team sro {KIM}")
    ok(desk, "team ladder accountable, lead, sro")
    ok(desk, "team set escalation blocked commitment 2")
    ok(desk, "team set escalation 4")
    (team,) = desk.rows(Team)
    assert (team.ladder, team.blocked_escalation_days, team.escalation_days) == (
        "accountable, lead, sro",
        2,
        4,
    )


def test_re_dating_a_commitment_records_a_ladder_reset(db) -> None:
    desk = three_departments(db)
    ok(desk, f"commit {SAM} Send the DPIA by 2026-11-19")
    ok(desk, "due C-1 2026-11-27")
    ok(desk, f"reassign C-1 {KIM}")
    resets = desk.rows(LadderStep, order_by=LadderStep.id)
    assert [(r.kind, r.round, r.rung) for r in resets] == [("reset", 1, 0), ("reset", 2, 0)]


def test_the_last_two_deciders_agreeing_at_once_make_exactly_one_decision(db) -> None:
    desk = three_departments(db)
    ok(desk, "propose Close the hub at 6pm")
    ok(desk, "agree P-1")
    barrier = threading.Barrier(2)
    replies: list[Reply] = []

    def agree(who: str) -> None:
        barrier.wait()
        replies.append(desk.say("agree P-1", as_=who))

    threads = [threading.Thread(target=agree, args=(who,)) for who in (SAM, KIM)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r.ok for r in replies)
    assert sorted(r.headline for r in replies)[0] == "P-1 agreed: now D-1"
    assert desk.count(Decision) == 1
    (p,) = desk.rows(Proposal)
    assert p.status == "agreed"


def test_team_shows_the_ladder_its_thresholds_and_the_sro(db) -> None:
    desk = three_departments(db)
    ok(desk, f"team sro {KIM}")
    ok(desk, "team set escalation proposal 2")
    fields = {f.label: f.value for f in ok(desk, "team").fields}
    assert fields["SRO"] == "Kim"
    assert fields["Ladder"] == (
        "accountable, lead; blocked after 3, red risks after 5, proposals 2 working days past "
        "their deadline"
    )


def test_an_unreadable_or_past_deadline_is_refused_and_nothing_written(db) -> None:
    desk = three_departments(db)
    unreadable = desk.say("propose Close the hub decide by flurbsday")
    assert not unreadable.ok and "flurbsday" in unreadable.headline
    past = desk.say("propose Close the hub decide by 2026-11-17")
    assert not past.ok and past.headline.startswith("Tue 17 Nov 2026 has passed")
    assert desk.count(Proposal) == 0
    assert ok(desk, "propose Close the hub").ref == "P-1"  # the refusals took no number
