"""SlackNotifier against the fake Web API: channel posts, direct messages, the weekly
summary's workbook, failures."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from commands.ports import DeliveryError
from commands.reply import Reply, SummaryAttachment
from integrations.slack.notifier import SlackNotifier, single_token
from storage import people
from storage.database import Database
from tests.background import BackgroundLoop
from tests.e2e.slack_harness import BOT_TOKEN
from tests.fakes.slack_api import FakeSlackApi
from tests.support import Desk

REPLY = Reply(headline="C-4 is overdue", body="Send the DPIA draft", visibility="channel")


@pytest.fixture
def api(background: BackgroundLoop) -> tuple[FakeSlackApi, BackgroundLoop]:
    return FakeSlackApi().serve(background), background


def notifier(db: Database, fake: FakeSlackApi) -> SlackNotifier:
    return SlackNotifier(db=db, tokens=single_token(BOT_TOKEN), api_url=f"{fake.base_url}/api/")


def test_a_channel_post_carries_blocks_and_the_text_fallback(db, api):
    fake, loop = api

    loop.run(notifier(db, fake).post_to_channel(tenant="T1", channel_id="C1", reply=REPLY))

    (post,) = fake.calls_to("chat.postMessage")
    assert post.token == BOT_TOKEN
    assert post.params["text"] == REPLY.to_text()
    assert post.params["blocks"][0]["text"]["text"] == "*C-4 is overdue*"


def test_a_person_with_a_slack_identity_gets_a_direct_message(db, api):
    fake, loop = api
    with db.uow() as uow:
        person = people.resolve_identity(
            uow.session, platform="slack", tenant="T1", user_id="U2", display_name="Sam"
        )
        uow.commit()

    sent = loop.run(notifier(db, fake).send_to_person(person_id=person.id, reply=REPLY))

    assert sent is True
    assert fake.calls_to("conversations.open")[0].params["users"] == "U2"
    assert fake.calls_to("chat.postMessage")[0].params["channel"] == "D2"


def test_a_person_without_a_slack_identity_is_not_reachable_here(db, api):
    fake, loop = api
    with db.uow() as uow:
        person = people.find_or_create_by_email(uow.session, "teams.only@health.example")
        uow.commit()

    assert loop.run(notifier(db, fake).send_to_person(person_id=person.id, reply=REPLY)) is False
    assert fake.calls == []


def test_a_weekly_summary_is_uploaded_as_its_workbook_with_the_reply_as_its_comment(db, api):
    fake, loop = api
    now = dt.datetime(2026, 11, 20, 16, 5, tzinfo=dt.UTC)
    Desk(db, now).say("decision Pool the data budget")
    summary = Reply(
        headline="Weekly summary", summary=SummaryAttachment(team_id=1, week="2026-W47")
    )

    loop.run(notifier(db, fake).share_summary(tenant="T1", channel_id="C1", reply=summary, now=now))

    (complete,) = fake.calls_to("files.completeUploadExternal")
    assert complete.params["channel_id"] == "C1"
    assert complete.params["initial_comment"] == summary.to_text()
    [content] = fake.uploads.values()
    sheet = load_workbook(io.BytesIO(content), read_only=True)["Summary"]
    assert ("Decisions made", 1) in [tuple(row[:2]) for row in sheet.iter_rows(values_only=True)]


def test_a_reply_without_a_summary_is_not_shared_as_one(db, api):
    fake, loop = api
    now = dt.datetime(2026, 11, 20, 16, 5, tzinfo=dt.UTC)

    with pytest.raises(DeliveryError) as raised:
        loop.run(
            notifier(db, fake).share_summary(tenant="T1", channel_id="C1", reply=REPLY, now=now)
        )

    assert raised.value.permanent is True
    assert fake.calls == []


def test_a_channel_the_bot_cannot_post_in_is_a_permanent_delivery_error(db, api):
    fake, loop = api
    fake.fail_next("chat.postMessage", error="not_in_channel")

    with pytest.raises(DeliveryError) as raised:
        loop.run(notifier(db, fake).post_to_channel(tenant="T1", channel_id="C1", reply=REPLY))

    assert raised.value.permanent is True


def test_a_rate_limit_raises_at_once_saying_when_to_come_back(db, api):
    """The notifier never sleeps out a 429: the delivery engine reschedules the row."""
    fake, loop = api
    fake.fail_next("chat.postMessage", status=429, retry_after=30)

    with pytest.raises(DeliveryError) as raised:
        loop.run(notifier(db, fake).post_to_channel(tenant="T1", channel_id="C1", reply=REPLY))

    assert raised.value.retry_after == 30.0
    assert raised.value.permanent is False
    assert len(fake.calls_to("chat.postMessage", ok_only=False)) == 1
