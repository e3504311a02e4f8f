"""The OpenAPI 3.1 description of ``/api/v1/`` (kept true by a schemathesis test)."""

from __future__ import annotations

from functools import cache
from typing import Any

from commands.views import COMMITMENT_STATUSES, MAX_PER_PAGE, RISK_STATUSES

STR = {"type": "string"}
INT = {"type": "integer"}
DATE = {"type": "string", "format": "date"}
NSTR = {"type": ["string", "null"]}
NDATE = {"type": ["string", "null"], "format": "date"}
NINT = {"type": ["integer", "null"]}
# A department or person as the log holds them: no NUL, at most 320 characters.
NAME = {"type": "string", "maxLength": 320, "pattern": "^[^\\u0000]*$"}
WEEK_PATTERN = "^[0-9]{4}-W(0[1-9]|[1-4][0-9]|5[0-3])$"


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
    }


FIGURES = _object(
    {
        name: NINT if name == "completed_on_time_percent" else INT
        for name in (
            "decisions_made",
            "commitments_made",
            "completed",
            "completed_on_time",
            "open",
            "overdue",
            "escalated",
            "blocked",
            "completed_on_time_percent",
        )
    }
)
SCHEMAS: dict[str, Any] = {
    "Team": _object({"id": INT, "name": STR, "timezone": STR}),
    "Commitment": _object(
        {
            "ref": STR,
            "number": INT,
            "text": STR,
            "owner": STR,
            "department": NSTR,
            "status": {"enum": ["open", "blocked", "done", "cancelled"]},
            "created_on": DATE,
            "due": NDATE,
            "overdue": {"type": "boolean"},
            "days_overdue": INT,
            "done_on": NDATE,
            "days_late": INT,
            "escalated_on": NDATE,
            "blocked_reason": NSTR,
            "source_link": NSTR,
        }
    ),
    "Decision": _object(
        {
            "ref": STR,
            "number": INT,
            "text": STR,
            "rationale": NSTR,
            "decided_by": STR,
            "department": NSTR,
            "status": STR,
            "decided_on": DATE,
            "supersedes": NSTR,
            "superseded_by": NSTR,
            "source_link": NSTR,
        }
    ),
    "Risk": _object(
        {
            "ref": STR,
            "number": INT,
            "text": STR,
            "impact": STR,
            "likelihood": STR,
            "rating": {"enum": ["red", "amber", "green"]},
            "owner": NSTR,
            "status": STR,
            "logged_on": DATE,
        }
    ),
    "Ownership": _object(
        {
            name: STR
            for name in (
                "area",
                "responsible",
                "responsible_departments",
                "accountable",
                "accountable_department",
                "consulted",
                "consulted_departments",
                "informed",
                "informed_departments",
            )
        }
    ),
    "Person": _object(
        {
            "name": STR,
            "handle": NSTR,
            "department": NSTR,
            "role": STR,
            "open_commitments": INT,
            "overdue_commitments": INT,
        }
    ),
    "Figures": FIGURES,
    "Week": _object(
        {
            "team": {"$ref": "#/components/schemas/Team"},
            "week": STR,
            "starts": DATE,
            "ends": DATE,
            "figures": {"$ref": "#/components/schemas/Figures"},
            "departments": {
                "type": "array",
                "items": _object(
                    {"name": STR, "figures": {"$ref": "#/components/schemas/Figures"}}
                ),
            },
        }
    ),
    "Error": _object({"error": STR, "status": INT}),
}


def _page(item: str) -> dict[str, Any]:
    return _object(
        {
            "items": {"type": "array", "items": {"$ref": f"#/components/schemas/{item}"}},
            "page": INT,
            "per_page": INT,
            "total": INT,
            "pages": INT,
        }
    )


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERROR = {"$ref": "#/components/schemas/Error"}
TEAM_ID = {"name": "team_id", "in": "path", "required": True, "schema": {"type": "integer"}}
PAGING = [
    {
        "name": "page",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": 999_999_999},
    },
    {
        "name": "per_page",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
    },
]


def _status(values: tuple[str, ...]) -> dict[str, Any]:
    return {"name": "status", "in": "query", "schema": {"enum": list(values)}}


def _get(
    summary: str, ok: dict[str, Any], parameters: list[Any], *, bad: bool = True
) -> dict[str, Any]:
    responses = {
        "200": ok,
        "401": _json(ERROR, "No valid bearer token"),
        "404": _json(ERROR, "Not this token's team"),
    }
    if bad:
        responses["400"] = _json(ERROR, "A filter or page that cannot be shown")
    return {"get": {"summary": summary, "parameters": parameters, "responses": responses}}


@cache
def openapi_document() -> dict[str, Any]:
    list_of = {
        "commitments": (
            "Commitment",
            "Commitments, overdue first, then by due date",
            [
                _status(COMMITMENT_STATUSES),
                {"name": "department", "in": "query", "schema": NAME},
                {"name": "owner", "in": "query", "schema": NAME},
            ],
        ),
        "decisions": (
            "Decision",
            "Decisions, newest first, with what each supersedes",
            [_status(("active", "superseded", "all"))],
        ),
        "risks": ("Risk", "The risk register, red first", [_status(RISK_STATUSES)]),
        "ownership": ("Ownership", "Each area's R, A, C and I people and departments", []),
        "people": ("Person", "The team's members with their open commitments", []),
    }
    paths: dict[str, Any] = {
        "/api/v1/teams": {
            "get": {
                "summary": "The team this token is for",
                "responses": {
                    "200": _json(
                        _object(
                            {
                                "items": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/Team"},
                                }
                            }
                        ),
                        "The token's team",
                    ),
                    "401": _json(ERROR, "No valid bearer token"),
                },
            }
        },
        "/api/v1/teams/{team_id}": _get(
            "One team",
            _json({"$ref": "#/components/schemas/Team"}, "The team"),
            [TEAM_ID],
            bad=False,
        ),
        "/api/v1/teams/{team_id}/weeks/{week}": _get(
            "The weekly summary's figures for an ISO week (404 for a week that does not exist, "
            "such as W53 in a 52-week year)",
            _json({"$ref": "#/components/schemas/Week"}, "The week's figures"),
            [
                TEAM_ID,
                {
                    "name": "week",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "pattern": WEEK_PATTERN},
                },
            ],
        ),
    }
    for kind, (item, summary, filters) in list_of.items():
        paths[f"/api/v1/teams/{{team_id}}/{kind}"] = _get(
            summary, _json(_page(item), summary), [TEAM_ID, *filters, *PAGING]
        )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Joinedup",
            "version": "1",
            "description": "Read-only access to one team's joint log: commitments, decisions, "
            "risks, ownership, people and weekly figures.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": SCHEMAS,
        },
        "paths": paths,
    }
