"""Teams through the real server: a personal chat answers person-level commands, and a
list's Next refreshes its card in place (Action.Execute), every card valid 1.5."""

from __future__ import annotations

from storage.database import Database
from storage.models import Commitment
from tests.background import Server
from tests.e2e.teams_support import (
    SAM,
    card_action,
    channel_message,
    personal_message,
    post,
)
from tests.fakes.bot_connector import FakeBotConnector
from tests.payload_limits import card_button_command, card_refs, check_card


def _team_with_sams_commitments(server: Server, connector: FakeBotConnector, n: int) -> None:
    post(server.url, channel_message("team create Rough Sleeping", service_url=connector.url))
    for i in range(n):
        post(
            server.url,
            channel_message(
                f"commit <at>Sam</at> Task {i:02d} by 2026-12-{i % 28 + 1:02d}",
                service_url=connector.url,
                mentions=[SAM],
            ),
        )
    connector.wait_for(n + 1)


def test_list_mine_in_a_personal_chat_lists_the_persons_commitments(
    server: Server, connector: FakeBotConnector, db: Database
) -> None:
    _team_with_sams_commitments(server, connector, 3)

    post(server.url, personal_message("list mine", service_url=connector.url))

    answer = connector.wait_for(5)[-1]
    assert "isn't linked" not in answer.card_text
    assert answer.card is not None
    check_card(answer.card)
    assert sorted(card_refs(answer.card)) == [1, 2, 3]


def test_done_in_a_personal_chat_closes_the_commitment(
    server: Server, connector: FakeBotConnector, db: Database
) -> None:
    _team_with_sams_commitments(server, connector, 1)

    post(server.url, personal_message("done C-1", service_url=connector.url))

    answer = connector.wait_for(3)[-1]
    assert answer.card_text.startswith("C-1 done (Sam)")
    with db.uow() as uow:
        assert uow.session.query(Commitment).one().status == "done"


def test_next_refreshes_the_list_card_with_the_next_page(
    server: Server, connector: FakeBotConnector, db: Database
) -> None:
    _team_with_sams_commitments(server, connector, 18)
    post(server.url, personal_message("list mine", service_url=connector.url))
    first = connector.wait_for(20)[-1].card
    assert first is not None and card_refs(first) == list(range(1, 16))
    command = card_button_command(first, "Next")
    assert command == "list mine from 16"

    status, body = post(server.url, card_action(command, sender=SAM, service_url=connector.url))

    assert status == 200 and body["type"] == "application/vnd.microsoft.card.adaptive"
    page = body["value"]
    check_card(page)
    assert card_refs(page) == [16, 17, 18]
    assert card_button_command(page, "Previous") == "list mine from 1"
    assert card_button_command(page, "Next") is None


def test_installing_in_a_personal_chat_welcomes_without_asking_to_link_it(
    server: Server, connector: FakeBotConnector
) -> None:
    added = personal_message("", service_url=connector.url)
    added.update(type="conversationUpdate", membersAdded=[dict(added["recipient"])])
    del added["text"]

    post(server.url, added)

    [welcome] = connector.wait_for(1)
    assert "list mine" in welcome.card_text
    assert "team create" not in welcome.card_text and "Link this" not in welcome.card_text
