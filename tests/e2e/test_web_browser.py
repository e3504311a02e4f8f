"""The live view in headless Chromium (Playwright driving Debian's chromium): sign in through
the link, open every page, follow a record, download a CSV, and run axe-core on every page
with zero violations at WCAG 2.2 AA."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.server import build_app
from bot.settings import Settings
from integrations.web.app import WEB_KEY
from storage.database import Database
from tests.background import Server, serving
from tests.web_support import LEAD, seed_team, sign_in_url

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = Path(__file__).resolve().parents[1] / "fixtures" / "axe" / "axe.min.js"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
AA_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
if not Path(CHROMIUM).exists():
    pytest.skip(
        "Chromium is not installed (apt-get install chromium; .ci/browser-setup.sh does it)",
        allow_module_level=True,
    )


@pytest.fixture
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def server(db: Database, now: dt.datetime) -> Iterator[Server]:
    app = build_app(Settings(database_url=db.url, outbox_tick_seconds=3600.0), db)
    app[WEB_KEY].clock = lambda: now
    with serving(app) as running:
        yield running


def axe_violations(page: Any) -> list[dict[str, Any]]:
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AA_TAGS
    )
    assert len(result["passes"]) > 10, "axe did not check the page"
    return [
        {"id": v["id"], "help": v["help"], "nodes": [n["html"][:120] for n in v["nodes"][:3]]}
        for v in result["violations"]
    ]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_lead_signs_in_reads_every_page_and_downloads_a_csv(db, now, server, browser, tmp_path):
    desk = seed_team(db, now)
    # bypass_csp: axe is injected as an inline script, which the pages' CSP forbids.
    context = browser.new_context(accept_downloads=True, bypass_csp=True)
    page = context.new_page()
    violations: dict[str, list[dict[str, Any]]] = {}
    page.goto(f"{server.url}/web/")
    assert page.get_by_role("heading", level=1).inner_text() == "Sign in to see your team"
    violations["not signed in"] = axe_violations(page)
    page.goto(sign_in_url(desk, as_=LEAD, base=server.url))
    violations["sign in"] = axe_violations(page)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/web/teams/1/")
    assert page.get_by_role("heading", level=1).inner_text() == "Rough Sleeping"

    violations["overview"] = axe_violations(page)
    for name in ("Commitments", "Decisions", "Risks", "Ownership"):
        page.get_by_role("link", name=name, exact=True).first.click()
        page.wait_for_load_state()
        assert page.get_by_role("heading", level=1).count() == 1
        violations[name] = axe_violations(page)

    page.goto(f"{server.url}/web/teams/1/commitments")
    page.get_by_role("link", name="C-1", exact=True).click()
    page.wait_for_url("**/records/C-1")
    assert "commitment.logged" in page.content()
    violations["record"] = axe_violations(page)

    page.goto(f"{server.url}/web/teams/1/commitments")
    page.get_by_label("Status").select_option("all")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**status=all**")
    violations["filtered"] = axe_violations(page)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download these commitments as CSV").click()
    download = download_info.value
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    rows = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
    assert [r[0] for r in rows[1:3]] == ["C-1", "C-2"] and len(rows) == 7

    page.goto(f"{server.url}/web/teams/1/records/D-2")
    violations["decision"] = axe_violations(page)
    page.goto(f"{server.url}/web/teams/1/records/R-1")
    violations["risk"] = axe_violations(page)
    page.goto(f"{server.url}/web/teams/1/decisions?per_page=1&page=2")
    assert page.get_by_role("navigation", name="Pagination").count() == 1
    violations["paginated"] = axe_violations(page)
    page.goto(f"{server.url}/web/teams/1/records/C-999")
    violations["not found"] = axe_violations(page)
    page.get_by_role("button", name="Sign out").click()
    page.goto(f"{server.url}/web/teams/1/")
    assert page.get_by_role("heading", level=1).inner_text() == "Sign in to see your team"
    context.close()
    assert {k: v for k, v in violations.items() if v} == {}
