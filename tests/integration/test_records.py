"""Records people can trust: dates said as people say them, one permission rule per kind of
record (tried as a second, ordinary member), nothing created by accident, UK defaults."""

from __future__ import annotations

import datetime as dt

import pytest

from storage.models import (
    Area,
    AreaRole,
    AuditEvent,
    Commitment,
    Decision,
    OutboxMessage,
    Person,
    Risk,
    Team,
    TeamMember,
)
from tests.support import Desk

MONDAY = dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.UTC)  # Mon 30 Nov 2026
LEAD = "alex@council.example"
SAM = "sam.jones@health.example"  # an ordinary member
PRIYA = "priya@police.example"  # another ordinary member


@pytest.fixture
def desk(db) -> Desk:
    desk = Desk(db, MONDAY)
    assert desk.say("decision Meet weekly", as_=SAM).ok  # Sam joins by writing
    assert desk.say("decision Share one register", as_=PRIYA).ok
    return desk


def _direct_messages(desk: Desk) -> list[OutboxMessage]:
    return desk.rows(OutboxMessage, OutboxMessage.kind == "direct", order_by=OutboxMessage.id)


# --- dates -----------------------------------------------------------------------------------


def test_a_day_just_gone_is_logged_as_overdue_and_the_reply_says_so(desk: Desk) -> None:
    reply = desk.say("commit me Send the return by 25 Nov")
    assert reply.ok, reply.headline
    [c] = desk.rows(Commitment)
    assert c.due_date == dt.date(2026, 11, 25) and c.text == "Send the return"
    assert "25 Nov has passed: C-1 is already overdue" in (reply.body or "")


def test_re_dating_to_a_day_just_gone_makes_it_overdue_and_says_so(desk: Desk) -> None:
    desk.say("commit me Send the return by Friday")
    reply = desk.say("due C-1 25 Nov")
    assert reply.ok, reply.headline
    [c] = desk.rows(Commitment)
    assert c.due_date == dt.date(2026, 11, 25)
    assert "25 Nov has passed: C-1 is already overdue" in (reply.body or "")


@pytest.mark.parametrize(
    ("typed", "text", "due"),
    [
        ("Book the venue next Tuesday", "Book the venue", dt.date(2026, 12, 8)),
        ("Circulate the minutes in 3 working days", "Circulate the minutes", dt.date(2026, 12, 3)),
        ("send the figures on Thursday", "send the figures", dt.date(2026, 12, 3)),
        ("Send the pack before the board meets on the 9th", "Send the pack", dt.date(2026, 12, 9)),
        ("Draft the letter by Tuesday next week", "Draft the letter", dt.date(2026, 12, 8)),
        ("Review the ToR close of play Friday", "Review the ToR", dt.date(2026, 12, 4)),
        ("Confirm numbers EOD Monday", "Confirm numbers", dt.date(2026, 11, 30)),
        ("Review the by-laws by hand", "Review the by-laws by hand", None),
    ],
)
def test_a_trailing_date_without_by_is_the_due_date_and_leaves_the_text(
    desk: Desk, typed: str, text: str, due: dt.date | None
) -> None:
    reply = desk.say(f"commit me {typed}")
    assert reply.ok, reply.headline
    [c] = desk.rows(Commitment)
    assert (c.text, c.due_date) == (text, due)


def test_a_commitment_that_is_only_a_date_is_refused_with_the_usage_line(desk: Desk) -> None:
    reply = desk.say("commit me by Friday")
    assert not reply.ok
    assert reply.usage and reply.usage.startswith("commit <owner> <text>")
    assert desk.count(Commitment) == 0


def test_times_in_replies_are_in_the_team_timezone_not_utc(desk: Desk) -> None:
    assert desk.say("team set timezone Asia/Tokyo").ok
    reply = desk.say("show D-1")
    when = next(f.value for f in reply.fields if f.label == "When")
    assert "UTC" not in when and when == "Mon 30 Nov 2026 19:00 JST"
    desk.say("commit me Send it")
    done = desk.say("done C-1")
    stamp = next(f.value for f in done.fields if f.label == "Done")
    assert stamp == "Mon 30 Nov 2026 19:00 JST"


# --- who may change what ---------------------------------------------------------------------


def test_an_ordinary_member_cannot_close_a_risk_someone_else_owns(desk: Desk) -> None:
    desk.say(f"risk Winter surge impact high likelihood high owner {PRIYA}")
    audits = desk.count(AuditEvent)
    reply = desk.say("risk close R-1", as_=SAM)
    assert not reply.ok
    assert "Priya (its owner)" in reply.headline and "Alex (who logged it)" in reply.headline
    assert "team lead" in reply.headline
    [risk] = desk.rows(Risk)
    assert risk.status == "open" and desk.count(AuditEvent) == audits
    assert desk.say("risk close R-1", as_=PRIYA).ok  # the owner may


def test_an_ordinary_member_cannot_re_rate_or_reassign_a_risk(desk: Desk) -> None:
    desk.say(f"risk Winter surge impact high likelihood high owner {PRIYA}")
    assert not desk.say("risk rate R-1 impact low", as_=SAM).ok
    assert not desk.say("risk owner R-1 me", as_=SAM).ok
    [risk] = desk.rows(Risk)
    assert (risk.impact, risk.owner.email) == ("high", PRIYA)
    assert desk.say("risk rate R-1 impact low likelihood medium", as_=PRIYA).ok
    assert desk.rows(Risk)[0].impact == "low"


def test_a_risk_given_to_someone_else_tells_the_previous_owner_directly(desk: Desk) -> None:
    desk.say(f"risk Winter surge owner {PRIYA}")
    reply = desk.say(f"risk owner R-1 {SAM}")
    assert reply.ok, reply.headline
    [message] = _direct_messages(desk)
    assert message.person_id == desk.person_id(PRIYA)
    assert "R-1" in message.payload["reply"]["headline"]


def test_an_ordinary_member_cannot_supersede_the_leads_decision(desk: Desk) -> None:
    desk.say("decision Health holds the pooled budget")  # D-3, by the lead
    reply = desk.say("decision supersede D-3 The council holds the pooled budget", as_=SAM)
    assert not reply.ok and "Alex (who made it)" in reply.headline
    assert desk.count(Decision) == 3
    assert desk.rows(Decision, Decision.number == 3)[0].status == "active"


def test_the_accountable_person_of_the_area_may_supersede_a_decision(desk: Desk) -> None:
    desk.say(f"owns pooled budget {SAM} accountable")
    desk.say("decision Health holds the pooled budget")  # D-3
    reply = desk.say("decision supersede D-3 The council holds the pooled budget", as_=SAM)
    assert reply.ok, reply.headline
    assert not desk.say("decision supersede D-4 Nobody holds it", as_=PRIYA).ok


def test_an_ordinary_member_cannot_take_over_an_accountable_role(desk: Desk) -> None:
    desk.say(f"owns winter shelter {PRIYA} accountable")
    reply = desk.say("owns winter shelter me accountable", as_=SAM)
    assert not reply.ok and "Only Priya (accountable for winter shelter)" in reply.headline
    [role] = desk.rows(AreaRole, AreaRole.ended_at.is_(None))
    assert role.person_id == desk.person_id(PRIYA)
    assert _direct_messages(desk) == []


def test_an_ordinary_member_cannot_demote_the_accountable_person_to_another_role(
    desk: Desk,
) -> None:
    desk.say(f"owns winter shelter {PRIYA} accountable")
    assert not desk.say(f"owns winter shelter {PRIYA} responsible", as_=SAM).ok
    [role] = desk.rows(AreaRole, AreaRole.ended_at.is_(None))
    assert (role.person_id, role.role) == (desk.person_id(PRIYA), "accountable")


def test_claiming_an_area_nobody_holds_stays_free(desk: Desk) -> None:
    assert desk.say("owns hospital discharge me accountable", as_=SAM).ok
    assert desk.say("owns hospital discharge me responsible", as_=PRIYA).ok
    assert desk.count(Area) == 1


def test_a_lead_taking_over_an_accountable_role_tells_the_person_displaced(desk: Desk) -> None:
    desk.say(f"owns winter shelter {PRIYA} accountable")
    assert desk.say(f"owns winter shelter {SAM} accountable").ok
    [message] = _direct_messages(desk)
    assert message.person_id == desk.person_id(PRIYA)
    assert "Sam Jones is now accountable for winter shelter" in message.payload["reply"]["headline"]


def test_a_reassigned_commitment_tells_the_previous_owner_directly(desk: Desk) -> None:
    desk.say(f"commit {PRIYA} Draft the comms plan by Friday", as_=SAM)
    assert desk.say(f"reassign C-1 {LEAD}", as_=SAM).ok
    [message] = _direct_messages(desk)
    assert message.person_id == desk.person_id(PRIYA)
    assert message.payload["reply"]["body"] == "Draft the comms plan"


def test_an_ordinary_member_cannot_reassign_someone_elses_commitment(desk: Desk) -> None:
    desk.say(f"commit {PRIYA} Draft the comms plan")
    reply = desk.say("reassign C-1 me", as_=SAM)
    assert not reply.ok and "Only Priya (the owner), whoever logged it, or a team lead" in (
        reply.headline
    )
    assert desk.rows(Commitment)[0].owner.email == PRIYA and _direct_messages(desk) == []


# --- nothing created by accident --------------------------------------------------------------


def test_listing_for_an_unknown_email_adds_nobody(desk: Desk) -> None:
    people, members = desk.count(Person), desk.count(TeamMember)
    reply = desk.say("list open for stranger@nowhere.example", as_=SAM)
    assert not reply.ok and "stranger@nowhere.example" in reply.headline
    assert (desk.count(Person), desk.count(TeamMember)) == (people, members)


@pytest.mark.parametrize("command", ["who owns winter shelter", "show D-1", "list", "team"])
def test_reading_adds_nobody_to_the_team(desk: Desk, command: str) -> None:
    reader = "reader@council.example"
    desk.person_id(reader)
    members = desk.count(TeamMember)
    assert desk.say(command, as_=reader).ok
    assert desk.count(TeamMember) == members


def test_an_unknown_command_word_gets_the_nearest_command(desk: Desk) -> None:
    reply = desk.say("comit me Send it")
    assert not reply.ok and reply.headline == 'I don\'t know "comit". Did you mean `commit`?'


# --- defaults a UK team expects ----------------------------------------------------------------


def test_a_new_london_team_skips_england_and_wales_bank_holidays(desk: Desk) -> None:
    [team] = desk.rows(Team)
    assert team.holidays == "GB-ENG"
    other = Desk(desk.db, MONDAY, team=None, channel_id="C-OTHER")
    reply = other.say("team create Hostel Pathway")
    assert "England and Wales bank holidays (GB-ENG)" in (reply.body or "")
    assert desk.say("team set holidays none").ok
    assert desk.rows(Team, Team.name == "Rough Sleeping")[0].holidays is None


def test_the_holiday_calendar_follows_a_change_of_timezone_unless_set_by_hand(desk: Desk) -> None:
    reply = desk.say("team set timezone Europe/Dublin")
    assert reply.ok and "IE" in reply.headline
    assert desk.rows(Team)[0].holidays == "IE"
    desk.say("team set holidays GB-SCT")
    desk.say("team set timezone Europe/London")
    assert desk.rows(Team)[0].holidays == "GB-SCT"


def test_setting_a_department_files_open_records_that_had_none(desk: Desk) -> None:
    desk.say(f"commit {SAM} Send the DPIA by Friday")
    desk.say(f"commit {SAM} Book the room")
    desk.say("done C-2", as_=SAM)
    reply = desk.say(f"dept {SAM} Health")
    assert reply.ok and "Filed 1 open commitment with no department under Health: C-1" in (
        reply.body or ""
    )
    first, second = desk.rows(Commitment, order_by=Commitment.number)
    assert first.department is not None and first.department.name == "Health"
    assert second.department is None  # done work keeps its record as it was
    [event] = desk.rows(AuditEvent, AuditEvent.action == "commitment.department_filed")
    assert event.entity_id == first.id


def test_people_choose_the_name_others_see(desk: Desk) -> None:
    reply = desk.say("me name Sam Jones-Okafor", as_=SAM)
    assert reply.ok and reply.headline == "Others now see you as Sam Jones-Okafor"
    assert desk.say("decision Open the hub", as_=SAM).data["decided_by"] == "Sam Jones-Okafor"
