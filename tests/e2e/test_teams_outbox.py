"""One joint log: a change made on Slack is announced in the team's Teams channel, once,
through the outbox, also when the connector fails and when two deliverers race."""

from __future__ import annotations

import asyncio
import datetime as dt
from urllib.parse import parse_qs, urlsplit

from aiohttp import web
from sqlalchemy import select

from bot.downloads import signing_key
from bot.notifiers import build_notifiers
from bot.outbox import deliver_outbox
from bot.settings import Settings
from commands.dispatch import dispatch
from commands.invocation import ChannelRef, Invocation
from commands.reply import Reply, SummaryAttachment
from integrations.spreadsheet.links import verify
from integrations.teams.endpoint import mount_teams
from storage import people
from storage.database import Database
from storage.models import OutboxMessage
from tests.background import Server
from tests.clocks import ServerTime
from tests.e2e.teams_support import CHANNEL, channel_message, fixture, post
from tests.fakes.bot_connector import FakeBotConnector

SLACK_CHANNEL = ChannelRef(platform="slack", tenant="T1", channel_id="C-SLACK", name="joint")


class SlackSide:
    """The Slack half of the team, driven through the core as the Slack adapter would."""

    def __init__(self, db: Database) -> None:
        self.db = db
        with db.uow() as uow:
            self.person_id = people.resolve_identity(
                uow.session, platform="slack", tenant="T1", user_id="U1JO", display_name="Jo"
            ).id
            uow.commit()

    def say(self, text: str) -> Reply:
        return dispatch(
            Invocation(
                text=text,
                person_id=self.person_id,
                platform="slack",
                now=dt.datetime.now(dt.UTC),
                channel=SLACK_CHANNEL,
            ),
            self.db.uow,
        )


def _linked_team(server: Server, connector: FakeBotConnector, db: Database) -> SlackSide:
    """Install in a Teams channel, create the team there, and join a Slack channel to it."""
    post(server.url, fixture("conversation_update_install", service_url=connector.url))
    post(server.url, channel_message("team create Rough Sleeping", service_url=connector.url))
    post(server.url, channel_message("team link", service_url=connector.url))
    sent = connector.wait_for(3)
    code = sent[2].card_text.split("Join code for Rough Sleeping: ")[1][:8]
    slack = SlackSide(db)
    joined = slack.say(f"team join {code}")
    assert joined.ok, joined.headline
    return slack


def _announcements(connector: FakeBotConnector) -> list[str]:
    return [
        s.card_text.split("\n")[0]
        for s in connector.sent
        if s.conversation_id == CHANNEL and "Hello, I'm Joinedup" not in s.card_text
    ]


def _outbox(db: Database) -> list[OutboxMessage]:
    with db.uow() as uow:
        rows = list(
            uow.session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.platform == "teams")
                .order_by(OutboxMessage.id)
            )
        )
        uow.session.expunge_all()
        return rows


def _notifiers(db: Database):
    """The server's own registry, with a Teams adapter of its own (anonymous)."""
    endpoint = mount_teams(web.Application(), db=db, config=Settings().teams)
    return build_notifiers(Settings(), db, teams=endpoint)


def test_a_decision_logged_on_slack_is_announced_once_in_the_teams_channel(
    make_server, connector: FakeBotConnector, db: Database, server_time: ServerTime
) -> None:
    server = make_server(outbox_tick=0.1)
    slack = _linked_team(server, connector, db)

    reply = slack.say("decision Pool the data budget")  # no kick: the worker's tick finds it
    assert reply.ref == "D-1"

    connector.wait_for(5)  # the install greeting, two answers, two announcements
    server_time.settle()  # and whatever else is due: nothing is sent twice
    # Both at once (a worker sends up to four messages side by side): either order.
    assert sorted(_announcements(connector)) == [
        "A slack channel joined Rough Sleeping's joint log",
        "D-1 logged by Jo",
    ]
    sent = [s for s in connector.sent if "D-1 logged by Jo" in s.card_text]
    assert [(s.kind, s.conversation_id) for s in sent] == [("send", CHANNEL)]
    # The Teams channel shows the same number the Slack channel was given.
    assert [r.status for r in _outbox(db)] == ["sent", "sent"]  # join notice + D-1


def test_a_failed_first_delivery_is_retried_after_backoff_and_posted_once(
    server: Server, connector: FakeBotConnector, db: Database
) -> None:
    slack = _linked_team(server, connector, db)
    notifiers = _notifiers(db)
    slack.say("commit me Send the DPIA by Friday")
    t0 = dt.datetime.now(dt.UTC)
    asyncio.run(deliver_outbox(db, notifiers, now=t0, worker_id="w1", limit=1))  # join notice
    connector.sent.clear()
    connector.fail_next(1, status=500)

    first = asyncio.run(deliver_outbox(db, notifiers, now=t0, worker_id="w1"))
    [row] = [r for r in _outbox(db) if r.payload["headline"].startswith("C-1")]
    assert first.retrying == [row.id] and first.sent == []
    assert row.status == "pending" and row.attempts == 1 and "500" in row.last_error
    assert row.next_attempt_at == t0 + dt.timedelta(seconds=5)
    assert _announcements(connector) == []

    too_soon = asyncio.run(
        deliver_outbox(db, notifiers, now=t0 + dt.timedelta(seconds=2), worker_id="w1")
    )
    assert too_soon.claimed == 0

    later = asyncio.run(
        deliver_outbox(db, notifiers, now=t0 + dt.timedelta(seconds=6), worker_id="w1")
    )
    again = asyncio.run(
        deliver_outbox(db, notifiers, now=t0 + dt.timedelta(minutes=5), worker_id="w1")
    )

    assert later.sent == [row.id] and again.claimed == 0
    assert _announcements(connector) == ["C-1 logged by Jo"]
    [row] = [r for r in _outbox(db) if r.id == row.id]
    assert row.status == "sent" and row.attempts == 2
    [sent] = connector.sent
    assert sent.body["id"] == f"joinedup-outbox-{row.id}"  # deterministic activity id


def test_two_deliverers_racing_post_every_announcement_exactly_once(
    server: Server, connector: FakeBotConnector, db: Database
) -> None:
    slack = _linked_team(server, connector, db)
    connector.sent.clear()
    for i in range(12):
        assert slack.say(f"decision Decision number {i}").ok
    notifiers = _notifiers(db)
    now = dt.datetime.now(dt.UTC)

    async def drain(worker: str) -> int:
        count = 0
        while (
            report := await deliver_outbox(db, notifiers, now=now, worker_id=worker, limit=3)
        ).claimed:
            count += len(report.sent)
        return count

    async def race() -> list[int]:
        return list(await asyncio.gather(drain("w1"), drain("w2"), drain("w3")))

    counts = asyncio.run(race())

    assert sum(counts) == 13  # the join notice and twelve decisions
    headlines = _announcements(connector)
    assert sorted(headlines) == sorted(
        ["A slack channel joined Rough Sleeping's joint log"]
        + [f"D-{n} logged by Jo" for n in range(1, 13)]
    )
    assert {r.status for r in _outbox(db)} == {"sent"}


def test_a_row_stuck_in_sending_after_a_crash_is_claimed_again_after_the_lease(
    server: Server, connector: FakeBotConnector, db: Database
) -> None:
    slack = _linked_team(server, connector, db)
    notifiers = _notifiers(db)
    asyncio.run(deliver_outbox(db, notifiers, now=dt.datetime.now(dt.UTC), worker_id="w1"))
    connector.sent.clear()
    slack.say("decision Pool the data budget")
    now = dt.datetime.now(dt.UTC)
    from storage import outbox  # a worker that leases and then dies

    with db.uow() as uow:
        claimed = outbox.lease(uow.session, platforms=["teams"], now=now, worker="crashed")
        assert claimed is not None
        uow.commit()

    during = asyncio.run(
        deliver_outbox(db, notifiers, now=now + dt.timedelta(seconds=30), worker_id="w2")
    )
    after = asyncio.run(
        deliver_outbox(db, notifiers, now=now + dt.timedelta(seconds=61), worker_id="w2")
    )

    assert during.claimed == 0
    assert after.sent == [claimed.id]
    assert _announcements(connector) == ["D-1 logged by Jo"]


def test_the_notifier_reaches_a_person_in_their_personal_chat_and_shares_a_download_link(
    server: Server, connector: FakeBotConnector, db: Database
) -> None:
    from tests.e2e.teams_support import personal_message

    _linked_team(server, connector, db)
    post(server.url, personal_message("help", service_url=connector.url))
    with db.uow() as uow:
        sam_id = people.identity(
            uow.session, platform="teams", tenant="tenant-1", user_id="29:1sam"
        ).id  # type: ignore[union-attr]
        jo_id = people.identity(uow.session, platform="slack", tenant="T1", user_id="U1JO").id  # type: ignore[union-attr]
    endpoint = mount_teams(web.Application(), db=db, config=Settings().teams)
    public = Settings(public_url="https://bot.example", secret_key="download-secret")
    teams = build_notifiers(public, db, teams=endpoint)["teams"]
    connector.sent.clear()
    nudge = Reply(headline="C-1 is overdue", body="Send the DPIA")
    summary = Reply(
        headline="Weekly summary", summary=SummaryAttachment(team_id=1, week="2026-W47")
    )
    now = dt.datetime(2026, 11, 20, 16, 5, tzinfo=dt.UTC)

    async def deliver() -> tuple[bool, bool]:
        reached = await teams.send_to_person(person_id=sam_id, reply=nudge)
        unreachable = await teams.send_to_person(person_id=jo_id, reply=nudge)
        await teams.share_summary(tenant="tenant-1", channel_id=CHANNEL, reply=summary, now=now)
        return reached, unreachable

    assert asyncio.run(deliver()) == (True, False)
    # (the server's own outbox worker may deliver the join notice meanwhile; leave it out)
    personal, shared = [s for s in connector.sent if "joined Rough Sleeping" not in s.card_text]
    assert personal.conversation_id == "a:personal-29:1sam"
    assert "C-1 is overdue" in personal.card_text
    assert shared.conversation_id == CHANNEL
    [download] = shared.card["actions"]
    assert (download["type"], download["title"]) == ("Action.OpenUrl", "Download")
    url = urlsplit(download["url"])
    assert url.netloc == "bot.example" and url.path == "/downloads/summary"
    q = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert (q["team"], q["week"]) == ("1", "2026-W47")
    assert int(q["exp"]) > now.timestamp()
    assert verify(
        signing_key(public), team_id=1, week="2026-W47", expires=int(q["exp"]), sig=q["sig"]
    )
