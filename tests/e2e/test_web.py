"""The live view over real HTTP: sign in with a `dashboard` link, read the pages, download CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterator

import pytest

from bot.server import build_app
from bot.settings import Settings
from commands.dispatch import dispatch
from commands.invocation import Invocation
from integrations.web.api import API_KEY
from integrations.web.app import WEB_KEY
from storage.database import Database
from storage.models import TeamMember, TeamViewer
from tests.background import BackgroundLoop, Server
from tests.clocks import ManualClock
from tests.support import run_joinedup
from tests.web_support import LEAD, MEMBER, Browser, seed_team, sign_in_url


@pytest.fixture
def clock(now: dt.datetime) -> ManualClock:
    return ManualClock(now)


@pytest.fixture
def start(db: Database, clock: ManualClock) -> Iterator[Callable[..., Server]]:
    with BackgroundLoop() as loop:

        def make(public_url: str | None = None) -> Server:
            app = build_app(
                Settings(database_url=db.url, public_url=public_url, outbox_tick_seconds=3600.0),
                db,
            )
            app[WEB_KEY].clock = clock
            app[API_KEY].clock = clock
            return loop.serve(app)

        yield make


def test_a_dashboard_link_signs_in_once_and_lands_on_the_overview(db, now, start):
    desk = seed_team(db, now)
    server = start()
    link = sign_in_url(desk, as_=MEMBER, base=server.url)
    browser = Browser(server.url)

    # A GET (a chat client's link preview) does not use the link up.
    assert browser.get(link.removeprefix(server.url)).status_code == 200
    landed = browser.sign_in(link)
    assert landed.status_code == 200
    assert "Rough Sleeping" in landed.text and "Overdue by department" in landed.text
    assert landed.url.endswith("/web/teams/1/")

    again = Browser(server.url).sign_in(link)
    assert again.status_code == 403
    assert "expired" in again.text


def test_the_session_cookie_is_http_only_lax_and_secure_behind_https(db, now, start):
    desk = seed_team(db, now)
    server = start(public_url="https://joinedup.example.org")
    link = sign_in_url(desk, as_=LEAD, base=server.url)
    browser = Browser(server.url)
    page = browser.http.get(link, timeout=10)
    secret_path = link.removeprefix(server.url)
    assert page.headers["Referrer-Policy"] == "no-referrer"
    response = browser.http.post(server.url + secret_path, allow_redirects=False, timeout=10)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    assert "Max-Age=43200" in cookie


def test_a_sign_in_link_older_than_15_minutes_does_not_work(db, now, start, clock):
    desk = seed_team(db, now)
    server = start()
    link = sign_in_url(desk, as_=LEAD, base=server.url)
    clock.now = now + dt.timedelta(minutes=15, seconds=1)
    assert Browser(server.url).sign_in(link).status_code == 403


def test_a_session_ends_after_12_hours_without_a_request(db, now, start, clock):
    desk = seed_team(db, now)
    server = start()
    browser = Browser(server.url)
    browser.sign_in(sign_in_url(desk, as_=LEAD, base=server.url))
    clock.now = now + dt.timedelta(hours=11)
    page = browser.get("/web/teams/1/")
    assert page.status_code == 200
    # The browser is told to keep the cookie for 12 hours from this request, too.
    assert "Max-Age=43200" in page.headers["Set-Cookie"]
    clock.now = now + dt.timedelta(hours=22, minutes=59)
    assert browser.get("/web/teams/1/").status_code == 200  # 11h59 after the last request
    clock.now = now + dt.timedelta(hours=35)
    assert browser.get("/web/teams/1/").status_code == 401


def test_pages_need_a_sign_in_and_another_teams_pages_are_not_found(db, now, start):
    desk = seed_team(db, now)
    other = seed_team(db, now, team="Hospital Discharge", channel_id="C-HD")
    other_team_id = 2
    server = start()
    assert Browser(server.url).get("/web/teams/1/commitments").status_code == 401
    # Carol is in Rough Sleeping only (Alex leads both).
    carol = "carol@probation.example"
    assert desk.say(f"commit {carol} Call the probation office by Friday").ok
    browser = Browser(server.url)
    browser.sign_in(sign_in_url(desk, as_=carol, base=server.url))
    for path in ("/", "/commitments", "/records/C-1", "/commitments.csv"):
        assert browser.get(f"/web/teams/{other_team_id}{path}").status_code == 404
        assert browser.get(f"/web/teams/999{path}").status_code == 404
    assert browser.get("/web/teams/1/records/C-999").status_code == 404
    lead = Browser(server.url)
    lead.sign_in(sign_in_url(other, as_=LEAD, base=server.url))
    teams = lead.get("/web/")
    assert "Rough Sleeping" in teams.text and "Hospital Discharge" in teams.text


def test_commitments_are_filtered_and_sorted_overdue_first(db, now, start):
    desk = seed_team(db, now)
    server = start()
    browser = Browser(server.url)
    browser.sign_in(sign_in_url(desk, as_=LEAD, base=server.url))
    page = browser.get("/web/teams/1/commitments").text
    order = [page.index(ref) for ref in ("C-1", "C-2", "C-3", "C-4")]
    assert order == sorted(order)  # overdue (C-1, C-2) by due date, then C-3, then C-4
    assert "17 days overdue" in page and "C-5" not in page
    mine = browser.get("/web/teams/1/commitments", params={"owner": "Sam Jones"}).text
    assert "C-1" in mine and "C-2" not in mine
    health = browser.get("/web/teams/1/commitments", params={"department": "Health"}).text
    assert "C-1" in health and "C-2" not in health
    done = browser.get("/web/teams/1/commitments", params={"status": "done"}).text
    assert "Done 10 days late" in done and "C-6" in done
    bad = browser.get("/web/teams/1/commitments", params={"status": "sideways"})
    assert bad.status_code == 400 and "status must be one of" in bad.text
    assert browser.get("/web/teams/1/commitments", params={"page": "x"}).status_code == 400
    huge = browser.get("/web/teams/1/commitments", params={"page": "9" * 30})
    assert huge.status_code == 400
    assert browser.get("/web/teams/1/commitments", params={"page": "0"}).status_code == 400
    assert browser.get("/web/teams/1/commitments.csv", params={"owner": "x\x00"}).status_code == 400


def test_every_list_downloads_as_csv_and_no_cell_is_a_formula(db, now, start):
    desk = seed_team(db, now)
    server = start()
    browser = Browser(server.url)
    browser.sign_in(sign_in_url(desk, as_=LEAD, base=server.url))
    for kind, first in (
        ("commitments", "ID"),
        ("decisions", "ID"),
        ("risks", "ID"),
        ("ownership", "Area"),
    ):
        response = browser.get(
            f"/web/teams/1/{kind}.csv", params={"status": "all"} if kind != "ownership" else None
        )
        assert response.status_code == 200, kind
        assert response.headers["Content-Type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert rows[0][0] == first
        for row in rows[1:]:
            for cell in row:
                assert not cell.startswith(("=", "+", "-", "@")), cell
    commitments = browser.get("/web/teams/1/commitments.csv", params={"status": "all"})
    text = commitments.content.decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    assert len(list(csv.reader(io.StringIO(text)))) == 1 + 6


def test_a_record_page_shows_its_history_and_a_decisions_supersede_chain(db, now, start):
    desk = seed_team(db, now)
    server = start()
    browser = Browser(server.url)
    browser.sign_in(sign_in_url(desk, as_=LEAD, base=server.url))
    c5 = browser.get("/web/teams/1/records/C-5").text
    assert "commitment.logged" in c5 and "commitment.done" in c5 and "10 days late" in c5
    d2 = browser.get("/web/teams/1/records/D-2").text
    assert "Supersede chain" in d2
    assert d2.index("D-1") < d2.index("<strong>D-2</strong>")
    risks = browser.get("/web/teams/1/risks", params={"status": "all"}).text
    assert risks.index("R-1") < risks.index("R-2") < risks.index("R-3")
    assert "Was red" in risks  # the closed red risk is not shown as a live red one
    superseded = browser.get("/web/teams/1/decisions", params={"status": "superseded"}).text
    assert "records/D-1" in superseded and "records/D-3" not in superseded


def test_a_lead_adds_a_viewer_who_signs_in_from_a_direct_message(db, now, start):
    desk = seed_team(db, now)
    server = start()
    viewer = "director@council.example"
    refused = desk.say(f"team viewer add {viewer}", as_=MEMBER)
    assert not refused.ok and "team lead" in refused.headline
    added = desk.say(f"team viewer add {viewer}", as_=LEAD)
    assert added.ok, added.headline
    assert desk.count(TeamViewer) == 1
    # A viewer is not a member: no nudges, no digests, not in the channel.
    assert desk.count(TeamMember, TeamMember.person_id == desk.person_id(viewer)) == 0
    again = desk.say(f"team viewer add {viewer}", as_=LEAD)
    assert not again.ok and "already" in again.headline
    # `dashboard` from outside any team's channel (a direct message).
    reply = dispatch(
        Invocation(text="dashboard", person_id=desk.person_id(viewer), platform="slack", now=now),
        db.uow,
    )
    assert reply.ok and "Rough Sleeping" in (reply.body or "")
    browser = Browser(server.url)
    browser.sign_in(server.url + reply.link.split("127.0.0.1:3978", 1)[1])
    assert browser.get("/web/teams/1/risks").status_code == 200
    nobody = dispatch(
        Invocation(
            text="dashboard", person_id=desk.person_id("x@y.example"), platform="slack", now=now
        ),
        db.uow,
    )
    assert not nobody.ok and "team viewer add" in nobody.headline


def test_the_overview_shows_this_weeks_figures_and_twelve_weeks_of_completions(db, now, start):
    desk = seed_team(db, now)
    server = start()
    browser = Browser(server.url)
    browser.sign_in(sign_in_url(desk, as_=LEAD, base=server.url))
    page = browser.get("/web/teams/1/").text
    assert page.count('<th scope="row" class="govuk-table__header">2026-W') == 12
    assert "2026-W47" in page and "2026-W36" in page
    cells = (
        r'2026-W{}</th><td class="govuk-table__cell govuk-table__cell--numeric">(\d+)</td>'
        r'<td class="govuk-table__cell govuk-table__cell--numeric">(\d+)</td>'
    )
    # C-6 done on time on 8 Nov (W45), C-5 done 10 days late on 15 Nov (W46).
    assert re.search(cells.format(45), page).groups() == ("1", "0")
    assert re.search(cells.format(46), page).groups() == ("0", "1")
    assert re.search(cells.format(47), page).groups() == ("0", "0")
    assert "Funding ends in March" in page  # the red risk
    assert "Data breach" not in page  # closed
    assert "Weekly case review on Mondays" in page  # a decision of the last 30 days


def test_the_console_prints_a_sign_in_link_on_loopback_without_a_public_url(db, now, start, clock):
    server = start()
    chat = run_joinedup(
        "chat", "--team", "Rough Sleeping", "--as", LEAD, stdin="dashboard\n", db_url=db.url
    )
    assert chat.returncode == 0, chat.stderr
    [link] = [w for w in chat.stdout.split() if "/web/sign-in/" in w]
    assert link.startswith("http://127.0.0.1:3978/web/sign-in/")
    # The same link, on the server's own port, signs in (the clock: the link's real time).
    clock.now = dt.datetime.now(dt.UTC)
    browser = Browser(server.url)
    landed = browser.sign_in(server.url + link.removeprefix("http://127.0.0.1:3978"))
    assert landed.status_code == 200 and "Rough Sleeping" in landed.text
