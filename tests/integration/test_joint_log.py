"""The command core on a real database (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import datetime as dt

import pytest

from commands.invocation import ChannelRef
from storage.models import (
    AuditEvent,
    ChannelLink,
    Commitment,
    Counter,
    Decision,
    OutboxMessage,
    Person,
    TeamMember,
)
from tests.support import Desk

SAM = "sam.jones@health.example"
PRIYA = "priya@police.example"


@pytest.fixture
def desk(db, now) -> Desk:
    return Desk(db, now)


def test_a_decision_is_logged_with_its_id_author_and_rationale(desk: Desk) -> None:
    reply = desk.say("decision Pool the data budget because both teams need the same extract")
    assert reply.ok and reply.visibility == "channel"
    assert reply.ref == "D-1"
    assert reply.data["decided_by"] == "Alex"
    [decision] = desk.rows(Decision)
    assert (decision.number, decision.text, decision.rationale) == (
        1,
        "Pool the data budget",
        "both teams need the same extract",
    )
    [event] = desk.rows(AuditEvent, AuditEvent.action == "decision.logged")
    assert event.entity_id == decision.id and event.after["text"] == "Pool the data budget"


def test_a_commitment_for_someone_else_by_friday_is_due_the_coming_friday(desk: Desk) -> None:
    desk.say(f"dept {SAM} Health")
    reply = desk.say(f"commit {SAM} Send the DPIA draft by Friday")
    assert reply.ok, reply.headline
    [c] = desk.rows(Commitment)
    assert c.due_date == dt.date(2026, 11, 20)  # the Wednesday fixture's coming Friday
    assert c.owner.email == SAM and c.department is not None and c.department.name == "Health"
    assert reply.data == {
        "id": "C-1",
        "text": "Send the DPIA draft",
        "owner": "Sam Jones",
        "owner_email": SAM,
        "department": "Health",
        "due": "2026-11-20",
        "status": "open",
    }


def test_an_unreadable_date_names_the_words_and_writes_nothing(desk: Desk) -> None:
    reply = desk.say(f"commit {SAM} Send the DPIA by flurbsday")
    assert not reply.ok
    assert "flurbsday" in reply.headline and reply.usage and reply.usage.startswith("commit")
    assert desk.count(Commitment) == 0
    # The failed command gave its number back: the next one is still C-1.
    assert desk.say(f"commit {SAM} Send the DPIA by tomorrow").ref == "C-1"


def test_numbers_are_per_team_and_shared_by_kind(db, now) -> None:
    a = Desk(db, now, team="Alpha", channel_id="CA")
    b = Desk(db, now, team="Beta", channel_id="CB")
    assert a.say("decision one").ref == "D-1"
    assert a.say("decision two").ref == "D-2"
    assert b.say("decision other").ref == "D-1"
    assert a.say("commit me a thing").ref == "C-1"
    assert a.say("risk a risk").ref == "R-1"


def test_only_owner_creator_or_lead_may_close_someone_elses_commitment(desk: Desk) -> None:
    desk.say(f"commit {SAM} Send the DPIA", as_=PRIYA)  # Priya logs it for Sam
    outsider = "kim@gov.example"
    refused = desk.say("done C-1", as_=outsider)
    assert not refused.ok and "Only Sam Jones" in refused.headline
    assert desk.rows(Commitment)[0].status == "open"
    assert desk.say("done C-1", as_=PRIYA).ok  # the creator
    assert desk.say("reopen C-1", as_=SAM).ok  # the owner
    assert desk.say("cancel C-1 duplicate", as_=desk.lead).ok  # a lead
    assert desk.rows(Commitment)[0].status == "cancelled"


def test_state_changes_are_audited_with_before_and_after(desk: Desk) -> None:
    desk.say(f"commit {SAM} Draft the protocol by 2026-11-30")
    desk.say("block C-1 waiting for legal")
    desk.say(f"reassign C-1 {PRIYA}")
    desk.say("due C-1 2026-12-04")
    desk.say("snooze C-1 until Monday")
    desk.say("done C-1 sent to the board")
    actions = [
        e.action
        for e in desk.rows(AuditEvent, AuditEvent.entity == "commitment", order_by=AuditEvent.id)
    ]
    assert actions == [
        "commitment.logged",
        "commitment.blocked",
        "commitment.reassigned",
        "commitment.due_changed",
        "commitment.snoozed",
        "commitment.done",
    ]
    reassigned = desk.rows(AuditEvent, AuditEvent.action == "commitment.reassigned")[0]
    assert reassigned.before["owner_id"] != reassigned.after["owner_id"]
    due = desk.rows(AuditEvent, AuditEvent.action == "commitment.due_changed")[0]
    assert (due.before["due_date"], due.after["due_date"]) == ("2026-11-30", "2026-12-04")
    [c] = desk.rows(Commitment)
    assert c.status == "done" and c.done_note == "sent to the board" and c.owner.email == PRIYA
    assert c.snoozed_until == dt.date(2026, 11, 23)


def test_superseding_a_decision_links_both_and_deletes_nothing(desk: Desk) -> None:
    desk.say("decision Venue is the town hall")
    reply = desk.say("decision supersede D-1 Venue is the library because the hall is booked")
    assert reply.ok and reply.ref == "D-2"
    old, new = desk.rows(Decision, order_by=Decision.number)
    assert old.status == "superseded" and old.superseded_by_id == new.id
    assert new.supersedes_id == old.id and new.rationale == "the hall is booked"
    again = desk.say("decision supersede D-1 something else")
    assert not again.ok and "D-2" in again.headline


def test_who_owns_ranks_the_area_first_and_names_departments(desk: Desk) -> None:
    desk.say(f"dept {PRIYA} Police")
    desk.say(f"owns data sharing agreement {PRIYA} accountable")
    desk.say(f"commit {SAM} Circulate the data sharing agreement by Friday")
    desk.say("decision The data sharing agreement covers health and police records")
    reply = desk.say("who owns data sharing agreement?")
    items = reply.sections[0].items
    assert items[0].title == "Area: data sharing agreement"
    assert items[0].fields[0].value == "Priya (Police)"
    assert [i.ref for i in items[1:]] == ["C-1", "D-1"]


def test_who_owns_an_unknown_topic_suggests_owns(desk: Desk) -> None:
    reply = desk.say("who owns the ferry timetable")
    assert "Nobody owns" in reply.headline and "owns" in (reply.body or "")


def test_accountable_is_one_person_per_area_and_the_old_role_is_ended_not_deleted(
    desk: Desk,
) -> None:
    desk.say(f"owns housing pathway {SAM} accountable")
    desk.say(f"owns housing pathway {PRIYA} accountable")
    reply = desk.say("who owns housing pathway")
    assert (
        reply.sections[0].items[0].fields == (reply.sections[0].items[0].fields[0],)
        and "Priya" in reply.sections[0].items[0].fields[0].value
    )
    from storage.models import AreaRole

    roles = desk.rows(AreaRole, order_by=AreaRole.id)
    assert len(roles) == 2 and roles[0].ended_at is not None and roles[1].ended_at is None


def test_overdue_uses_the_teams_timezone(db) -> None:
    # 07:30 UTC on Thursday 19 Nov is still Wednesday 18 Nov in Los Angeles.
    now = dt.datetime(2026, 11, 19, 7, 30, tzinfo=dt.UTC)
    desk = Desk(db, now)
    desk.say("commit me Finish the audit by 2026-11-18")
    assert desk.say("list overdue").data["ids"] == ["C-1"]
    desk.say("team set timezone America/Los_Angeles")
    assert desk.say("list overdue").data["ids"] == []


def test_lists_filter_by_owner_and_department(desk: Desk) -> None:
    desk.say(f"dept {SAM} Health")
    desk.say(f"dept {PRIYA} Police")
    desk.say(f"commit {SAM} One by 2026-11-01")
    desk.say(f"commit {PRIYA} Two by 2026-12-01")
    desk.say("commit me Three")
    assert desk.say("list").data["ids"] == ["C-1", "C-2", "C-3"]
    assert desk.say("list overdue").data["ids"] == ["C-1"]
    assert desk.say("list dept police").data["ids"] == ["C-2"]
    assert desk.say(f"list open for {SAM}").data["ids"] == ["C-1"]
    assert desk.say("list mine").data["ids"] == ["C-3"]
    bad = desk.say("list dept Fisheries")
    assert not bad.ok and "Fisheries" in bad.headline


@pytest.mark.parametrize(
    ("command", "words"),
    [
        ("done C-99", "no C-99"),
        ("done D-1", "not a commitment id"),
        ("reassign C-1 @nobody", "don't know @nobody"),
        ("snooze C-1 until yesterday", "future"),
        ("due C-1 someday", "someday"),
        ("commit send it by Friday", "not an owner"),
        ("team set timezone Mars/Olympus", "Mars/Olympus"),
        ("team set reminders 25:00", "25:00"),
        ("risk Floods impact enormous", "enormous"),
        ("frobnicate C-1", 'command "frobnicate"'),
    ],
)
def test_bad_input_gets_a_specific_message_and_changes_nothing(
    desk: Desk, command: str, words: str
) -> None:
    desk.say("commit me Baseline by Friday")
    before = (desk.count(Commitment), desk.count(AuditEvent), desk.rows(Commitment)[0].status)
    reply = desk.say(command)
    assert not reply.ok and reply.visibility == "private"
    assert words in reply.headline
    assert (
        desk.count(Commitment),
        desk.count(AuditEvent),
        desk.rows(Commitment)[0].status,
    ) == before


def test_texts_up_to_4000_characters_of_any_unicode_are_kept_exactly(desk: Desk) -> None:
    text = ("Zusammenarbeit ✅ 合作 — «données» 🏠 " * 200)[:4000].strip()
    assert desk.say(f"decision {text}").ok
    assert desk.rows(Decision)[0].text == text
    too_long = desk.say("decision " + "x" * 4001)
    assert not too_long.ok and "4,000" in too_long.headline and desk.count(Decision) == 1


def test_an_unlinked_channel_is_told_how_to_start(db, now) -> None:
    desk = Desk(db, now, team=None)
    reply = desk.say("decision something")
    assert not reply.ok and "team create" in reply.headline
    assert desk.count(Decision) == 0


def test_team_settings_need_a_lead_and_the_creator_is_one(desk: Desk) -> None:
    refused = desk.say("team set reminders 08:30", as_=SAM)
    assert not refused.ok and "team lead" in refused.headline
    assert desk.say("team set reminders 8:30").ok
    assert desk.say(f"team lead {SAM}").ok
    assert desk.say("team set escalation 5", as_=SAM).ok
    leads = desk.rows(TeamMember, TeamMember.role == "lead")
    assert len(leads) == 2


def test_a_join_code_links_a_teams_channel_and_ids_are_shared(db, now) -> None:
    slack = Desk(db, now, platform="slack", channel_id="CSLACK")
    code = slack.say("team link").data["code"]
    teams_channel = ChannelRef(
        platform="teams", tenant="tenant-1", channel_id="19:abc@thread.tacv2"
    )
    joined = slack.say(f"team join {code}", as_=SAM, channel=teams_channel)
    assert joined.ok, joined.headline
    assert slack.say("decision From Slack").ref == "D-1"
    assert slack.say("decision From Teams", as_=SAM, channel=teams_channel).ref == "D-2"
    again = slack.say(f"team join {code}", channel=ChannelRef("teams", "tenant-1", "other"))
    assert not again.ok and "used already" in again.headline
    # Each change is announced once, on the other platform only.
    outbox = slack.rows(
        OutboxMessage, OutboxMessage.kind == "announcement", order_by=OutboxMessage.id
    )
    links = {link.id: link.platform for link in slack.rows(ChannelLink)}
    targets = [(links[m.channel_link_id], m.payload["ref"]) for m in outbox if m.payload.get("ref")]
    assert targets == [("teams", "D-1"), ("slack", "D-2")]


def test_an_expired_join_code_is_refused(db, now) -> None:
    slack = Desk(db, now, platform="slack")
    code = slack.say("team link").data["code"]
    later = now + dt.timedelta(minutes=31)
    reply = slack.say(f"team join {code}", now=later, channel=ChannelRef("teams", "t", "c"))
    assert not reply.ok and "expired" in reply.headline
    assert slack.count(ChannelLink) == 1


def test_an_unknown_handle_is_refused_but_an_email_creates_the_person(desk: Desk) -> None:
    assert not desk.say("commit @ghost Do it").ok
    assert desk.count(Person, Person.email == "new.person@gov.example") == 0
    assert desk.say("commit new.person@gov.example Do it").ok
    assert desk.count(Person, Person.email == "new.person@gov.example") == 1
    assert desk.say("commit @new.person Do another").ok


def test_counters_start_at_zero_for_each_kind(desk: Desk) -> None:
    assert sorted(c.kind for c in desk.rows(Counter)) == ["C", "D", "M", "P", "R"]


def test_setting_a_department_says_whose_it_is(desk: Desk) -> None:
    assert desk.say("dept me Housing").headline == "You're in Housing"
    assert desk.say(f"dept {SAM} Health").headline == "Sam Jones is in Health"
