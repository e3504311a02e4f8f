"""Signed, expiring download links for the weekly summary workbook.

Teams bots cannot upload files into channels, so a Teams summary carries a link (made
by the Teams adapter with ``summary_links``) to
``/downloads/summary?team=<id>&week=<YYYY-Www>&exp=<unix>&sig=<hex>`` on our own server.
``sig`` is an HMAC-SHA256, keyed with ``JOINEDUP_SECRET_KEY``, of the team, the week and
the expiry; the route checks it in constant time and refuses a tampered or expired link
with 403. Nothing is stored: the workbook is built afresh on each download (off the event
loop), so it shows the log as it is then.

When ``JOINEDUP_SECRET_KEY`` is not set, a random key is made once per process:
links then stop working when the server restarts, and one replica's links fail
on another. Set the key in production.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import secrets
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.settings import Settings
from commands.language import CommandError
from commands.weekly import IsoWeek
from integrations.spreadsheet import XLSX_MEDIA_TYPE, export_week, links
from integrations.spreadsheet.links import LINK_TTL, SUMMARY_PATH, SummaryLinks
from storage.database import Database

log = logging.getLogger(__name__)

_PROCESS_KEY = secrets.token_bytes(32)


def signing_key(settings: Settings) -> bytes:
    """``JOINEDUP_SECRET_KEY``, or this process's random key when it is not set."""
    return settings.secret_key.encode() if settings.secret_key else _PROCESS_KEY


def summary_links(settings: Settings) -> SummaryLinks:
    """What the Teams adapter signs its download links with, and where they point."""
    return SummaryLinks(key=signing_key(settings), base_url=settings.public_url)


def summary_link(
    settings: Settings,
    *,
    team_id: int,
    week: IsoWeek,
    now: dt.datetime,
    ttl: dt.timedelta = LINK_TTL,
    base_url: str | None = None,
) -> str:
    """The signed URL of one team's week, valid for ``ttl`` from ``now``. ``base_url``
    defaults to ``JOINEDUP_PUBLIC_URL``; without either this raises ValueError."""
    base = base_url or settings.public_url
    if not base:
        raise ValueError("JOINEDUP_PUBLIC_URL is not set, so there is no address to link to")
    return links.summary_link(
        key=signing_key(settings), base_url=base, team_id=team_id, week=week, now=now, ttl=ttl
    )


def _ascii_digits(text: str) -> bool:
    return 0 < len(text) <= 20 and text.isascii() and text.isdigit()


def _forbidden(reason: str) -> web.Response:
    return web.Response(status=403, text=f"This download link {reason}.\n")


def summary_download(
    settings: Settings, db: Database
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """The aiohttp handler for ``SUMMARY_PATH``."""

    async def handle(request: web.Request) -> web.StreamResponse:
        q = request.query
        team, week_text = q.get("team", ""), q.get("week", "")
        exp, sig = q.get("exp", ""), q.get("sig", "")
        # ASCII digits only: str.isdigit() also accepts "²", which int() refuses, and
        # hmac.compare_digest refuses a non-ASCII str. A stranger's link is a 403, never a 500.
        if not (_ascii_digits(team) and _ascii_digits(exp) and week_text):
            return _forbidden("is incomplete")
        if not (sig.isascii() and sig.isalnum() and len(sig) <= 128 and week_text.isascii()):
            return _forbidden("is not valid")
        team_id, expires = int(team), int(exp)
        key = signing_key(settings)
        if not links.verify(key, team_id=team_id, week=week_text, expires=expires, sig=sig):
            return _forbidden("is not valid")
        now = dt.datetime.now(dt.UTC)
        if now.timestamp() >= expires:
            return _forbidden("has expired; ask for the summary again")
        try:
            week = IsoWeek.from_label(week_text)
        except ValueError:
            return _forbidden("is not valid")
        try:
            export = await asyncio.to_thread(export_week, db, team_id=team_id, week=week, now=now)
        except CommandError as exc:
            return web.Response(status=404, text=exc.message + "\n")
        return web.Response(
            body=export.content,
            content_type=XLSX_MEDIA_TYPE,
            headers={
                "Content-Disposition": f'attachment; filename="{export.filename}"',
                "Cache-Control": "private, no-store",
            },
        )

    return handle


def add_download_routes(app: web.Application, settings: Settings, db: Database) -> None:
    app.router.add_get(SUMMARY_PATH, summary_download(settings, db))
