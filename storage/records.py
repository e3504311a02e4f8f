"""Writing a new record in one Core statement, kept as the ORM object a query would load."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from sqlalchemy import Table, bindparam, insert, inspect, select
from sqlalchemy.orm import Session, make_transient_to_detached

from storage.models import AuditEvent, Base
from storage.teams import NEXT_NUMBER, next_number

R = TypeVar("R", bound=Base)

_INSERTS: dict[str, Any] = {}

AUDIT = Base.metadata.tables[AuditEvent.__tablename__]
# One audit event (every change writes one); inline(): no RETURNING of its new id, which
# SQLAlchemy would otherwise add and nothing reads.
AUDIT_INSERT = insert(AUDIT).inline()


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
    values = _given(record)
    row = session.connection().execute(_insert_returning(table), values).one()._mapping
    return _loaded(session, record, row)


def insert_numbered(
    session: Session, record: R, kind: str, *, audit: Mapping[str, Any] | None = None
) -> R:
    """``insert_loaded`` for a record that takes its team's next ``kind`` number (D, C, R...):
    ``record.number`` is set from the team's counter in the same transaction. ``audit``: the
    record's audit event, every column but ``entity_id`` (the new record's id), written with
    it.

    On PostgreSQL the counter's UPDATE, the INSERT and the audit event are one statement
    (data-modifying CTEs): two round trips fewer, and the counter row, which the team's
    other writers queue on until this transaction commits, is locked two round trips
    later. SQLite runs the statements one by one, in-process."""
    team_id = record.__dict__["team_id"]
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        cast(Any, record).number = next_number(session, team_id, kind)
        insert_loaded(session, record)
        if audit is not None:
            connection.execute(AUDIT_INSERT, {**audit, "entity_id": cast(Any, record).id})
        return record
    table = inspect(type(record)).local_table
    assert isinstance(table, Table)
    values = _with_defaults(table, _given(record))
    statement = _numbered_insert(table, tuple(values), audited=audit is not None)
    params = {f"value_{name}": value for name, value in values.items()}
    params.update(counter_team=team_id, counter_kind=kind)
    if audit is not None:
        params.update({f"audit_{name}": value for name, value in audit.items()})
    row = connection.execute(statement, params).one()._mapping
    return _loaded(session, record, row)


def _given(record: Base) -> dict[str, Any]:
    """The column values set on a new ``record``, by column name (the rest take the
    columns' defaults in the INSERT)."""
    mapper = inspect(type(record))
    given = record.__dict__
    return {
        prop.columns[0].name: given[prop.key] for prop in mapper.column_attrs if prop.key in given
    }


def _with_defaults(table: Table, given: dict[str, Any]) -> dict[str, Any]:
    """Every column's value for an ``INSERT ... SELECT`` but the key and the number: given,
    or the column's own default (an ``INSERT ... VALUES`` fills these in itself)."""
    values: dict[str, Any] = {}
    for column in table.c:
        if column.primary_key or column.name == "number":
            continue
        if column.name in given:
            values[column.name] = given[column.name]
            continue
        default = column.default
        if default is None:
            if column.server_default is None:
                values[column.name] = None
        elif default.is_scalar:
            values[column.name] = default.arg  # type: ignore[attr-defined]
        elif default.is_callable:
            values[column.name] = default.arg(None)  # type: ignore[attr-defined]
        else:  # a SQL expression default: none of the numbered records has one
            raise ValueError(f"{table.name}.{column.name}: a SQL default is not supported here")
    return values


def _loaded(session: Session, record: R, row: Any) -> R:
    mapper = inspect(type(record))
    given = record.__dict__
    # Straight into the instance's state, as a query's loader fills it: the object is about
    # to become "loaded", so there is no change history to record.
    for prop in mapper.column_attrs:
        given[prop.key] = row[prop.columns[0].name]
    make_transient_to_detached(record)
    session.add(record)
    return record


def _numbered_insert(table: Table, names: tuple[str, ...], *, audited: bool) -> Any:
    """``WITH taken AS (UPDATE counters ... RETURNING last_number) INSERT INTO <table>
    (<names>, number) SELECT <given values>, taken.last_number FROM taken RETURNING *``;
    ``audited``: the INSERT is a CTE too (``created``), and one more CTE inserts the audit
    event with ``created.id`` as its ``entity_id``; the statement returns ``created``'s row.
    Built once per table, set of given columns and ``audited``."""
    key = (table.name, names, audited)
    statement = _NUMBERED.get(key)
    if statement is None:
        taken = NEXT_NUMBER.cte("taken")
        # Named apart from the counters' columns: an execution parameter named like one of
        # them (team_id) would be taken as a value for the UPDATE's SET.
        values = [bindparam(f"value_{name}", type_=table.c[name].type) for name in names]
        insert_record = insert(table).from_select(
            [*names, "number"],
            select(*values, taken.c.last_number),
            include_defaults=False,
        )
        if not audited:
            statement = insert_record.returning(*table.c)
        else:
            created = insert_record.returning(*table.c).cte("created")
            audit_names = [c.name for c in AUDIT.c if not c.primary_key]
            audit_values = [
                created.c.id
                if name == "entity_id"
                else bindparam(f"audit_{name}", type_=AUDIT.c[name].type)
                for name in audit_names
            ]
            audited_cte = (
                insert(AUDIT)
                .from_select(audit_names, select(*audit_values), include_defaults=False)
                .cte("audited")
            )
            statement = select(*created.c).add_cte(audited_cte)
        _NUMBERED[key] = statement
    return statement


_NUMBERED: dict[tuple[str, tuple[str, ...], bool], Any] = {}


def _insert_returning(table: Table) -> Any:
    statement = _INSERTS.get(table.name)
    if statement is None:
        statement = insert(table).returning(*table.c)
        _INSERTS[table.name] = statement
    return statement
