"""A real team's size: 500 open commitments, 60 owners, 8 departments.

Every payload the bot sends for it (each page of each list, help, nudges, the digest,
App Home) fits Slack (Block Kit models and limits) and Teams (Adaptive Card 1.5 schema,
under 25 KB), and paging reaches every commitment on both platforms.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import update

from commands import reminder_plan, reminders
from commands.home import home_reply
from commands.reply import Reply
from commands.usages import USAGES
from integrations.slack import blocks as bk
from integrations.teams import cards
from storage import people
from storage.database import Database
from storage.models import Commitment, Counter
from tests.payload_limits import (
    card_button_command,
    card_refs,
    check_slack_message,
    check_slack_view,
    check_teams,
    slack_button_command,
    slack_refs,
)
from tests.reminder_support import utc
from tests.support import Desk

NOW = utc("2026-11-23T09:30")  # a Monday, after the team's 09:00 reminders
TODAY = NOW.date()
LEAD = "alex@council.example"
DEPARTMENTS = ["Housing", "Health", "Police", "Probation", "Education", "Fire", "DWP", "Youth"]
OWNERS = [f"owner{n:02d}@dept{n % 8}.example" for n in range(60)]
OPEN = 500


def big_team(db: Database, *, text: Callable[[int], str] | None = None, n: int = OPEN) -> Desk:
    """A Slack-linked team with ``n`` open commitments shared by 60 owners in 8 departments:
    a third overdue, some due this week, some blocked, the rest later or undated."""
    desk = Desk(db, NOW, platform="slack", channel_id="C-BIG")
    with db.uow() as uow:
        session = uow.session
        team_id = desk.rows(Counter)[0].team_id
        depts = [people.department_by_name(session, d, create=True) for d in DEPARTMENTS]
        owners = []
        for i, email in enumerate(OWNERS):
            person = people.find_or_create_by_email(
                session, email, display_name=f"Owner {i:02d} {'Lastname' * 2}"
            )
            person.department_id = depts[i % 8].id  # type: ignore[union-attr]
            people.ensure_member(session, team_id, person.id)
            owners.append(person)
        lead = people.find_or_create_by_email(session, LEAD)
        for number in range(1, n + 1):
            owner = owners[number % 60]
            kind = number % 6
            due = (
                TODAY - dt.timedelta(days=1 + number % 40)
                if kind in (0, 1)
                else TODAY + dt.timedelta(days=number % 5)
                if kind == 2
                else TODAY + dt.timedelta(days=10 + number % 50)
                if kind in (3, 4)
                else None
            )
            session.add(
                Commitment(
                    team_id=team_id,
                    number=number,
                    text=text(number) if text else f"Deliver work package {number} to the board",
                    owner_id=owner.id,
                    department_id=owner.department_id,
                    created_by_id=lead.id,
                    due_date=due,
                    status="blocked" if number % 25 == 0 else "open",
                    blocked_reason="waiting for the finance board" if number % 25 == 0 else None,
                    source_link=f"https://slack.example/archives/C-BIG/p{number:016d}",
                    created_at=NOW,
                    updated_at=NOW,
                )
            )
        session.execute(
            update(Counter)
            .where(Counter.team_id == team_id, Counter.kind == "C")
            .values(last_number=n)
        )
        uow.commit()
    return desk


def _follow_slack(desk: Desk, command: str) -> tuple[list[int], int]:
    """Run ``command``, then press Next until there is none: every C-n shown, and pages."""
    seen: list[int] = []
    pages = 0
    while command is not None:
        reply = desk.say(command)
        assert reply.ok, reply.headline
        message = bk.message(reply)
        check_slack_message(message)
        seen += slack_refs(message)
        pages += 1
        assert pages < 200
        command = slack_button_command(message, f"{bk.PAGE_ACTION}:next")  # type: ignore[assignment]
    return seen, pages


def _follow_teams(desk: Desk, command: str) -> tuple[list[int], int]:
    seen: list[int] = []
    pages = 0
    while command is not None:
        reply = desk.say(command)
        assert reply.ok, reply.headline
        card = check_teams(reply)
        seen += card_refs(card)
        pages += 1
        assert pages < 200
        command = card_button_command(card, "Next")  # type: ignore[assignment]
    return seen, pages


def test_all_500_open_commitments_are_reachable_by_paging_on_slack(db: Database) -> None:
    desk = big_team(db)

    seen, pages = _follow_slack(desk, "list open")

    assert sorted(seen) == list(range(1, OPEN + 1))  # each once, none missing
    assert pages == -(-OPEN // 15)


def test_all_500_open_commitments_are_reachable_by_paging_on_teams(db: Database) -> None:
    desk = big_team(db)

    seen, pages = _follow_teams(desk, "list open")

    assert sorted(seen) == list(range(1, OPEN + 1))
    assert pages >= -(-OPEN // 15)


def test_a_page_says_where_it_is_and_previous_goes_back(db: Database) -> None:
    desk = big_team(db)

    reply = desk.say("list open from 16")
    message = bk.message(reply)
    card = cards.reply_card(reply)

    assert reply.page is not None and reply.page.position() == "16\u201330 of 500"
    assert "16\u201330 of 500" in message["text"] and "16\u201330 of 500" in str(message["blocks"])
    assert slack_button_command(message, f"{bk.PAGE_ACTION}:previous") == "list open from 1"
    assert slack_button_command(message, f"{bk.PAGE_ACTION}:next") == "list open from 31"
    assert card_button_command(card, "Previous") == "list open from 1"
    assert any("16\u201330 of 500" in str(e.get("text")) for e in card["body"])


@pytest.mark.parametrize(
    "command",
    ["list overdue", "list blocked", "list open dept Health", "list decisions", "list risks"],
)
def test_every_page_of_other_lists_fits_both_platforms(db: Database, command: str) -> None:
    desk = big_team(db)

    slack_seen, _ = _follow_slack(desk, command)
    teams_seen, _ = _follow_teams(desk, command)

    total = desk.say(command).data["total"]
    assert len(slack_seen) == len(set(slack_seen)) == total
    assert sorted(teams_seen) == sorted(slack_seen)


def test_commitments_with_the_longest_texts_still_fit_and_all_are_reachable(
    db: Database,
) -> None:
    desk = big_team(db, n=45, text=lambda n: f"Item {n} " + "<&> word " * 440)

    slack_seen, slack_pages = _follow_slack(desk, "list open")
    teams_seen, teams_pages = _follow_teams(desk, "list open")

    assert sorted(slack_seen) == sorted(teams_seen) == list(range(1, 46))
    assert teams_pages > 3  # the card renderer showed fewer per page and moved Next on


def test_help_is_a_compact_index_of_every_command_that_fits_both_platforms(
    db: Database,
) -> None:
    desk = Desk(db, NOW)

    reply = desk.say("help")
    message = bk.message(reply)
    check_slack_message(message)
    card = check_teams(reply)

    shown = str(message["blocks"])
    for usage in USAGES:
        assert f"`{usage.verb}`" in shown and f"`{usage.verb}`" in str(card["body"])
    assert len(message["blocks"]) <= 6  # an index, not a manual


def test_help_for_each_command_gives_its_detail_and_fits(db: Database) -> None:
    desk = Desk(db, NOW)

    for usage in USAGES:
        reply = desk.say(f"help {usage.verb}")
        assert reply.ok and usage.line in reply.to_text()
        check_slack_message(bk.message(reply))
        check_teams(reply)
    commit = desk.say("help commit").to_text()
    assert "Example" in commit and "Dates:" in commit


def test_nudges_and_the_digest_of_a_500_commitment_team_fit_both_platforms(
    db: Database,
) -> None:
    big_team(db)
    with db.uow() as uow:
        plan = reminders.plan_sweep(uow.session, now=NOW)
        outgoing = list(plan.outgoing)

        assert {o.kind for o in outgoing} >= {reminders.NUDGE, reminders.DIGEST}
        for message in outgoing:
            reply = Reply.from_dict(message.payload["reply"])  # what the outbox keeps
            check_slack_message(bk.message(reply))
            check_teams(reply)

    [digest] = [o.reply for o in outgoing if o.kind == reminders.DIGEST]
    text = digest.to_text()
    most = next(s for s in digest.sections if s.title == "Most overdue")
    assert len(most.items) == reminder_plan.DIGEST_ITEMS and most.more > 100
    assert most.items[0].fields[2].value.endswith("(overdue by 40 days)")
    assert f"…and {most.more} more: `list overdue`" in text
    assert "Overdue by department" in text and "Overdue by owner" in text
    assert "Health" in next(f.value for f in digest.fields if f.label == "Overdue by department")


def test_a_nudge_for_an_owner_with_40_late_items_is_led_by_the_longest_overdue(
    db: Database,
) -> None:
    desk = Desk(db, NOW, platform="slack", channel_id="C-ONE")
    for n in range(40):
        when = (TODAY - dt.timedelta(days=1 + n)).isoformat()
        assert desk.say(f"commit me Task {n} by {when}", now=NOW - dt.timedelta(days=60)).ok
    with db.uow() as uow:
        plan = reminders.plan_sweep(uow.session, now=NOW)
    [nudge] = [o.reply for o in plan.outgoing if o.kind == reminders.NUDGE]

    shown = [i.title for s in nudge.sections for i in s.items]
    assert shown == [f"Task {n}" for n in range(39, 29, -1)]  # the ten most overdue
    assert "…and 30 more: `list mine`" in nudge.to_text()
    check_slack_message(bk.message(nudge))
    check_teams(nudge)


def test_app_home_of_a_busy_owner_fits_a_view_and_counts_what_it_leaves_out(
    db: Database,
) -> None:
    desk = big_team(db)
    for n in range(40):
        assert desk.say(f"commit me Task {n} by {(TODAY + dt.timedelta(days=n)).isoformat()}").ok
    lead = desk.person_id(LEAD)

    with db.uow() as uow:
        reply = home_reply(uow.session, person_id=lead, now=NOW)
    view = bk.home_view(reply)

    check_slack_view(view)
    assert "more in the full text" not in str(view)
    mine = reply.sections[0]
    assert len(mine.items) == 15 and mine.more == 25
    assert "…and 25 more: `list mine`" in str(view["blocks"])
