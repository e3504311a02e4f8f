"""A stranger's request on any route is a 4xx with nothing written and nothing logged of its
body; anonymous Teams mode cannot be steered to another service URL; a redelivery that
failed the first time is acted on."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import jwt
import pytest
from botframework.connector.auth import jwt_token_extractor
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from sqlalchemy import select

from bot.settings import TeamsSettings
from storage.database import Database
from storage.models import ConversationReference, Decision, InboundEvent, Person
from tests.background import BackgroundLoop, Server
from tests.e2e.slack_harness import sign
from tests.e2e.teams_support import CHANNEL, channel_message, fixture, post
from tests.e2e.test_slack_commands import create_team
from tests.fakes.bot_connector import FakeBotConnector


def _rows(db: Database, model: Any, *where: Any) -> list[Any]:
    with db.uow() as uow:
        found = list(uow.session.scalars(select(model).where(*where)))
        uow.session.expunge_all()
        return found


# --- Teams: checked before anything parses or stores it -------------------------------------


def test_a_deeply_nested_activity_is_a_400_not_a_500(
    server: Server, connector: FakeBotConnector, db: Database
) -> None:
    activity = channel_message("decision Pool it", service_url=connector.url)
    activity["value"] = "DEEP"
    raw = json.dumps(activity).replace('"DEEP"', "[" * 100_000 + "]" * 100_000)

    request = urllib.request.Request(
        server.url + "/api/messages",
        data=raw.encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=20)

    assert refused.value.code == 400 and b"nested" in refused.value.read()
    assert _rows(db, Person) == [] and connector.sent == []


@pytest.mark.parametrize(
    "change",
    [
        {"entities": {"type": "mention"}},
        {"entities": ["not an object"]},
        {"from": "29:1alex"},
        {"conversation": ["19:general"]},
        {"serviceUrl": 42},
        {"from": {"id": {"nested": "id"}, "name": "Alex"}},
        {"entities": [{"type": "mention", "mentioned": "29:1sam", "text": "<at>Sam</at>"}]},
    ],
)
def test_an_activity_of_the_wrong_shape_is_a_400_and_writes_nothing(
    server: Server, connector: FakeBotConnector, db: Database, change: dict[str, Any]
) -> None:
    activity = channel_message("decision Pool it", service_url=connector.url) | change

    status, _ = post(server.url, activity)

    assert status == 400
    assert _rows(db, Person) == [] and _rows(db, ConversationReference) == []
    assert connector.sent == []


def test_an_activity_naming_a_service_url_off_the_allow_list_is_refused_and_nothing_is_sent(
    server: Server, connector: FakeBotConnector, db: Database
) -> None:
    activity = channel_message("team create Rough Sleeping", service_url="https://evil.example/")

    status, _ = post(server.url, activity)

    assert status == 403
    assert _rows(db, Person) == [] and _rows(db, ConversationReference) == []


def test_an_unsigned_activity_cannot_redirect_a_channel_the_bot_already_knows(
    server: Server, connector: FakeBotConnector, db: Database, background: BackgroundLoop
) -> None:
    assert post(server.url, channel_message("team create Rough", service_url=connector.url))[0]
    connector.wait_for(1)
    [known] = _rows(db, ConversationReference)
    other = FakeBotConnector().serve(background)

    # Another loopback "connector" (anonymous mode accepts loopback URLs): it is answered
    # there, but the channel's stored reference still points where it did.
    post(server.url, channel_message("help", service_url=other.url))
    assert len(other.wait_for(1)) == 1

    [after] = _rows(db, ConversationReference)
    assert (after.conversation_id, after.service_url) == (CHANNEL, known.service_url)
    assert after.reference == known.reference


def test_an_activity_refused_the_first_time_is_acted_on_when_redelivered(
    server: Server, connector: FakeBotConnector, db: Database
) -> None:
    # The first delivery changed nothing (the channel had no team yet), so it claimed
    # nothing: its redelivery is not "already handled". (The old claim, committed on its
    # own before the command ran, swallowed it.)
    message = channel_message("decision Pool the data budget", service_url=connector.url)
    assert post(server.url, message)[0] == 201
    assert "isn't linked to a team" in connector.wait_for(1)[0].card_text
    post(server.url, channel_message("team create Rough Sleeping", service_url=connector.url))

    assert post(server.url, message)[0] == 201
    assert post(server.url, message)[0] == 201  # and a third time: once

    assert [d.text for d in _rows(db, Decision)] == ["Pool the data budget"]
    claims = _rows(db, InboundEvent, InboundEvent.source == "teams")
    assert len([c for c in claims if c.key.endswith(f":{message['id']}")]) == 1


@pytest.fixture
def signed_server(make_server: Any) -> Server:
    server: Server = make_server(
        teams=TeamsSettings(app_id="00000000-0000-0000-0000-000000000001", app_password="pw")
    )
    return server


@pytest.fixture
def bot_framework_keys() -> Any:
    """The far side's signing keys, as the SDK's key cache holds them after a fetch (there is
    no network here): one published key, and a private key the Bot Framework never had."""
    published = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(RSAAlgorithm.to_jwk(published.public_key()))
    jwk.update(kid="published-key", endorsements=["msteams"])
    url = "https://login.botframework.com/v1/.well-known/openidconfiguration"
    cache = jwt_token_extractor.JwtTokenExtractor.metadataCache
    saved = cache.get(url)
    metadata = jwt_token_extractor._OpenIdMetadata(url)
    metadata.keys, metadata.last_updated = [jwk], dt.datetime.now()
    cache[url] = metadata
    yield rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if saved is None:
        cache.pop(url, None)
    else:
        cache[url] = saved


@pytest.mark.parametrize("kid", ["forged-key", "published-key"])
def test_a_forged_bot_framework_token_gets_401_and_writes_nothing(
    signed_server: Server,
    connector: FakeBotConnector,
    db: Database,
    bot_framework_keys: Any,
    kid: str,
) -> None:
    # Signed with a key the Bot Framework never published: under a kid it does not know,
    # or under its real kid (the signature then fails). Both were a 503.
    claims = {
        "iss": "https://api.botframework.com",
        "aud": "00000000-0000-0000-0000-000000000001",
        "exp": int(time.time()) + 600,
        "nbf": int(time.time()) - 10,
        "serviceurl": connector.url,
    }
    token = jwt.encode(claims, bot_framework_keys, algorithm="RS256", headers={"kid": kid})
    activity = fixture("channel_message_commit", service_url=connector.url)

    status, _ = post(signed_server.url, activity, headers={"Authorization": f"Bearer {token}"})

    assert status == 401
    assert _rows(db, Person) == [] and connector.sent == []


# --- Slack: verified first, then read; a signed but unreadable body is a 400 ----------------


def _signed(slack: Any, body: str, content_type: str) -> tuple[int, str]:
    return slack.post(body, content_type=content_type)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("payload=%7Bnot+json", "application/x-www-form-urlencoded"),
        ('payload="a string"', "application/x-www-form-urlencoded"),
        ("[1, 2, 3]", "application/json"),
        ('{"type": "event_callback", "event": "not an object"}', "application/json"),
        ("command=%2Fdecision&text=Pool+it", "application/x-www-form-urlencoded"),
        ("\udcff".encode("utf-8", "surrogateescape").decode("latin-1"), "application/json"),
    ],
)
def test_a_correctly_signed_but_malformed_slack_body_is_a_4xx_and_writes_nothing(
    slack: Any, db: Database, body: str, content_type: str
) -> None:
    status, _ = _signed(slack, body, content_type)

    assert 400 <= status < 500
    assert _rows(db, Decision) == []


def test_the_body_of_a_badly_signed_slack_request_is_never_logged(
    slack: Any, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    body = slack.command_body("/decision", "SECRET-MARKER pool the budget")
    ts = int(time.time())

    status, _ = slack.post(
        body,
        content_type="application/x-www-form-urlencoded",
        timestamp=ts,
        signature=sign(body, timestamp=ts, secret="someone-else"),
    )

    assert status == 401
    assert "SECRET-MARKER" not in caplog.text
    assert urllib.parse.quote_plus("SECRET-MARKER") not in caplog.text


def test_a_retried_app_mention_event_logs_one_decision_and_queues_one_reply(
    slack: Any, db: Database
) -> None:
    create_team(slack)
    mention = {
        "type": "app_mention",
        "user": "U1",
        "text": "<@UBOT> decision Pool the data budget",
        "ts": "1763460100.000200",
        "channel": "C1",
        "event_ts": "1763460100.000200",
    }

    answers = [slack.event(mention, event_id="Ev0MENTION1", retry_num=n or None) for n in range(3)]

    assert [status for status, _ in answers] == [200, 200, 200]
    assert [d.text for d in _rows(db, Decision)] == ["Pool the data budget"]
    [reply] = slack.fake.wait_for("chat.postMessage")
    assert reply.params["text"].startswith("D-1 logged by Alex Morgan")
    slack.settle()
    assert len(slack.fake.calls_to("chat.postMessage")) == 1
