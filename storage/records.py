"""Writing a new record in one Core statement, kept as the ORM object a query would load."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Table, insert, inspect
from sqlalchemy.orm import Session, make_transient_to_detached

from storage.models import Base

R = TypeVar("R", bound=Base)

_INSERTS: dict[str, Any] = {}


def insert_loaded(session: Session, record: R) -> R:
    """INSERT ``record`` (a new mapped object, not yet in a session) with one Core statement
    that returns every column, then attach it to ``session`` as though a query had loaded it.

    For the hot path (every logged decision): the ORM's flush of one new object costs more
    Python than the row itself (a dependency sort, attribute history, a post-fetch of
    defaults). The object that comes back is the same persistent object a flush would give:
    column defaults filled in by the statement, its id set, its relationships loaded on
    first access (from the identity map when their rows are already in the session).
    """
    mapper = inspect(type(record))
    table = mapper.local_table
    assert isinstance(table, Table)
    given = record.__dict__
    values = {
        prop.columns[0].name: given[prop.key] for prop in mapper.column_attrs if prop.key in given
    }
    row = session.connection().execute(_insert_returning(table), values).one()._mapping
    # Straight into the instance's state, as a query's loader fills it: the object is about
    # to become "loaded", so there is no change history to record.
    for prop in mapper.column_attrs:
        given[prop.key] = row[prop.columns[0]]
    make_transient_to_detached(record)
    session.add(record)
    return record


def _insert_returning(table: Table) -> Any:
    statement = _INSERTS.get(table.name)
    if statement is None:
        statement = insert(table).returning(*table.c)
        _INSERTS[table.name] = statement
    return statement
