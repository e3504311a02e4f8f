"""``bot.bootstrap``: every role built from its own settings, nothing set at start-up for all.

The roles deliver what they should through the same kinds of notifiers, and the links a
reply carries point at the server of the settings it was built from, even with several
built in one process (a console, a Slack server and a Teams server side by side)."""

from __future__ import annotations

import io
from collections.abc import Callable

from bot.bootstrap import bootstrap
from bot.settings import Settings, SlackSettings, TeamsSettings
from storage import outbox
from storage.database import Database
from tests.background import Server
from tests.clocks import ServerTime
from tests.e2e.slack_harness import BOT_TOKEN, SIGNING_SECRET, serve_slack
from tests.e2e.teams_support import channel_message, post
from tests.fakes.bot_connector import FakeBotConnector
from tests.fakes.slack_api import FakeSlackApi

LEAD = "alex@council.example"


def both_platforms(db: Database) -> Settings:
    return Settings(
        database_url=db.url,
        slack=SlackSettings(
            bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET, api_url="http://127.0.0.1:9/api/"
        ),
        teams=TeamsSettings(app_id="00000000-0000-0000-0000-000000000001", app_password="pw"),
    )


def test_each_role_sends_its_kinds_through_the_same_kinds_of_notifier(db: Database) -> None:
    settings = both_platforms(db)
    built = {role: bootstrap(role, settings, db=db) for role in ("serve", "worker", "remind")}
    chat = bootstrap("chat", settings, db=db)

    def platforms(role: str) -> list[tuple[str, str]]:
        return sorted((p, type(n).__name__) for p, n in built[role].notifiers.items())

    every = set(outbox.POLICIES)
    assert {role: (platforms(role), set(b.kinds)) for role, b in built.items()} == {
        "serve": ([("slack", "SlackNotifier"), ("teams", "TeamsNotifier")], every),
        "worker": ([("slack", "SlackNotifier"), ("teams", "TeamsNotifier")], every),
        "remind": (
            [("slack", "SlackNotifier"), ("teams", "TeamsNotifier")],
            {outbox.NUDGE, outbox.DIGEST, outbox.ESCALATION},
        ),
    }
    assert (dict(chat.notifiers), chat.kinds) == ({}, frozenset())


def test_the_server_sends_through_its_own_adapters_and_its_engine_has_their_notifiers(
    db: Database,
) -> None:
    serve = bootstrap("serve", both_platforms(db).with_(scheduler_enabled=True), db=db)
    worker = bootstrap("worker", both_platforms(db), db=db)

    # One Slack client and one Teams adapter for requests and for proactive sends.
    assert serve.slack is not None
    assert serve.notifiers["slack"] is serve.slack.notifier
    assert serve.notifiers["teams"].adapter is serve.teams.adapter  # type: ignore[attr-defined]
    # The engine and the scheduler were built with those notifiers, not given them later.
    assert serve.scheduler is not None
    for process in (serve, worker):
        assert process.delivery.notifiers == dict(process.notifiers)
        assert process.scheduler is not None
        assert dict(process.scheduler.notifiers) == dict(process.notifiers)


def dashboard_link(text: str) -> str:
    [link] = [w for w in text.replace('"', " ").split() if "/web/sign-in/" in w]
    return link


def test_two_consoles_built_from_different_settings_link_to_their_own_servers(
    db: Database, tmp_path
) -> None:
    public = bootstrap(
        "chat", Settings(database_url=db.url, public_url="https://joinedup.example.org/"), db=db
    ).console
    local = bootstrap("chat", Settings(database_url=db.url, port=4000), db=db).console

    def dashboard(console) -> str:  # type: ignore[no-untyped-def]
        out = io.StringIO()
        errors = console.run(team_name="Rough Sleeping", email=LEAD, lines=["dashboard"], out=out)
        assert errors == 0, out.getvalue()
        return dashboard_link(out.getvalue())

    assert dashboard(public).startswith("https://joinedup.example.org/web/sign-in/")
    assert dashboard(local).startswith("http://127.0.0.1:4000/web/sign-in/")
    # Building the second changed nothing for the first.
    assert dashboard(public).startswith("https://joinedup.example.org/web/sign-in/")


def test_slack_and_teams_servers_in_one_process_each_link_to_their_own_public_url(
    db: Database,
    make_server: Callable[..., Server],
    connector: FakeBotConnector,
    server_time: ServerTime,
) -> None:
    fake = FakeSlackApi().serve(server_time.loop)
    fake.add_user("U1", name="Alex Morgan", email=LEAD)
    slack = serve_slack(server_time, db, fake, JOINEDUP_PUBLIC_URL="https://slack-side.example")
    # Built after the Slack server: on today's main it moved every link to its own URL.
    teams = make_server(public_url="https://teams-side.example")

    assert slack.ask("/joinedup", "team create Rough Sleeping")["response_type"]
    slack_link = dashboard_link(slack.ask("/joinedup", "dashboard")["text"])
    post(teams.url, channel_message("team create Delivery", service_url=connector.url))
    post(teams.url, channel_message("dashboard", service_url=connector.url))
    teams_link = dashboard_link(connector.wait_for(2)[1].card_text)

    assert slack_link.startswith("https://slack-side.example/web/sign-in/")
    assert teams_link.startswith("https://teams-side.example/web/sign-in/")
