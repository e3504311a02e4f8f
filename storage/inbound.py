"""Claims on inbound platform requests (InboundEvent): a retried delivery is handled once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import InboundEvent, utcnow

KEY_LIMIT = 300


def claim(session: Session, *, source: str, key: str, now: dt.datetime | None = None) -> bool:
    """Record ``(source, key)`` as handled in the session's transaction; False when it was
    already recorded. Commit it together with the work it guards, so that a crash before
    the commit leaves the request unclaimed and its retry does the work.

    A concurrent claim of the same key waits for the first transaction (PostgreSQL's unique
    index; SQLite's write lock) and then gets False.
    """
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    inserted = session.execute(
        insert(InboundEvent)
        .values(source=source, key=key[:KEY_LIMIT], received_at=now or utcnow())
        .on_conflict_do_nothing(index_elements=["source", "key"])
        .returning(InboundEvent.id)  # rowcount is not reliable here (-1 with psycopg)
    ).first()
    return inserted is not None
