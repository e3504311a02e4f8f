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
from typing import Any

from aiohttp import web

from commands import views
from commands.views import ViewError
from commands.weekly import IsoWeek
from integrations.web.openapi import WEEK_PATTERN, openapi_document
from storage import access
from storage.database import Database
from storage.models import Team

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
        with ctx.db.uow() as uow:
            result = work(uow.session)
            if commit:
                uow.commit()
            uow.session.expunge_all()
            return result

    return await asyncio.to_thread(call)


async def token_team(request: web.Request) -> int:
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret or len(secret) > 200:
        raise _unauthorized()
    team_id = await _run(request, lambda s: access.api_token_team(s, secret))
    if team_id is None:
        raise _unauthorized()
    return int(team_id)


def _unauthorized() -> web.HTTPException:
    return web.HTTPUnauthorized(
        text='{"error": "a valid bearer token is needed", "status": 401}',
        content_type="application/json",
        headers={"WWW-Authenticate": 'Bearer realm="joinedup"'},
    )


async def path_team(request: web.Request) -> Team:
    team_id = await token_team(request)
    raw = request.match_info["team_id"]
    if not raw.isdigit() or int(raw) != team_id:
        raise web.HTTPNotFound(
            text='{"error": "no such team", "status": 404}', content_type="application/json"
        )
    team = await _run(request, lambda s: s.get(Team, team_id))
    if team is None:
        raise web.HTTPNotFound(
            text='{"error": "no such team", "status": 404}', content_type="application/json"
        )
    return team


def team_json(team: Team) -> dict[str, Any]:
    return {"id": team.id, "name": team.name, "timezone": team.timezone}


async def teams(request: web.Request) -> web.Response:
    team_id = await token_team(request)
    team = await _run(request, lambda s: s.get(Team, team_id))
    return web.json_response({"items": [team_json(team)] if team else []})


async def one_team(request: web.Request) -> web.Response:
    return web.json_response(team_json(await path_team(request)))


def _int(request: web.Request, name: str, default: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or len(raw) > 9 or int(raw) < 1:
        raise ViewError(f"{name} must be a whole number")
    return int(raw)


async def listing(request: web.Request) -> web.Response:
    team = await path_team(request)
    kind = request.path.rsplit("/", 1)[1]
    now = request.app[API_KEY].clock()
    q = request.query
    try:
        page = _int(request, "page", 1)
        per_page = _int(request, "per_page", views.PER_PAGE)
        views.page_bounds(page, per_page)
        if kind == "commitments":
            result = await _run(
                request,
                lambda s: views.commitments(
                    s,
                    team,
                    now=now,
                    status=q.get("status") or "open",
                    department=q.get("department") or None,
                    owner=q.get("owner") or None,
                    page=page,
                    per_page=per_page,
                ),
            )
        elif kind == "decisions":
            result = await _run(
                request,
                lambda s: views.decisions(
                    s, team, status=q.get("status") or "all", page=page, per_page=per_page
                ),
            )
        elif kind == "risks":
            result = await _run(
                request,
                lambda s: views.risks(
                    s, team, status=q.get("status") or "open", page=page, per_page=per_page
                ),
            )
        else:
            rows = await _run(
                request,
                (lambda s: views.ownership(s, team, now=now))
                if kind == "ownership"
                else (lambda s: views.people(s, team, now=now)),
            )
            start = (page - 1) * per_page
            result = views.Page(
                items=tuple(rows[start : start + per_page]),
                total=len(rows),
                page=page,
                per_page=per_page,
            )
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
    team = await path_team(request)
    label = request.match_info["week"]
    if not re.fullmatch(WEEK_PATTERN, label):
        return problem(400, "week must be an ISO week like 2026-W47")
    try:
        week = IsoWeek.from_label(label)
        week.bounds(team.timezone)
    except (ValueError, OverflowError):
        return problem(404, f"there is no week {label}")
    now = request.app[API_KEY].clock()
    report = await _run(request, lambda s: views.weekly_figures(s, team, week, now=now))
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
