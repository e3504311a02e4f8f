"""Commands in a direct message with the bot: no linked channel, the person's teams.

The rule is the core's (commands/scope.py), so it is tested here with the console's
driver; Slack's Messages tab and Teams' personal chat only mark the conversation direct.
"""

from __future__ import annotations

import datetime as dt

from commands.invocation import ChannelRef
from commands.reply import Reply
from storage.database import Database
from storage.models import Commitment, OutboxMessage
from tests.support import Desk

LEAD = "alex@council.example"
SAM = "sam@health.example"
KIM = "kim@police.example"
DM = ChannelRef(platform="slack", tenant="T1", channel_id="D-SAM", direct=True)


def two_teams(db: Database, now: dt.datetime) -> tuple[Desk, Desk]:
    """Sam is in Rough Sleeping (C-1 and C-2 are Sam's) and Youth Justice (C-1 is Kim's,
    C-2 is Sam's)."""
    rough = Desk(db, now, team="Rough Sleeping", platform="slack", channel_id="C-RS")
    youth = Desk(db, now, team="Youth Justice", platform="teams", channel_id="19:yj")
    assert rough.say(f"commit {SAM} Send the DPIA draft by 2026-12-04").ok
    assert rough.say(f"commit {SAM} Book the venue by 2026-12-01").ok
    assert youth.say(f"commit {KIM} Draft the comms plan by 2026-12-02").ok
    assert youth.say(f"commit {SAM} Agree the panel date by 2026-12-03").ok
    return rough, youth


def dm(desk: Desk, text: str, as_: str = SAM) -> Reply:
    return desk.say(text, as_=as_, channel=DM)


def test_list_mine_in_a_direct_message_covers_all_the_persons_teams(db, now) -> None:
    rough, _ = two_teams(db, now)

    reply = dm(rough, "list mine")

    assert reply.ok and reply.data["total"] == 3
    titles = [i.title for s in reply.sections for i in s.items]
    assert "[Rough Sleeping] Send the DPIA draft" in titles
    assert "[Youth Justice] Agree the panel date" in titles
    done = next(i for s in reply.sections for i in s.items if "panel" in i.title).buttons[0]
    assert done.command == "done C-2 in Youth Justice"  # pressed in the DM, acts there


def test_done_in_a_direct_message_goes_to_the_only_team_where_that_commitment_is_yours(
    db, now
) -> None:
    rough, _ = two_teams(db, now)

    reply = dm(rough, "done C-1")  # Youth Justice has a C-1 too, but it is Kim's

    assert reply.ok, reply.headline
    [c1] = rough.rows(Commitment, Commitment.number == 1, Commitment.status == "done")
    assert c1.text == "Send the DPIA draft"


def test_a_commitment_number_that_is_yours_in_two_teams_asks_which(db, now) -> None:
    rough, youth = two_teams(db, now)

    reply = dm(rough, "done C-2")

    assert reply.ok and reply.headline.startswith("Which team?")
    assert [b.command for b in reply.buttons] == [
        "done C-2 in Rough Sleeping",
        "done C-2 in Youth Justice",
    ]
    assert rough.count(Commitment, Commitment.status == "done") == 0  # nothing guessed

    pressed = dm(rough, reply.buttons[1].command)

    assert pressed.ok, pressed.headline
    [done] = rough.rows(Commitment, Commitment.status == "done")
    assert done.text == "Agree the panel date"


def test_a_command_for_one_team_asks_which_when_the_person_is_in_several(db, now) -> None:
    rough, _ = two_teams(db, now)

    asked = dm(rough, "decision Meet in Leeds")
    logged = dm(rough, "decision Meet in Leeds in Rough Sleeping")

    assert asked.data["question"] == "team" and asked.data["teams"] == [
        "Rough Sleeping",
        "Youth Justice",
    ]
    assert logged.ok and logged.data["text"] == "Meet in Leeds"  # only the team was cut
    # From a Slack DM the decision is announced in the team's channels, its Slack one too.
    [row] = rough.rows(OutboxMessage)
    assert row.platform == "slack" and row.payload["data"]["text"] == "Meet in Leeds"


def test_a_list_names_its_team_in_a_direct_message_and_pages_there(db, now) -> None:
    rough, _ = two_teams(db, now)

    reply = dm(rough, "list open in Rough Sleeping")

    assert reply.ok and reply.data["total"] == 2
    assert reply.page is not None and reply.page.command == "list open in Rough Sleeping"
    assert dm(rough, reply.page.at(1)).data["ids"] == ["C-1"]  # "... in Rough Sleeping from 2"


def test_a_person_in_one_team_needs_not_name_it(db, now) -> None:
    rough = Desk(db, now, team="Rough Sleeping", platform="slack", channel_id="C-RS")
    assert rough.say(f"commit {SAM} Send the DPIA draft by 2026-12-04").ok

    listed = dm(rough, "list mine")
    snoozed = dm(rough, "snooze C-1 until 2026-12-10")
    summary = dm(rough, "summary")

    assert listed.data["ids"] == ["C-1"]
    assert snoozed.ok, snoozed.headline
    assert summary.ok, summary.headline
    # One team: the buttons need not name it.
    assert all(" in " not in b.command for b in snoozed.buttons)


def test_help_works_in_a_direct_message_without_any_team(db, now) -> None:
    nobody = Desk(db, now, team=None)

    reply = nobody.say("help", as_="new@person.example", channel=DM)
    listed = nobody.say("list mine", as_="new@person.example", channel=DM)

    assert reply.ok and "`list`" in (reply.body or "")
    assert not listed.ok and "team" in listed.headline


def test_an_unknown_commitment_in_a_direct_message_names_the_teams_looked_in(db, now) -> None:
    rough, _ = two_teams(db, now)

    reply = dm(rough, "done C-99")

    assert not reply.ok
    assert reply.headline == "There is no C-99 in your teams (Rough Sleeping, Youth Justice)."


def test_in_a_linked_channel_nothing_changes(db, now) -> None:
    rough, _ = two_teams(db, now)

    reply = rough.say("done C-2", as_=SAM)

    assert reply.ok and reply.headline.startswith("C-2 done")
    assert all(" in " not in b.command for b in reply.buttons)
