"""A team with a bit of everything, the live view's server, and a signed-in browser-less client."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

import requests

from storage.database import Database
from tests.support import Desk

LEAD = "alex@council.example"
MEMBER = "sam.jones@health.example"


def seed_team(
    db: Database, now: dt.datetime, *, team: str = "Rough Sleeping", channel_id: str = "C-LOG"
) -> Desk:
    """Decisions (one superseded), commitments (overdue, due, done late, done on time,
    blocked), risks (red, amber, a closed red one), an area with R and A, departments."""
    desk = Desk(db, now, team=team, lead=LEAD, channel_id=channel_id)
    earlier = now - dt.timedelta(days=20)
    for line, who, when in (
        (f"dept {LEAD} Housing", LEAD, now),
        (f"dept {MEMBER} Health", LEAD, now),
        ("decision Use the shared referral form because one form for both services", LEAD, earlier),
        ("decision supersede D-1 Use the new referral form v2", LEAD, now),
        ("decision Weekly case review on Mondays", MEMBER, now),
        (f"commit {MEMBER} Draft the data sharing agreement by 2026-11-01", LEAD, earlier),
        (f"commit {LEAD} Book the venue for the case review by 2026-11-10", LEAD, earlier),
        (f"commit {MEMBER} Send the outreach rota by 2026-11-30", LEAD, now),
        (
            f'commit {LEAD} =HYPERLINK("http://evil.example") check the list by 2026-12-05',
            LEAD,
            now,
        ),
        (f"commit {MEMBER} Review the hostel contract by 2026-11-05", LEAD, earlier),
        (f"commit {LEAD} Confirm the night shelter beds by 2026-11-25", LEAD, earlier),
        ("block C-4 waiting for the legal team", LEAD, now),
        ("risk Funding ends in March impact high likelihood high", LEAD, now),
        ("risk Staff turnover impact medium likelihood medium", LEAD, now),
        ("risk Data breach impact high likelihood medium", LEAD, earlier),
        ("risk close R-3 controls in place", LEAD, now),
        (f"owns data sharing {MEMBER} responsible", LEAD, now),
        (f"owns data sharing {LEAD} accountable", LEAD, now),
    ):
        reply = desk.say(line, as_=who, now=when)
        assert reply.ok, (line, reply.headline)
    # C-5 done late (due 5 Nov), C-6 done on time.
    assert desk.say("done C-5", as_=MEMBER, now=now - dt.timedelta(days=3)).ok
    assert desk.say("done C-6", as_=LEAD, now=now - dt.timedelta(days=10)).ok
    return desk


def sign_in_url(desk: Desk, *, as_: str, base: str) -> str:
    """Ask for ``dashboard`` and point the link it gives at ``base`` (the test server)."""
    reply = desk.say("dashboard", as_=as_)
    assert reply.ok, reply.headline
    assert reply.link
    return base + urlsplit(reply.link).path


class Browser:
    """``requests`` with a cookie jar: enough to sign in and read pages over real HTTP."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()

    def sign_in(self, link: str) -> requests.Response:
        page = self.http.get(link, timeout=10)
        assert page.status_code == 200
        action = re.search(r'<form method="post" action="([^"]+)"', page.text)
        assert action
        return self.http.post(self.base + action.group(1), timeout=10)

    def get(self, path: str, **kwargs: object) -> requests.Response:
        return self.http.get(self.base + path, timeout=10, **kwargs)  # type: ignore[arg-type]
