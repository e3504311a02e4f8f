"""Signed, expiring download links for a team's weekly workbook (no web framework here).

``sig`` is an HMAC-SHA256 of the team id, the week and the expiry (Unix
seconds). The Teams adapter builds links with ``SummaryLinks`` (given it by
``bot.bootstrap``); the server's route (``bot.downloads``) checks them with ``verify``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass, field
from urllib.parse import urlencode

from commands.weekly import IsoWeek

SUMMARY_PATH = "/downloads/summary"
LINK_TTL = dt.timedelta(days=7)


def signature(key: bytes, *, team_id: int, week: str, expires: int) -> str:
    message = f"weekly-summary\n{team_id}\n{week}\n{expires}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def summary_link(
    *,
    key: bytes,
    base_url: str,
    team_id: int,
    week: IsoWeek,
    now: dt.datetime,
    ttl: dt.timedelta = LINK_TTL,
) -> str:
    """``<base_url>/downloads/summary?team=..&week=..&exp=..&sig=..``, valid for ``ttl``."""
    expires = int((now + ttl).timestamp())
    query = {
        "team": str(team_id),
        "week": week.label,
        "exp": str(expires),
        "sig": signature(key, team_id=team_id, week=week.label, expires=expires),
    }
    return f"{base_url.rstrip('/')}{SUMMARY_PATH}?{urlencode(query)}"


def verify(key: bytes, *, team_id: int, week: str, expires: int, sig: str) -> bool:
    """True when ``sig`` was made with ``key`` for exactly these values (constant time)."""
    expected = signature(key, team_id=team_id, week=week, expires=expires)
    return hmac.compare_digest(expected, sig)


@dataclass(frozen=True)
class SummaryLinks:
    """Signed links to one server's workbook downloads: ``key`` signs them (the server's
    ``JOINEDUP_SECRET_KEY``), ``base_url`` (its ``JOINEDUP_PUBLIC_URL``) is where they point;
    None when the server has no public address."""

    key: bytes = field(repr=False)
    base_url: str | None

    def for_week(self, *, team_id: int, week: str, now: dt.datetime) -> str:
        """The link to one team's ISO week (``2026-W47``), valid for ``LINK_TTL`` from ``now``.
        Raises ValueError without a public URL, or for a week that is not one."""
        if not self.base_url:
            raise ValueError("JOINEDUP_PUBLIC_URL is not set, so there is no address to link to")
        return summary_link(
            key=self.key,
            base_url=self.base_url,
            team_id=team_id,
            week=IsoWeek.from_label(week),
            now=now,
        )
