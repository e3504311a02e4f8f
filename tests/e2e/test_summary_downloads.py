"""The Teams download link, over real HTTP: the bot's own server on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import io
from urllib.parse import parse_qs, urlencode, urlsplit

import aiohttp
import pytest
from openpyxl import load_workbook

from bot.downloads import summary_link
from bot.server import build_app
from bot.settings import Settings
from commands.weekly import IsoWeek
from storage.database import Database
from tests.background import BackgroundLoop, Server
from tests.support import Desk

SETTINGS = Settings(secret_key="download-secret")


@pytest.fixture
def bot(db: Database, background: BackgroundLoop) -> Server:
    """The bot's own server, signing with ``SETTINGS``' key."""
    return background.serve(build_app(SETTINGS, db))


async def fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, dict(response.headers), await response.read()


def this_week() -> IsoWeek:
    return IsoWeek.containing(dt.datetime.now(dt.UTC).date())


@pytest.fixture
def desk(db: Database) -> Desk:
    desk = Desk(db, dt.datetime.now(dt.UTC))
    desk.say("dept me Housing")
    desk.say("decision Pool the data budget")
    return desk


def test_a_signed_link_downloads_the_workbook(
    desk: Desk, bot: Server, background: BackgroundLoop
) -> None:
    async def use(base: str) -> None:
        url = summary_link(
            SETTINGS, team_id=1, week=this_week(), now=dt.datetime.now(dt.UTC), base_url=base
        )
        status, headers, body = await fetch(url)
        assert status == 200, body
        assert headers["Content-Type"].startswith(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        assert (
            f'filename="joinedup-rough-sleeping-{this_week().label}.xlsx"'
            in (headers["Content-Disposition"])
        )
        wb = load_workbook(io.BytesIO(body))
        summary = {r[0]: r[1] for r in wb["Summary"].iter_rows(max_col=2, values_only=True)}
        assert summary["Team"] == "Rough Sleeping" and summary["Decisions made"] == 1

    background.run(use(bot.url))


@pytest.mark.parametrize(
    "tamper",
    [
        {"team": "2"},
        {"week": "2026-W01"},
        {"exp": "9999999999"},
        {"sig": "0" * 64},
        {"sig": ""},
        # Each of these was a 500 (int("²") and compare_digest on a non-ASCII str raise).
        {"sig": "é" * 64},
        {"exp": "²"},
        {"team": "¹"},
        {"week": "2026-W0١"},
    ],
)
def test_a_tampered_link_is_refused(
    desk: Desk, bot: Server, background: BackgroundLoop, tamper: dict[str, str]
) -> None:
    async def use(base: str) -> None:
        url = summary_link(
            SETTINGS, team_id=1, week=this_week(), now=dt.datetime.now(dt.UTC), base_url=base
        )
        parts = urlsplit(url)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()} | tamper
        status, _, body = await fetch(f"{base}{parts.path}?{urlencode(query)}")
        assert status == 403 and (b"not valid" in body or b"incomplete" in body)

    background.run(use(bot.url))


def test_an_expired_link_is_refused_and_another_servers_key_does_not_sign(
    desk: Desk, bot: Server, background: BackgroundLoop
) -> None:
    async def use(base: str) -> None:
        long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=8)
        expired = summary_link(SETTINGS, team_id=1, week=this_week(), now=long_ago, base_url=base)
        status, _, body = await fetch(expired)
        assert status == 403 and b"expired" in body
        foreign = summary_link(
            Settings(secret_key="another-key"),
            team_id=1,
            week=this_week(),
            now=dt.datetime.now(dt.UTC),
            base_url=base,
        )
        assert (await fetch(foreign))[0] == 403
        assert (await fetch(f"{base}/downloads/summary"))[0] == 403

    background.run(use(bot.url))


def test_without_a_public_url_no_link_can_be_made() -> None:
    with pytest.raises(ValueError, match="JOINEDUP_PUBLIC_URL"):
        summary_link(Settings(), team_id=1, week=this_week(), now=dt.datetime.now(dt.UTC))
