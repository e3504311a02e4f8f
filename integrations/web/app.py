"""Pages for a team's live view, and signing in to them from a ``dashboard`` link.

Routes (all GET but the two sign-in/out forms; nothing here changes the log):

- ``/web/sign-in/<secret>``: a page with a "Sign in" button; its POST uses the link
  (once) and sets the session cookie. A GET never uses the link, so a chat
  client's link preview cannot spend it.
- ``/web/``: the teams you can see; ``/web/teams/<id>/`` the overview, then
  ``commitments``, ``decisions``, ``risks``, ``ownership`` and ``records/<ref>``;
  each list also as ``.csv``.

A person sees only their teams: any other team id is a 404, whether or not it
exists. The session cookie is HttpOnly, SameSite=Lax, Secure when the public URL
is https, and expires after 12 hours without a request.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

import jinja2
from aiohttp import web
from sqlalchemy.orm import Session

from commands import views
from commands.views import ViewError
from integrations.spreadsheet.cells import safe_link
from integrations.web import api
from integrations.web.csv_export import to_csv
from storage import access
from storage.database import Database
from storage.models import Team

log = logging.getLogger(__name__)
T = TypeVar("T")

HERE = Path(__file__).parent
COOKIE = "joinedup_session"
REFRESH_COOKIE: web.RequestKey[str] = web.RequestKey("joinedup.refresh_cookie", str)
WEB_KEY: web.AppKey[Web] = web.AppKey("web")
_REF = re.compile(r"^([CDR])-(\d{1,9})$")

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # The sign-in secret is in the URL: never send it on as a Referer.
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Web:
    db: Database
    secure_cookie: bool
    templates: jinja2.Environment
    clock: Callable[[], dt.datetime] = _now

    async def run(self, work: Callable[..., Any], *args: Any, commit: bool = False) -> Any:
        """Run ``work(session, *args)`` in one unit of work on a worker thread."""

        def call() -> Any:
            with self.db.uow() if commit else self.db.reader() as uow:
                result = work(uow.session, *args)
                if commit:
                    uow.commit()
                # Keep what was loaded (a Team) readable after the unit of work ends.
                uow.session.expunge_all()
                return result

        return await asyncio.to_thread(
            call if commit else partial(self.db.read_again_if_dropped, call)
        )


def _templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["day"] = lambda d: "" if d is None else f"{d.day} {d:%b %Y}"
    env.filters["moment"] = lambda d: "" if d is None else f"{d.day} {d:%b %Y %H:%M}"
    env.filters["safe_link"] = safe_link
    env.globals["TAGS"] = {
        "open": "govuk-tag--blue",
        "blocked": "govuk-tag--orange",
        "done": "govuk-tag--green",
        "cancelled": "govuk-tag--grey",
        "overdue": "govuk-tag--red",
        "active": "govuk-tag--green",
        "superseded": "govuk-tag--grey",
        "closed": "govuk-tag--grey",
        "red": "govuk-tag--red",
        "amber": "govuk-tag--yellow",
        "green": "govuk-tag--green",
    }
    return env


def mount_web(
    app: web.Application,
    db: Database,
    *,
    origin: str,
    clock: Callable[[], dt.datetime] = _now,
) -> None:
    """Add the live view and the JSON API to ``app``, served at ``origin`` (the public URL,
    or ``http://127.0.0.1:<port>``): its session cookie is Secure when that is https."""
    app[WEB_KEY] = Web(
        db=db,
        secure_cookie=origin.startswith("https://"),
        templates=_templates(),
        clock=clock,
    )
    r = app.router
    r.add_static("/web/static/", HERE / "static", append_version=False)
    r.add_get("/web/sign-in/{secret}", sign_in_page)
    r.add_post("/web/sign-in/{secret}", sign_in)
    r.add_post("/web/sign-out", sign_out)
    r.add_get("/web", _to_slash)
    r.add_get("/web/", teams_page)
    base = "/web/teams/{team_id:\\d+}"
    r.add_get(base, _to_slash)
    r.add_get(base + "/", overview_page)
    for name in ("commitments", "decisions", "risks", "ownership"):
        r.add_get(f"{base}/{name}", list_page)
        r.add_get(f"{base}/{name}.csv", list_csv)
    r.add_get(base + "/records/{ref}", record_page)
    api.mount_api(app, db, clock=clock)
    app.middlewares.append(_security_headers)


async def _to_slash(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound(request.path + "/")


@web.middleware
async def _security_headers(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    if not request.path.startswith("/web"):
        return await handler(request)
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        for name, value in SECURITY_HEADERS.items():
            exc.headers.setdefault(name, value)
        raise
    for name, value in SECURITY_HEADERS.items():
        if name == "Cache-Control" and request.path.startswith("/web/static/"):
            continue
        response.headers.setdefault(name, value)
    refreshed = request.get(REFRESH_COOKIE)
    if refreshed:
        set_session_cookie(response, request.app[WEB_KEY], refreshed)
    return response


# --- rendering ------------------------------------------------------------------------------


def render(
    request: web.Request, template: str, *, status: int = 200, **values: Any
) -> web.Response:
    web_ = request.app[WEB_KEY]
    body = web_.templates.get_template(template).render(
        path=request.path,
        signed_in=values.pop("signed_in", True),
        team=values.pop("team", None),
        **values,
    )
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")


def message(
    request: web.Request, title: str, text: str, *, status: int, signed_in: bool = False
) -> web.Response:
    return render(
        request, "message.html", status=status, title=title, text=text, signed_in=signed_in
    )


# --- signing in -------------------------------------------------------------------------------


async def sign_in_page(request: web.Request) -> web.Response:
    return render(request, "sign_in.html", secret=request.match_info["secret"], signed_in=False)


async def sign_in(request: web.Request) -> web.StreamResponse:
    web_ = request.app[WEB_KEY]
    secret = request.match_info["secret"]
    now = web_.clock()
    cookie = await web_.run(lambda s: access.redeem_sign_in(s, secret, now=now), commit=True)
    if cookie is None:
        return message(
            request,
            "This sign-in link has expired",
            "A sign-in link works once, for 15 minutes. Ask Joinedup for `dashboard` to get a "
            "new one.",
            status=403,
        )
    response = web.Response(status=303, headers={"Location": "/web/"})
    set_session_cookie(response, web_, cookie)
    return response


def set_session_cookie(response: web.StreamResponse, web_: Web, secret: str) -> None:
    """The session cookie: HttpOnly, SameSite=Lax, Secure behind https, for ``/web`` only,
    kept by the browser for 12 hours from the last request (the server enforces the same)."""
    response.set_cookie(
        COOKIE,
        secret,
        httponly=True,
        secure=web_.secure_cookie,
        samesite="Lax",
        path="/web",
        max_age=int(access.SESSION_IDLE.total_seconds()),
    )


async def sign_out(request: web.Request) -> web.StreamResponse:
    web_ = request.app[WEB_KEY]
    secret = request.cookies.get(COOKIE)
    if secret:
        await web_.run(lambda s: access.end_session(s, secret), commit=True)
    response = web.Response(status=303, headers={"Location": "/web/"})
    response.del_cookie(COOKIE, path="/web")
    return response


class _Refused(Exception):
    def __init__(self, status: int) -> None:
        self.status = status


def _sign_in_first(request: web.Request) -> web.HTTPException:
    return web.HTTPUnauthorized(
        text=message(
            request,
            "Sign in to see your team",
            "Ask Joinedup for `dashboard` in your team's channel, or in a direct message, "
            "and open the link it sends you.",
            status=401,
        ).text,
        content_type="text/html",
        headers={"WWW-Authenticate": 'Cookie realm="joinedup"'},
    )


def _not_found(request: web.Request) -> web.HTTPNotFound:
    page = message(
        request,
        "Page not found",
        "There is no such page, or it is not one of your teams.",
        status=404,
        signed_in=True,
    )
    return web.HTTPNotFound(text=page.text, content_type="text/html")


async def _signed_in(request: web.Request, work: Callable[[Session, int], T]) -> T:
    """Check the session cookie and run ``work(session, person_id)`` in the same read-only
    unit of work (one worker thread, one transaction); a 401 page when not signed in. The
    session's last-seen time is moved on afterwards, at most once a minute."""
    web_ = request.app[WEB_KEY]
    secret = request.cookies.get(COOKIE)
    now = web_.clock()

    def call(session: Session) -> tuple[T, bool]:
        live = access.session_person(session, secret, now=now) if secret else None
        if live is None:
            raise _Refused(401)
        person_id, touch = live
        return work(session, person_id), touch

    try:
        result, touch = await web_.run(call)
    except _Refused as refused:
        raise (_sign_in_first(request) if refused.status == 401 else _not_found(request)) from None
    if touch and secret:
        await web_.run(lambda s: access.touch_session(s, secret, now=now), commit=True)
        request[REFRESH_COOKIE] = secret  # the browser keeps it 12 hours from now, too
    return result


async def team_for(request: web.Request, work: Callable[[Session, Team], T]) -> tuple[Team, T]:
    """The path's team, if the signed-in person may see it (else a 404, whether or not it
    exists), and ``work(session, team)``: all in one unit of work."""
    team_id = int(request.match_info["team_id"])

    def call(session: Session, person_id: int) -> tuple[Team, T]:
        if team_id not in access.visible_team_ids(session, person_id):
            raise _Refused(404)
        team = session.get(Team, team_id)
        if team is None:
            raise _Refused(404)
        return team, work(session, team)

    return await _signed_in(request, call)


# --- pages ------------------------------------------------------------------------------------


async def teams_page(request: web.Request) -> web.StreamResponse:
    teams = await _signed_in(request, access.visible_teams)
    if len(teams) == 1:
        raise web.HTTPFound(f"/web/teams/{teams[0].id}/")
    return render(request, "teams.html", teams=teams, team=None)


async def overview_page(request: web.Request) -> web.Response:
    now = request.app[WEB_KEY].clock()
    team, data = await team_for(request, lambda s, team: views.overview(s, team, now=now))
    return render(request, "overview.html", team=team, o=data, chart=trend_chart(data.trend))


def _int(request: web.Request, name: str, default: int) -> int:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or len(raw) > 9:
        raise ViewError(f"{name} must be a whole number up to 999,999,999")
    return int(raw)


def list_filters(request: web.Request, kind: str) -> dict[str, Any]:
    """The query string as keyword arguments of the view function (ViewError when bad)."""
    q = request.query
    args: dict[str, Any] = {
        "page": _int(request, "page", 1),
        "per_page": _int(request, "per_page", views.PER_PAGE),
    }
    if kind == "commitments":
        args["status"] = q.get("status") or "open"
        args["department"] = q.get("department") or None
        args["owner"] = q.get("owner") or None
    elif kind == "decisions":
        args["status"] = q.get("status") or "all"
    elif kind == "risks":
        args["status"] = q.get("status") or "open"
    return args


def _run_list(session: Any, team: Team, kind: str, args: dict[str, Any], now: dt.datetime) -> Any:
    if kind == "commitments":
        return views.commitments(session, team, now=now, **args)
    if kind == "decisions":
        return views.decisions(session, team, **args)
    if kind == "risks":
        return views.risks(session, team, **args)
    return views.ownership(session, team, now=now)


async def list_page(request: web.Request) -> web.Response:
    kind = request.path.rstrip("/").rsplit("/", 1)[1]
    now = request.app[WEB_KEY].clock()
    try:
        args = list_filters(request, kind)
        bad: ViewError | None = None
    except ViewError as exc:
        args, bad = {}, exc

    def work(session: Session, team: Team) -> dict[str, Any]:
        if bad is not None:
            raise bad
        if kind == "ownership":
            return {"rows": views.ownership(session, team, now=now)}
        found: dict[str, Any] = {"page": _run_list(session, team, kind, args, now)}
        if kind == "risks":
            found["grid"] = views.risk_grid(session, team)
        if kind == "commitments":
            found["choices"] = filter_choices(session, team, now)
        return found

    try:
        team, found = await team_for(request, work)
    except ViewError as exc:
        return message(request, "Check the filters", str(exc), status=400, signed_in=True)
    if kind == "ownership":
        return render(request, "ownership.html", team=team, **found)
    query = {k: v for k, v in request.query.items() if k != "page" and v}
    return render(
        request,
        f"{kind}.html",
        team=team,
        filters=args,
        query=query,
        csv_url=f"{request.path}.csv" + (f"?{urlencode(query)}" if query else ""),
        page_url=lambda n: f"{request.path}?{urlencode({**query, 'page': n})}",
        **found,
    )


def filter_choices(session: Session, team: Team, now: dt.datetime) -> dict[str, list[str]]:
    people = views.people(session, team, now=now)
    departments = sorted({p.department for p in people if p.department}, key=str.casefold)
    return {"owners": [p.name for p in people], "departments": departments}


CSV_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "commitments": (
        ("ID", "ref"),
        ("Commitment", "text"),
        ("Owner", "owner"),
        ("Department", "department"),
        ("Status", "status"),
        ("Created", "created_on"),
        ("Due", "due"),
        ("Days overdue", "days_overdue"),
        ("Done on", "done_on"),
        ("Days late", "days_late"),
        ("Escalated", "escalated_on"),
        ("Source", "source_link"),
    ),
    "decisions": (
        ("ID", "ref"),
        ("Decided on", "decided_on"),
        ("Decision", "text"),
        ("Rationale", "rationale"),
        ("Decided by", "decided_by"),
        ("Department", "department"),
        ("Status", "status"),
        ("Supersedes", "supersedes"),
        ("Superseded by", "superseded_by"),
        ("Source", "source_link"),
    ),
    "risks": (
        ("ID", "ref"),
        ("Risk", "text"),
        ("Impact", "impact"),
        ("Likelihood", "likelihood"),
        ("RAG", "rating"),
        ("Owner", "owner"),
        ("Status", "status"),
        ("Logged", "logged_on"),
    ),
    "ownership": (
        ("Area", "area"),
        ("Responsible", "responsible"),
        ("Responsible departments", "responsible_departments"),
        ("Accountable", "accountable"),
        ("Accountable department", "accountable_department"),
        ("Consulted", "consulted"),
        ("Consulted departments", "consulted_departments"),
        ("Informed", "informed"),
        ("Informed departments", "informed_departments"),
    ),
}


async def list_csv(request: web.Request) -> web.Response:
    """Every row matching the filters (all pages, in one query), as CSV."""
    kind = request.path.rsplit("/", 1)[1].removesuffix(".csv")
    now = request.app[WEB_KEY].clock()
    columns = CSV_COLUMNS[kind]
    try:
        args = list_filters(request, kind)
        bad: ViewError | None = None
    except ViewError as exc:
        args, bad = {}, exc

    def rows(session: Session, team: Team) -> list[Sequence[Any]]:
        if bad is not None:
            raise bad
        if kind == "ownership":
            items: Sequence[Any] = views.ownership(session, team, now=now)
        else:
            args.update(page=1, per_page=None)
            items = _run_list(session, team, kind, args, now).items
        return [[getattr(item, attr) for _h, attr in columns] for item in items]

    try:
        team, found = await team_for(request, rows)
    except ViewError as exc:
        return message(request, "Check the filters", str(exc), status=400, signed_in=True)
    filename = f"joinedup-team-{team.id}-{kind}.csv"
    return web.Response(
        body=to_csv([h for h, _a in columns], found),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


async def record_page(request: web.Request) -> web.Response:
    match = _REF.match(request.match_info["ref"].upper())
    now = request.app[WEB_KEY].clock()

    def work(session: Session, team: Team) -> views.RecordView | None:
        if not match:
            return None
        return views.record(session, team, match.group(1), int(match.group(2)), now=now)

    team, found = await team_for(request, work)
    if found is None:
        raise _not_found(request)
    return render(request, "record.html", team=team, r=found)


# --- the chart --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    x: float
    on_time_y: float
    on_time_h: float
    late_y: float
    late_h: float
    label: str
    total: int


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    top: int
    bottom: int
    bar_width: float
    bars: tuple[Bar, ...]
    ticks: tuple[tuple[float, int], ...]
    description: str


def trend_chart(trend: Sequence[views.WeekTrend]) -> Chart:
    """A stacked bar per week (on time below, late above) on whole-number ticks."""
    width, height, top, bottom, left = 720, 260, 20, 220, 40
    peak = max((w.on_time + w.late for w in trend), default=0)
    step = max(1, -(-peak // 5))
    scale_max = max(step * 5, 1)
    per = (width - left - 10) / max(1, len(trend))
    bar_w = per * 0.6

    def y(value: int) -> float:
        return bottom - (bottom - top) * value / scale_max

    bars = []
    for i, w in enumerate(trend):
        x = left + i * per + (per - bar_w) / 2
        bars.append(
            Bar(
                x=round(x, 1),
                on_time_y=round(y(w.on_time), 1),
                on_time_h=round(bottom - y(w.on_time), 1),
                late_y=round(y(w.on_time + w.late), 1),
                late_h=round(y(w.on_time) - y(w.on_time + w.late), 1),
                label=w.week.split("-")[1],
                total=w.on_time + w.late,
            )
        )
    ticks = tuple((round(y(v), 1), v) for v in range(0, scale_max + 1, step))
    total_on, total_late = sum(w.on_time for w in trend), sum(w.late for w in trend)
    description = (
        f"Over the last {len(trend)} weeks, {total_on} commitments were completed on time and "
        f"{total_late} late. The table below gives each week's figures."
    )
    return Chart(width, height, top, bottom, round(bar_w, 1), tuple(bars), ticks, description)
