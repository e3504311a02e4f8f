"""The read-only JSON API under ``/api/v1/``, with per-team bearer tokens.

``Authorization: Bearer <token>`` (``joinedup token create``): no token, an
unknown or a revoked one is a 401; a token for another team than the one in the
path is a 404, as if that team did not exist. Lists take the live view's
filters and ``page``/``per_page``, and answer ``{"items": [...], "page",
"per_page", "total", "pages"}``. ``/api/v1/openapi.json`` (no token needed)
describes every route; a test runs schemathesis against it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import re
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from aiohttp import web
from sqlalchemy.orm import Session

from commands import views
from commands.views import ViewError
from commands.weekly import IsoWeek
from integrations.web.openapi import WEEK_PATTERN, openapi_document
from storage import access
from storage.database import Database
from storage.models import Team

T = TypeVar("T")
API = "/api/v1"
API_KEY: web.AppKey[ApiContext] = web.AppKey("api")


@dataclasses.dataclass
class ApiContext:
    db: Database
    clock: Callable[[], dt.datetime]


def plain(value: Any) -> Any:
    """Dataclasses, named tuples, dates -> JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple) and hasattr(value, "_asdict"):
        return {k: plain(v) for k, v in value._asdict().items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def problem(status: int, title: str, **headers: str) -> web.Response:
    return web.json_response({"error": title, "status": status}, status=status, headers=headers)


def mount_api(app: web.Application, db: Database, *, clock: Callable[[], dt.datetime]) -> None:
    app[API_KEY] = ApiContext(db=db, clock=clock)
    r = app.router
    r.add_get(f"{API}/openapi.json", openapi)
    r.add_get(f"{API}/teams", teams)
    team = f"{API}/teams/{{team_id}}"
    r.add_get(team, one_team)
    for kind in ("commitments", "decisions", "risks", "ownership", "people"):
        r.add_get(f"{team}/{kind}", listing)
    r.add_get(f"{team}/weeks/{{week}}", week_figures)


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(openapi_document())


async def _run(request: web.Request, work: Callable[[Any], Any], *, commit: bool = False) -> Any:
    ctx = request.app[API_KEY]

    def call() -> Any:
        with ctx.db.uow() if commit else ctx.db.reader() as uow:
            result = work(uow.session)
            if commit:
                uow.commit()
            uow.session.expunge_all()
            return result

    return await asyncio.to_thread(call if commit else partial(ctx.db.read_again_if_dropped, call))


def _bearer(request: web.Request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret or len(secret) > 200:
        raise _unauthorized()
    return secret


def _unauthorized() -> web.HTTPException:
    return web.HTTPUnauthorized(
        text='{"error": "a valid bearer token is needed", "status": 401}',
        content_type="application/json",
        headers={"WWW-Authenticate": 'Bearer realm="joinedup"'},
    )


def _not_found() -> web.HTTPException:
    return web.HTTPNotFound(
        text='{"error": "no such team", "status": 404}', content_type="application/json"
    )


class _Refused(Exception):
    def __init__(self, status: int) -> None:
        self.status = status


async def for_team(request: web.Request, work: Callable[[Session, Team], T]) -> T:
    """Check the bearer token against the path's team and run ``work(session, team)``, all
    in one read-only unit of work on one worker thread (a request is one database round)."""
    secret = _bearer(request)
    raw = request.match_info.get("team_id")

    def call(session: Session) -> T:
        team_id = access.api_token_team(session, secret)
        if team_id is None:
            raise _Refused(401)
        if raw is not None and (not raw.isdigit() or int(raw) != team_id):
            raise _Refused(404)
        team = session.get(Team, team_id)
        if team is None:
            raise _Refused(404)
        return work(session, team)

    try:
        return await _run(request, call)
    except _Refused as refused:
        raise _unauthorized() if refused.status == 401 else _not_found() from None


def team_json(team: Team) -> dict[str, Any]:
    return {"id": team.id, "name": team.name, "timezone": team.timezone}


async def teams(request: web.Request) -> web.Response:
    team = await for_team(request, lambda _s, team: team_json(team))
    return web.json_response({"items": [team]})


async def one_team(request: web.Request) -> web.Response:
    return web.json_response(await for_team(request, lambda _s, team: team_json(team)))


def _int(request: web.Request, name: str, default: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or len(raw) > 9 or int(raw) < 1:
        raise ViewError(f"{name} must be a whole number")
    return int(raw)


async def listing(request: web.Request) -> web.Response:
    kind = request.path.rsplit("/", 1)[1]
    now = request.app[API_KEY].clock()
    q = request.query
    try:
        page = _int(request, "page", 1)
        per_page = _int(request, "per_page", views.PER_PAGE)
        views.page_bounds(page, per_page)
        bad: ViewError | None = None
    except ViewError as exc:
        bad = exc  # reported after the token is checked: no token is a 401 first

    def work(session: Session, team: Team) -> views.Page[Any]:
        if bad is not None:
            raise bad
        if kind == "commitments":
            return views.commitments(
                session,
                team,
                now=now,
                status=q.get("status") or "open",
                department=q.get("department") or None,
                owner=q.get("owner") or None,
                page=page,
                per_page=per_page,
            )
        if kind == "decisions":
            return views.decisions(
                session, team, status=q.get("status") or "all", page=page, per_page=per_page
            )
        if kind == "risks":
            return views.risks(
                session, team, status=q.get("status") or "open", page=page, per_page=per_page
            )
        rows: list[Any] = (
            list(views.ownership(session, team, now=now))
            if kind == "ownership"
            else list(views.people(session, team, now=now))
        )
        start = (page - 1) * per_page
        return views.Page(
            items=tuple(rows[start : start + per_page]),
            total=len(rows),
            page=page,
            per_page=per_page,
        )

    try:
        result = await for_team(request, work)
    except ViewError as exc:
        return problem(400, str(exc))
    return web.json_response(
        {
            "items": plain(list(result.items)),
            "page": result.page,
            "per_page": result.per_page,
            "total": result.total,
            "pages": result.pages,
        }
    )


async def week_figures(request: web.Request) -> web.Response:
    label = request.match_info["week"]
    now = request.app[API_KEY].clock()

    def work(session: Session, team: Team) -> tuple[Team, Any]:
        if not re.fullmatch(WEEK_PATTERN, label):
            raise ViewError("week must be an ISO week like 2026-W47")
        try:
            week = IsoWeek.from_label(label)
            week.bounds(team.timezone)
        except (ValueError, OverflowError):
            raise LookupError(f"there is no week {label}") from None
        return team, views.weekly_figures(session, team, week, now=now)

    try:
        team, report = await for_team(request, work)
    except ViewError as exc:
        return problem(400, str(exc))
    except LookupError as exc:
        return problem(404, str(exc))
    week = report.week
    return web.json_response(
        {
            "team": team_json(team),
            "week": week.label,
            "starts": week.monday.isoformat(),
            "ends": week.sunday.isoformat(),
            "figures": report.totals.as_dict(),
            "departments": [
                {"name": d.name, "figures": d.figures.as_dict()} for d in report.departments
            ],
        }
    )
