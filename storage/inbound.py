"""Claims on inbound platform requests (InboundEvent): a retried delivery is handled once."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import CTE, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import Base, InboundEvent, utcnow

KEY_LIMIT = 300


def claim(session: Session, *, source: str, key: str, now: dt.datetime | None = None) -> bool:
    """Record ``(source, key)`` as handled in the session's transaction; False when it was
    already recorded. Commit it together with the work it guards, so that a crash before
    the commit leaves the request unclaimed and its retry does the work.

    A concurrent claim of the same key waits for the first transaction (PostgreSQL's unique
    index; SQLite's write lock) and then gets False.
    """
    connection = session.connection()
    inserted = connection.execute(
        _claim_statement(connection.dialect.name),
        {"source": source, "key": key[:KEY_LIMIT], "received_at": now or utcnow()},
    ).first()
    return inserted is not None


_CLAIMS: dict[str, Any] = {}


def _claim_statement(dialect: str) -> Any:
    """``INSERT ... ON CONFLICT DO NOTHING RETURNING id``, built once per dialect: a Core
    statement on the table (every command runs it; the ORM's bulk path costs more than the
    row). rowcount is not reliable here (-1 with psycopg), hence RETURNING."""
    statement = _CLAIMS.get(dialect)
    if statement is None:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        table = Base.metadata.tables[InboundEvent.__tablename__]
        statement = (
            insert(table)
            .on_conflict_do_nothing(index_elements=["source", "key"])
            .returning(table.c.id)
        )
        _CLAIMS[dialect] = statement
    return statement


_CLAIM_CTE: list[CTE] = []


def claim_cte() -> CTE:
    """PostgreSQL: the claim as a data-modifying CTE (``claimed``, one column ``id``) that a
    query reading something else attaches (``Select.add_cte``), so that claiming costs no
    round trip of its own; ``id`` is NULL when the key was claimed before. Its parameters:
    ``claim_source``, ``claim_key``, ``claim_received_at`` (``claim_params``). Built once."""
    if not _CLAIM_CTE:
        table = Base.metadata.tables[InboundEvent.__tablename__]
        _CLAIM_CTE.append(
            postgresql.insert(table)
            .values(
                source=bindparam("claim_source"),
                key=bindparam("claim_key"),
                received_at=bindparam("claim_received_at"),
            )
            .on_conflict_do_nothing(index_elements=["source", "key"])
            .returning(table.c.id)
            .cte("claimed")
        )
    return _CLAIM_CTE[0]


def claim_params(*, source: str, key: str, now: dt.datetime | None = None) -> dict[str, Any]:
    """The parameters of ``claim_cte``."""
    return {
        "claim_source": source,
        "claim_key": key[:KEY_LIMIT],
        "claim_received_at": now or utcnow(),
    }
