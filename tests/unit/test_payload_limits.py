"""The renderers own the platforms' limits: whatever the Reply, what they produce fits."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from commands.reply import Button, Field, Item, Page, Reply, Section
from integrations.slack import blocks as bk
from integrations.teams import cards
from tests.payload_limits import (
    card_button_command,
    card_refs,
    check_card,
    check_slack_message,
    check_slack_view,
    check_teams,
    slack_button_command,
    slack_refs,
)


def _items(n: int, *, text: str = "Deliver the work package", start: int = 1) -> tuple[Item, ...]:
    return tuple(
        Item(
            title=f"{text} {i}",
            ref=f"C-{i}",
            fields=(Field("Owner", "Sam Jones"), Field("Due", "Fri 4 Dec 2026")),
            buttons=(
                Button("Done", f"done C-{i}", style="primary"),
                Button("Snooze 1 day", f"snooze C-{i} for 1 day"),
                Button("Reassign", f"reassign C-{i}", picks_person=True),
            ),
            highlight=i % 2 == 0,
            link=f"https://slack.example/archives/C1/p{i:016d}",
        )
        for i in range(start, start + n)
    )


HUGE = Reply(
    headline="H" * 5000,
    body="\n".join("b" * 200 for _ in range(100)),  # 20,000 characters over many lines
    fields=tuple(Field(f"Field {i}", "v" * 3000) for i in range(12)),
    sections=(
        Section("First", _items(300, text="x" * 4000)),
        Section("Second", _items(300, text="<&>" * 1000, start=301), more=5, more_command="list"),
    ),
)


def test_an_oversized_reply_still_renders_as_a_valid_slack_message_that_counts_what_it_cut():
    message = bk.message(HUGE)

    check_slack_message(message)
    shown = str(message["blocks"])
    kept = len(slack_refs(message))
    assert f"…and {300 - kept} more." in shown  # the first section's tail, counted
    assert "…and 305 more: `list`" in shown  # the second's, with how to see them


def test_an_oversized_reply_still_renders_as_a_teams_card_under_the_size_limit():
    card = check_teams(HUGE)

    assert len(json.dumps(card)) <= cards.CARD_BYTES
    assert any("more" in str(e.get("text")) for e in card["body"])


def test_a_page_cut_short_by_the_card_size_moves_next_to_the_first_item_left_out():
    page = Page(command="list open", start=15, shown=15, total=100, size=15)
    reply = Reply(
        headline="Open commitments (100)",
        sections=(Section("Open", _items(15, text="y" * 3500, start=16)),),
        page=page,
    )

    card = check_teams(reply)
    shown = card_refs(card)

    assert 0 < len(shown) < 15 and shown == list(range(16, 16 + len(shown)))
    assert card_button_command(card, "Next") == f"list open from {16 + len(shown)}"
    assert card_button_command(card, "Previous") == "list open from 1"
    assert any(f"16\u2013{15 + len(shown)} of 100" in str(e.get("text")) for e in card["body"])


def test_a_slack_page_that_does_not_fit_moves_next_the_same_way():
    page = Page(command="list open", start=0, shown=30, total=30, size=30)
    reply = Reply(
        headline="Open (30)", body="A body", sections=(Section("Open", _items(30)),), page=page
    )

    message = bk.message(reply)

    check_slack_message(message)
    shown = slack_refs(message)
    assert shown == list(range(1, len(shown) + 1)) and len(shown) < 30
    assert slack_button_command(message, f"{bk.PAGE_ACTION}:next") == (
        f"list open from {len(shown) + 1}"
    )
    assert f"1\u2013{len(shown)} of 30" in message["text"]


def test_a_view_allows_a_hundred_blocks():
    view = bk.home_view(Reply(headline="Home", sections=(Section("Mine", _items(60)),)))

    check_slack_view(view)
    assert 50 < len(view["blocks"]) <= 100


@pytest.mark.parametrize("kind", ["decision", "commitment"])
def test_the_log_forms_are_valid_adaptive_cards_1_5(kind: str) -> None:
    form = cards.log_form(
        kind=kind, text="Send the DPIA draft", owner="aad-sam", due=dt.date(2026, 12, 4)
    )

    check_card(form)


def test_a_long_card_asks_for_the_full_width_and_a_short_one_does_not():
    long = cards.reply_card(Reply(headline="Open (2)", sections=(Section("Open", _items(2)),)))
    short = cards.reply_card(Reply(headline="C-1 done"))

    assert long["msteams"] == {"width": "Full"}
    assert "msteams" not in short
    check_card(long)
    check_card(short)


def test_an_action_execute_with_an_owner_field_is_read_as_the_command_and_owner():
    from integrations.teams.activities import button_command

    activity = {
        "type": "invoke",
        "value": {
            "action": {
                "verb": "joinedup",
                "data": {"command": "reassign C-4", "owner": " pat@police.example "},
            }
        },
    }

    assert button_command(activity) == ("reassign C-4 pat@police.example", None)


def test_a_paged_reply_with_counted_sections_survives_the_outbox_unchanged():
    from commands.reminders import reply_as_dict

    reply = Reply(
        headline="Open (40)",
        sections=(Section("Open", _items(2), more=3, more_command="list overdue"),),
        page=Page(command="list open", start=15, shown=2, total=40, size=15),
    )

    assert Reply.from_dict(reply.to_dict()) == reply
    assert Reply.from_dict(reply_as_dict(reply)) == reply
    assert "Showing 16\u201317 of 40. Next: `list open from 18`" in reply.to_text()
    assert "…and 3 more: `list overdue`" in reply.to_text()
