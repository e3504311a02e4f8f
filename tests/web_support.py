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


def bulk_team(db: Database, now: dt.datetime, *, name: str, commitments: int, lead_id: int) -> int:
    """A team of ``commitments`` commitments (open, blocked, overdue, done on time and late,
    cancelled), a tenth as many decisions, risks and areas, inserted in bulk."""
    from sqlalchemy import insert

    from storage.models import (
        Area,
        AreaRole,
        Commitment,
        Decision,
        Department,
        Person,
        Risk,
        TeamMember,
    )
    from storage.people import department_by_name
    from storage.teams import create_team

    with db.uow() as uow:
        s = uow.session
        team = create_team(s, name)
        s.add(TeamMember(team_id=team.id, person_id=lead_id, role="lead"))
        depts: list[Department] = [
            d
            for d in (department_by_name(s, n, create=True) for n in ("Housing", "Health"))
            if d is not None
        ]
        people = [
            Person(
                display_name=f"{name} {i}",
                email=f"{name.lower()}{i}@x.example",
                department_id=depts[i % 2].id,
            )
            for i in range(10)
        ]
        s.add_all(people)
        s.flush()
        s.add_all(TeamMember(team_id=team.id, person_id=p.id) for p in people)
        rows = []
        for n in range(1, commitments + 1):
            owner = people[n % 10]
            created = now - dt.timedelta(days=n % 80, hours=1)
            status = ("open", "blocked", "done", "done", "cancelled")[n % 5]
            rows.append(
                {
                    "team_id": team.id,
                    "number": n,
                    "text": f"Commitment {n} on the joint plan",
                    "owner_id": owner.id,
                    "created_by_id": lead_id,
                    "department_id": owner.department_id,
                    "due_date": (created + dt.timedelta(days=n % 30)).date(),
                    "status": status,
                    "done_at": created + dt.timedelta(days=n % 40) if status == "done" else None,
                    "escalated_at": now - dt.timedelta(days=n % 60) if n % 7 == 0 else None,
                    "created_at": created,
                    "updated_at": created,
                }
            )
        s.execute(insert(Commitment), rows)
        s.execute(
            insert(Decision),
            [
                {
                    "team_id": team.id,
                    "number": n,
                    "text": f"Decision {n}",
                    "decided_by_id": lead_id,
                    "status": "active",
                    "created_at": now - dt.timedelta(days=n % 90),
                }
                for n in range(1, commitments // 10 + 1)
            ],
        )
        levels = ("low", "medium", "high")
        s.execute(
            insert(Risk),
            [
                {
                    "team_id": team.id,
                    "number": n,
                    "text": f"Risk {n}",
                    "impact": levels[n % 3],
                    "likelihood": levels[(n // 3) % 3],
                    "created_by_id": lead_id,
                    "owner_id": people[n % 10].id,
                    "status": "open" if n % 4 else "closed",
                    "created_at": now,
                }
                for n in range(1, commitments // 10 + 1)
            ],
        )
        for n in range(commitments // 10):
            area = Area(team_id=team.id, name=f"Area {n}", key=f"area {n}", created_at=now)
            s.add(area)
            s.flush()
            s.add(
                AreaRole(
                    area_id=area.id, person_id=people[n % 10].id, role="accountable", created_at=now
                )
            )
        uow.commit()
        return team.id
