"""Engine and session factory for SQLite (embedded default) and PostgreSQL.

SQLite is configured so that concurrent writers wait instead of failing:
WAL journal, a busy timeout, and every transaction opened with
``BEGIN IMMEDIATE`` so the write lock is taken at BEGIN rather than on the first
write (a deferred transaction that reads and then writes can otherwise fail
with "database is locked" without waiting for the busy timeout).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_DATABASE_URL = "sqlite:///joinedup.db"
# Execution option of a read-only engine (``Database.reader``): on SQLite its transactions
# begin DEFERRED, beside the writer, instead of taking the write lock.
READ_ONLY = "joinedup_read_only"
SQLITE_BUSY_TIMEOUT_S = 30
# PostgreSQL: a pooled connection that has been back in the pool at least this long is
# pinged before it is handed out (``_ping_when_idle``); one in steady use is not.
IDLE_PING_S = 5.0
# Execution option of a unit of work that must not wait for SQLite's write lock
# (``Database.watched(wait=False)``): its BEGIN raises ``WouldWait`` instead.
NO_WAIT = "joinedup_no_wait"


class WouldWait(Exception):
    """SQLite's write lock is taken (by another writer of this process, or by another
    process), and the unit of work was begun with ``NO_WAIT``: nothing was done."""


def normalise_url(url: str) -> str:
    """Pick the drivers we ship: psycopg 3 for PostgreSQL, pysqlite for SQLite."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def is_sqlite(url_or_engine: str | Engine) -> bool:
    if isinstance(url_or_engine, Engine):
        return url_or_engine.dialect.name == "sqlite"
    return make_url(normalise_url(url_or_engine)).get_backend_name() == "sqlite"


def make_engine(url: str, *, echo: bool = False, pool_size: int = 10) -> Engine:
    """Build an engine for ``url`` with the settings each backend needs."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            Path(database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            echo=echo,
            connect_args={
                "timeout": SQLITE_BUSY_TIMEOUT_S,
                "check_same_thread": False,
                "factory": _writer_class(database),
            },
            pool_size=pool_size,
            max_overflow=pool_size * 2,
        )
        _configure_sqlite(engine)
        return engine
    engine = create_engine(url, echo=echo, pool_size=pool_size, max_overflow=pool_size * 2)
    _ping_when_idle(engine)
    return engine


# Where a pooled connection's ``info`` keeps when it last went back to the pool.
_RETURNED = "joinedup_returned_at"


def _ping_when_idle(engine: Engine) -> None:
    """Ping a connection before handing it out only when it has sat in the pool for
    ``IDLE_PING_S`` or more: a server restart or a dropped idle connection is found before a
    command uses it, and a connection in steady use is not pinged.

    SQLAlchemy's ``pool_pre_ping`` pings on every checkout: one more round trip for every
    command, about a tenth of its server CPU (measured in-process, 1.8 ms -> 1.65 ms). A
    connection that breaks while in use (the server restarted within the last few seconds)
    fails its statement instead; the pool then drops every connection made before the
    failure, and ``commands.dispatch`` runs the command once more on a new one.
    """

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[_RETURNED] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        # ``info`` starts empty for each new DBAPI connection: a fresh one is not pinged.
        returned = record.info.get(_RETURNED)
        if returned is None or time.monotonic() - returned < IDLE_PING_S:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            # The pool discards this connection and checks out a new one (up to 3 tries).
            raise DisconnectionError(f"a pooled connection was dead: {exc}") from exc


def _writer_class(database: str) -> type[_QueuedWriter]:
    """A ``_QueuedWriter`` class of its own per engine (per ``database``), so that two
    databases in one process (two tests', say) never queue behind each other."""
    return type("QueuedWriter", (_QueuedWriter,), {"_turns": threading.Lock()})


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module so that our
        # "begin" listener decides how each transaction starts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get(READ_ONLY):
            # A reader (``Database.reader``): WAL lets it run beside the writer, on the
            # snapshot of its first read, without taking the write lock or the queue.
            conn.exec_driver_sql("BEGIN")
            return
        dbapi = conn.connection.dbapi_connection
        if conn.get_execution_options().get(NO_WAIT):
            _begin_now(conn, dbapi)
            return
        if isinstance(dbapi, _QueuedWriter):
            dbapi.take_turn()
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            if isinstance(dbapi, _QueuedWriter):
                dbapi.end_turn()
            raise


def _begin_now(conn: Any, dbapi: Any) -> None:
    """``BEGIN IMMEDIATE`` only if the write lock is free now, else ``WouldWait``: the turn
    of this process's queue without waiting, and SQLite's lock with no busy timeout (set on
    the driver's connection for the BEGIN alone, so it is not one of the command's
    statements)."""
    queued = isinstance(dbapi, _QueuedWriter)
    if queued and not dbapi.try_turn():
        raise WouldWait
    dbapi.execute("PRAGMA busy_timeout=0")
    try:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    except OperationalError as exc:
        if queued:
            dbapi.end_turn()
        if "locked" in str(exc.orig) or "busy" in str(exc.orig):
            raise WouldWait from exc
        raise
    except BaseException:
        if queued:
            dbapi.end_turn()
        raise
    finally:
        dbapi.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")


class _QueuedWriter(sqlite3.Connection):
    """A SQLite connection that queues for the write lock inside this process.

    SQLite's own lock makes a waiting connection poll with sleeps that grow to 100 ms (its
    busy handler), so under concurrent commands the lock sits idle while the waiters sleep.
    Waiting on a lock of our own instead hands it over the moment the holder commits. The
    turn is taken at BEGIN and given back after the real COMMIT or ROLLBACK; other processes
    on the same file still wait on SQLite's lock (and the busy timeout).
    """

    _turns = threading.Lock()
    _holding = False

    def take_turn(self) -> None:
        # Bounded like SQLite's own wait: past it, BEGIN IMMEDIATE decides (and fails with
        # "database is locked" after the busy timeout, as it would without the queue).
        self._holding = type(self)._turns.acquire(timeout=SQLITE_BUSY_TIMEOUT_S)

    def try_turn(self) -> bool:
        """Take the turn only if nobody in this process holds it."""
        self._holding = type(self)._turns.acquire(blocking=False)
        return self._holding

    def end_turn(self) -> None:
        if self._holding:
            self._holding = False
            type(self)._turns.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.end_turn()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.end_turn()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.end_turn()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)
