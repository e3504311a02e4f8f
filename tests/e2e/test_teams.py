"""Teams end to end: Bot Framework activities POSTed to the real server's /api/messages
(anonymous mode), the bot's replies received by a fake Bot Connector on loopback."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from commands.dates import parse_when
from commands.rules import local_today
from storage.database import Database
from storage.models import (
    AuditEvent,
    Commitment,
    ConversationReference,
    Decision,
    OutboxMessage,
    Person,
    PlatformIdentity,
)
from tests.background import Server
from tests.e2e.teams_support import (
    ALEX,
    CHANNEL,
    PAT,
    SAM,
    card_action,
    channel_message,
    fixture,
    personal_message,
    post,
)
from tests.fakes.bot_connector import FakeBotConnector


def _rows(db: Database, model, *where):
    with db.uow() as uow:
        found = list(uow.session.scalars(select(model).where(*where)).unique())
        uow.session.expunge_all()
        return found


def _create_team(server: Server, connector: FakeBotConnector) -> None:
    status, _ = post(
        server.url, channel_message("team create Rough Sleeping", service_url=connector.url)
    )
    assert status == 201
    assert "Team Rough Sleeping created" in connector.wait_for(1)[0].card_text


def test_a_channel_message_with_mentions_logs_one_commitment_and_replies_with_one_card(
    server: Server, connector: FakeBotConnector, db: Database
) -> None:
    connector.add_member(
        "29:1sam", name="Sam Jones", aad_object_id="aad-sam", email="sam.jones@health.example"
    )
    _create_team(server, connector)

    status, _ = post(server.url, fixture("channel_message_commit", service_url=connector.url))

    assert status == 201
    [commitment] = _rows(db, Commitment)
    assert commitment.number == 1
    assert commitment.text == "send the DPIA"
    today = local_today(dt.datetime.now(dt.UTC), "Europe/London")
    assert commitment.due_date == parse_when("Friday", today=today)
    [sam] = _rows(db, Person, Person.id == commitment.owner_id)
    assert sam.email == "sam.jones@health.example"  # from the roster (TeamsInfo.get_member)
    [identity] = _rows(db, PlatformIdentity, PlatformIdentity.person_id == sam.id)
    assert (identity.platform, identity.tenant, identity.user_id, identity.aad_object_id) == (
        "teams",
        "tenant-1",
        "29:1sam",
        "aad-sam",
    )

    replies = connector.wait_for(2)
    assert len(replies) == 2
    reply = replies[1]
    assert reply.kind == "reply"  # in the thread of the message that asked
    assert reply.activity_id == "1763460000001"
    card = reply.card
    assert card is not None and card["version"] == "1.5" and card["type"] == "AdaptiveCard"
    assert "C-1 logged by Alex Council" in reply.card_text
    assert "Owner: Sam" in reply.card_text
    assert reply.body["summary"].startswith("C-1 logged by Alex Council")
    commands = [a["data"]["command"] for a in card["actions"] if a["type"] == "Action.Execute"]
    assert commands == ["done C-1", "snooze C-1 for 1 day", "snooze C-1 for 1 week"]
    [reassign] = [a for a in card["actions"] if a["type"] == "Action.ShowCard"]
    owner = reassign["card"]["body"][0]  # Adaptive Cards 1.5: a field, not a 1.6 picker
    assert owner["type"] == "Input.Text" and owner["id"] == "owner"
    assert reassign["card"]["actions"][0]["data"] == {"command": "reassign C-1"}


def test_a_redelivered_message_is_acted_on_once(
    server: Server, connector: FakeBotConnector, db: Database
) -> None:
    _create_team(server, connector)
    message = channel_message("decision Pool the data budget", service_url=connector.url)

    assert post(server.url, message)[0] == 201
    assert post(server.url, message)[0] == 201

    assert len(_rows(db, Decision)) == 1
    assert len(connector.wait_for(2)) == 2  # team create + one decision reply


def test_the_done_button_updates_the_card_in_place_and_respects_permissions(
    server: Server, connector: FakeBotConnector, db: Database
) -> None:
    _create_team(server, connector)
    post(server.url, fixture("channel_message_commit", service_url=connector.url))

    status, body = post(server.url, card_action("done C-1", sender=PAT, service_url=connector.url))
    assert status == 200
    assert body["type"] == "application/vnd.microsoft.activity.message"
    assert "Only Sam (the owner)" in body["value"]
    assert _rows(db, Commitment)[0].status == "open"

    status, body = post(server.url, card_action("done C-1", sender=SAM, service_url=connector.url))
    assert status == 200
    assert body["statusCode"] == 200
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    assert body["value"]["version"] == "1.5"
    assert body["value"]["body"][0]["text"] == "C-1 done (Sam)"
    assert [a["data"]["command"] for a in body["value"]["actions"]] == ["reopen C-1"]
    assert _rows(db, Commitment)[0].status == "done"


def test_reassign_from_the_people_picker_gives_the_commitment_to_the_picked_person(
    server: Server, connector: FakeBotConnector, db: Database
) -> None:
    connector.add_member("29:1pat", name="Pat Police", aad_object_id="aad-pat")
    _create_team(server, connector)
    post(server.url, fixture("channel_message_commit", service_url=connector.url))

    status, body = post(
        server.url,
        card_action("reassign C-1", sender=ALEX, person="aad-pat", service_url=connector.url),
    )

    assert status == 200
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    assert "reassigned from Sam to Pat Police" in body["value"]["body"][0]["text"]
    [commitment] = _rows(db, Commitment)
    [pat] = _rows(db, Person, Person.id == commitment.owner_id)
    assert pat.display_name == "Pat Police"


def test_the_message_action_prefills_a_form_and_its_submission_logs_and_replies_in_thread(
    server: Server, connector: FakeBotConnector, db: Database
) -> None:
    connector.add_member("aad-sam", name="Sam", aad_object_id="aad-sam")
    connector.members["aad-sam"]["id"] = "29:1sam"
    _create_team(server, connector)

    status, body = post(server.url, fixture("fetch_task_log_commitment", service_url=connector.url))

    assert status == 200
    task = body["task"]
    assert task["type"] == "continue"
    assert task["value"]["title"] == "Log as commitment"
    form = task["value"]["card"]["content"]
    inputs = {i["id"]: i for i in form["body"]}
    assert "send the DPIA draft" in inputs["text"]["value"]
    assert inputs["owner"]["value"] == "aad-sam"
    today = local_today(dt.datetime.now(dt.UTC), "Europe/London")
    assert inputs["due"]["value"] == parse_when("Friday", today=today).isoformat()

    status, body = post(
        server.url, fixture("submit_action_log_commitment", service_url=connector.url)
    )

    assert status == 200
    assert body == {}
    [commitment] = _rows(db, Commitment)
    assert commitment.due_date == dt.date(2026, 11, 20)
    assert commitment.source_link.endswith("/1763460000500")
    [owner] = _rows(db, Person, Person.id == commitment.owner_id)
    assert owner.display_name == "Sam"
    replies = connector.wait_for(2)
    thread = [s for s in replies if s.conversation_id == f"{CHANNEL};messageid=1763460000500"]
    assert len(thread) == 1 and thread[0].kind == "send"
    assert "C-1 logged by Alex Council" in thread[0].card_text


def test_an_empty_message_action_submission_is_refused_and_writes_nothing(
    server: Server, connector: FakeBotConnector, db: Database
) -> None:
    _create_team(server, connector)
    activity = fixture("submit_action_log_commitment", service_url=connector.url)
    activity["value"]["data"]["text"] = "   "

    status, body = post(server.url, activity)

    assert status == 200
    assert body == {"task": {"type": "message", "value": "The commitment text is missing."}}
    assert _rows(db, Commitment) == []


def test_install_and_personal_chats_store_conversation_references(
    server: Server, connector: FakeBotConnector, db: Database
) -> None:
    status, _ = post(server.url, fixture("conversation_update_install", service_url=connector.url))
    assert status == 201
    post(server.url, personal_message("help", service_url=connector.url))

    channel = _rows(db, ConversationReference, ConversationReference.conversation_id == CHANNEL)
    assert len(channel) == 1
    assert channel[0].conversation_type == "channel"
    assert channel[0].service_url == connector.url
    assert channel[0].person_id is None
    assert channel[0].reference["conversation"]["id"] == CHANNEL
    [personal] = _rows(
        db, ConversationReference, ConversationReference.conversation_type == "personal"
    )
    [sam] = _rows(db, Person, Person.id == personal.person_id)
    assert sam.display_name == "Sam"
    sent = connector.wait_for(2)
    assert "Hello, I'm Joinedup" in sent[0].card_text  # the welcome, in the channel
    assert sent[1].conversation_id == "a:personal-29:1sam"


def test_me_is_then_me_confirm_makes_a_teams_account_and_a_slack_account_one_person(
    server: Server, connector: FakeBotConnector, db: Database
) -> None:
    import re

    from commands.dispatch import dispatch
    from commands.invocation import ChannelRef, Invocation
    from storage import people

    with db.uow() as uow:
        slack_sam = people.resolve_identity(
            uow.session,
            platform="slack",
            tenant="T1",
            user_id="U123SAM",
            display_name="Sam Jones",
            email="sam.jones@health.example",
        )
        uow.commit()
    _create_team(server, connector)
    post(server.url, fixture("channel_message_commit", service_url=connector.url))
    [commitment] = _rows(db, Commitment)
    assert commitment.owner_id != slack_sam.id  # Teams gave no email: a second Person

    post(server.url, personal_message("me is sam.jones@health.example", service_url=connector.url))

    claim_text = connector.wait_for(3)[-1].card_text
    found = re.search(r"say `me confirm ([A-Z0-9]{8})` from your other account", claim_text)
    assert found, claim_text
    [commitment] = _rows(db, Commitment)
    assert commitment.owner_id != slack_sam.id  # nothing joined until Slack confirms
    confirmed = dispatch(
        Invocation(
            text=f"me confirm {found.group(1)}",
            person_id=slack_sam.id,
            platform="slack",
            now=dt.datetime.now(dt.UTC),
            channel=ChannelRef(platform="slack", tenant="T1", channel_id="D-SAM"),
        ),
        db.uow,
    )

    assert confirmed.ok, confirmed.headline
    assert "one person on slack, teams" in confirmed.headline
    [commitment] = _rows(db, Commitment)
    assert commitment.owner_id == slack_sam.id
    platforms = {
        i.platform for i in _rows(db, PlatformIdentity, PlatformIdentity.person_id == slack_sam.id)
    }
    assert platforms == {"slack", "teams"}
    [merged] = _rows(db, AuditEvent, AuditEvent.action == "person.merged")
    assert merged.after["merged_into"] == slack_sam.id


def test_a_teams_change_writes_an_outbox_row_for_the_teams_linked_slack_channel(
    server: Server, connector: FakeBotConnector, db: Database
) -> None:
    from commands.dispatch import dispatch
    from commands.invocation import ChannelRef, Invocation
    from storage import people

    _create_team(server, connector)
    post(server.url, channel_message("team link", service_url=connector.url))
    code = connector.wait_for(2)[1].card_text.split("Join code for Rough Sleeping: ")[1][:8]
    with db.uow() as uow:
        slack_user = people.resolve_identity(
            uow.session, platform="slack", tenant="T1", user_id="U1", display_name="Jo"
        )
        uow.commit()
    joined = dispatch(
        Invocation(
            text=f"team join {code}",
            person_id=slack_user.id,
            platform="slack",
            now=dt.datetime.now(dt.UTC),
            channel=ChannelRef(platform="slack", tenant="T1", channel_id="C-SLACK"),
        ),
        db.uow,
    )
    assert joined.ok, joined.headline

    post(server.url, channel_message("decision Pool the data budget", service_url=connector.url))

    rows = _rows(db, OutboxMessage, OutboxMessage.platform == "slack")
    assert [r.payload["headline"] for r in rows] == ["D-1 logged by Alex Council"]
    assert rows[0].status == "pending"  # no Slack notifier on this server: left for one


def test_with_an_app_id_a_request_without_a_valid_token_gets_401_and_writes_nothing(
    make_server, connector: FakeBotConnector, db: Database
) -> None:
    from bot.settings import TeamsSettings

    server = make_server(
        teams=TeamsSettings(app_id="00000000-0000-0000-0000-000000000001", app_password="pw")
    )
    activity = fixture("channel_message_commit", service_url=connector.url)

    assert post(server.url, activity)[0] == 401
    assert post(server.url, activity, headers={"Authorization": "Bearer not.a.jwt"})[0] == 401

    assert _rows(db, Person) == []
    assert _rows(db, ConversationReference) == []
    assert connector.sent == []


def test_the_snooze_button_snoozes_for_a_week_and_returns_the_updated_card(
    server: Server, connector: FakeBotConnector, db: Database
) -> None:
    _create_team(server, connector)
    post(server.url, fixture("channel_message_commit", service_url=connector.url))

    status, body = post(
        server.url, card_action("snooze C-1 for 1 week", sender=SAM, service_url=connector.url)
    )

    assert status == 200
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    assert body["value"]["body"][0]["text"].startswith("C-1 snoozed until")
    today = local_today(dt.datetime.now(dt.UTC), "Europe/London")
    assert _rows(db, Commitment)[0].snoozed_until == today + dt.timedelta(days=7)
