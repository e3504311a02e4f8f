"""Replies that could not ride on the acknowledgement: written to the outbox as kind "reply"
with a platform address, delivered by the outbox worker to the fake Slack API and the fake
Bot Connector, each the way its address says."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import select

from bot.notifiers import build_notifiers
from bot.outbox import deliver_outbox
from bot.settings import Settings
from commands.reply import Reply
from integrations.slack.notifier import SlackNotifier, single_token
from integrations.teams.endpoint import mount_teams
from storage import outbox
from storage.database import Database
from storage.models import OutboxMessage
from tests.background import BackgroundLoop
from tests.e2e.slack_harness import BOT_TOKEN
from tests.fakes.bot_connector import FakeBotConnector
from tests.fakes.slack_api import FakeSlackApi

NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
REPLY = Reply(headline="D-7 logged by Jo", body="Pool the data budget", visibility="channel")
PRIVATE = Reply(headline="You have 2 open commitments", visibility="private")


@pytest.fixture
def slack_api(background: BackgroundLoop) -> tuple[FakeSlackApi, BackgroundLoop]:
    return FakeSlackApi().serve(background), background


def _slack_address(**changes: Any) -> dict[str, Any]:
    address: dict[str, Any] = {
        "tenant": "T1",
        "channel": "C1",
        "thread_ts": None,
        "user": "U1",
        "ephemeral": False,
        "update_ts": None,
        "response_url": None,
    }
    return {**address, **changes}


def _enqueue(db: Database, *, platform: str, address: dict[str, Any], reply: Reply) -> int:
    with db.uow() as uow:
        row_id = outbox.enqueue(
            uow.session,
            kind="reply",
            platform=platform,
            payload=reply.to_dict(),
            now=NOW,
            address=address,
        )
        uow.commit()
    assert row_id is not None
    return row_id


def _row(db: Database, row_id: int) -> OutboxMessage:
    with db.uow() as uow:
        row = uow.session.scalars(select(OutboxMessage).where(OutboxMessage.id == row_id)).one()
        uow.session.expunge(row)
        return row


def _deliver_slack(db: Database, fake: FakeSlackApi, loop: BackgroundLoop) -> None:
    notifier = SlackNotifier(db=db, tokens=single_token(BOT_TOKEN), api_url=f"{fake.base_url}/api/")
    loop.run(deliver_outbox(db, {"slack": notifier}, now=NOW, worker_id="w1"))


def test_a_slack_reply_in_a_thread_is_posted_there_and_marked_sent(db, slack_api):
    fake, loop = slack_api
    row_id = _enqueue(db, platform="slack", address=_slack_address(thread_ts="1700.1"), reply=REPLY)

    _deliver_slack(db, fake, loop)

    (post,) = fake.calls_to("chat.postMessage")
    assert (post.params["channel"], post.params["thread_ts"]) == ("C1", "1700.1")
    assert post.params["text"] == REPLY.to_text()
    row = _row(db, row_id)
    assert (row.status, row.attempts, row.deadline) == ("sent", 1, NOW + dt.timedelta(hours=1))


def test_a_private_slack_reply_is_ephemeral_to_the_person_who_asked(db, slack_api):
    fake, loop = slack_api
    _enqueue(db, platform="slack", address=_slack_address(ephemeral=True), reply=PRIVATE)

    _deliver_slack(db, fake, loop)

    (post,) = fake.calls_to("chat.postEphemeral")
    assert (post.params["channel"], post.params["user"]) == ("C1", "U1")
    assert fake.calls_to("chat.postMessage") == []


def test_a_slack_reply_with_update_ts_replaces_that_message(db, slack_api):
    fake, loop = slack_api
    _enqueue(db, platform="slack", address=_slack_address(update_ts="1700.2"), reply=REPLY)

    _deliver_slack(db, fake, loop)

    (update,) = fake.calls_to("chat.update")
    assert (update.params["channel"], update.params["ts"]) == ("C1", "1700.2")
    assert fake.calls_to("chat.postMessage") == []


def test_a_slack_reply_with_a_response_url_goes_there_and_nowhere_else(db, slack_api):
    fake, loop = slack_api
    url = f"{fake.base_url}/response/T1/abc"
    _enqueue(
        db,
        platform="slack",
        address=_slack_address(response_url=url, ephemeral=True),
        reply=PRIVATE,
    )

    _deliver_slack(db, fake, loop)

    (call,) = [c for c in fake.calls if c.method == "response_url"]
    assert call.params["response_type"] == "ephemeral"
    assert call.params["text"] == PRIVATE.to_text()
    assert [c.method for c in fake.calls] == ["response_url"]


def test_a_reply_whose_slack_send_fails_is_retried_later_not_lost(db, slack_api):
    fake, loop = slack_api
    fake.fail_next("chat.postMessage", error="internal_error", status=500)
    row_id = _enqueue(db, platform="slack", address=_slack_address(), reply=REPLY)

    _deliver_slack(db, fake, loop)

    row = _row(db, row_id)
    assert row.status == "pending" and row.next_attempt_at > NOW
    assert "500" in (row.last_error or "")


def _teams_notifiers(db: Database):
    endpoint = mount_teams(web.Application(), db=db, config=Settings().teams)
    return build_notifiers(Settings(), db, teams=endpoint)


def _teams_address(connector: FakeBotConnector, **changes: Any) -> dict[str, Any]:
    address: dict[str, Any] = {
        "tenant": "tenant-1",
        "conversation_id": "19:abc@thread.tacv2",
        "service_url": connector.url,
        "reply_to_id": None,
        "update_activity_id": None,
    }
    return {**address, **changes}


def test_a_teams_reply_is_posted_in_reply_to_the_request(
    db, connector: FakeBotConnector, background: BackgroundLoop
):
    row_id = _enqueue(
        db, platform="teams", address=_teams_address(connector, reply_to_id="act-9"), reply=REPLY
    )

    background.run(deliver_outbox(db, _teams_notifiers(db), now=NOW, worker_id="w1"))

    (sent,) = connector.sent
    assert (sent.kind, sent.conversation_id, sent.activity_id) == (
        "reply",
        "19:abc@thread.tacv2",
        "act-9",
    )
    assert "D-7 logged by Jo" in sent.card_text
    assert _row(db, row_id).status == "sent"


def test_a_teams_reply_with_an_activity_to_update_replaces_that_card(
    db, connector: FakeBotConnector, background: BackgroundLoop
):
    _enqueue(
        db,
        platform="teams",
        address=_teams_address(connector, update_activity_id="act-3"),
        reply=REPLY,
    )

    background.run(deliver_outbox(db, _teams_notifiers(db), now=NOW, worker_id="w1"))

    (sent,) = connector.sent
    assert (sent.kind, sent.activity_id) == ("update", "act-3")


def test_a_second_enqueue_with_the_same_dedupe_key_writes_nothing(db):
    with db.uow() as uow:
        first = outbox.enqueue(
            uow.session,
            kind="reply",
            platform="slack",
            payload=REPLY.to_dict(),
            now=NOW,
            address=_slack_address(),
            dedupe_key="reply:slack:trigger-1",
        )
        second = outbox.enqueue(
            uow.session,
            kind="reply",
            platform="slack",
            payload=REPLY.to_dict(),
            now=NOW,
            address=_slack_address(),
            dedupe_key="reply:slack:trigger-1",
        )
        uow.commit()
    assert isinstance(first, int) and second is None


def test_a_reply_address_with_nowhere_to_go_fails_at_once_and_is_not_retried(db, slack_api):
    fake, loop = slack_api
    row_id = _enqueue(db, platform="slack", address={"tenant": "T1"}, reply=REPLY)

    _deliver_slack(db, fake, loop)

    row = _row(db, row_id)
    assert row.status == "failed" and "channel or user" in (row.last_error or "")
    assert fake.calls == []
