"""The database handle and the unit of work that every command runs in."""

from __future__ import annotations

import logging
from collections.abc import Callable
from types import TracebackType
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from storage.engine import NO_WAIT, READ_ONLY, is_sqlite, make_engine, make_session_factory
from storage.migrate import ensure_schema
from storage.outbox import QUEUED

log = logging.getLogger(__name__)
T = TypeVar("T")


class UnitOfWork:
    """One transaction: ``with uow: ...; uow.commit()``. Rolls back unless committed.

    ``queued``: whether a commit of this unit of work wrote an outbox row (so the caller
    wakes the delivery loop only when there is something to deliver)."""

    session: Session

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory
        self.queued = False

    def __enter__(self) -> UnitOfWork:
        self.session = self._session_factory()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.session.rollback()
        finally:
            self.session.close()

    def read_only(self) -> None:
        """Declare, before the first statement, that this unit of work only reads: on SQLite
        its transaction then begins DEFERRED beside the writer instead of queueing for the
        write lock (see ``Database.reader``). A write in it would have to take the lock."""
        self.session.connection(execution_options={READ_ONLY: True})

    def commit(self) -> None:
        self.session.commit()
        if self.session.info.pop(QUEUED, False):
            self.queued = True

    def rollback(self) -> None:
        self.session.rollback()
        self.session.info.pop(QUEUED, None)


class WatchedUnitsOfWork:
    """A unit-of-work factory (``Database.uow``) that remembers whether any commit of the units
    it made wrote an outbox row: an adapter wakes the delivery loop only then."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions
        self._made: list[UnitOfWork] = []

    def __call__(self) -> UnitOfWork:
        self._made.append(UnitOfWork(self._sessions))
        return self._made[-1]

    @property
    def queued(self) -> bool:
        return any(work.queued for work in self._made)


class Database:
    """An engine and its session factory, built once from a URL."""

    def __init__(self, url: str, *, migrate: bool = True, pool_size: int = 10) -> None:
        self.url = url
        # Connections the pool hands out at most: its size plus its overflow (storage.engine).
        self.max_connections = pool_size * 3
        self.engine: Engine = make_engine(url, pool_size=pool_size)
        if migrate:
            ensure_schema(self.engine)
        self.sessions = make_session_factory(self.engine)
        self._read_sessions = make_session_factory(
            self.engine.execution_options(**{READ_ONLY: True})
        )
        # SQLite: a command's transaction is about a millisecond of CPU with no network in
        # it, so an adapter may run it on its event loop when the write lock is free now
        # (``watched(wait=False)``), instead of in a worker thread whose every statement
        # hands Python's GIL back and forth with the loop while it holds the lock.
        self.runs_inline = is_sqlite(self.engine)
        self._no_wait_sessions = make_session_factory(
            self.engine.execution_options(**{NO_WAIT: True})
        )

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.sessions)

    def watched(self, *, wait: bool = True) -> WatchedUnitsOfWork:
        """A ``uow`` factory whose ``queued`` tells whether its commits queued a message.

        ``wait=False``: its units of work never wait for SQLite's write lock; beginning one
        while the lock is taken raises ``storage.engine.WouldWait`` and changes nothing."""
        return WatchedUnitsOfWork(self.sessions if wait else self._no_wait_sessions)

    def reader(self) -> UnitOfWork:
        """A unit of work for reading only (it is never committed): on SQLite it runs beside
        the writer instead of queueing for the write lock."""
        return UnitOfWork(self._read_sessions)

    def read_again_if_dropped(self, read: Callable[[], T]) -> T:
        """Run ``read`` (a whole unit of work that only reads); when the server dropped its
        connection under it, run it once more on a new one.

        The pool pings only a connection that sat idle (``storage.engine.IDLE_PING_S``), so
        after a server restart a connection in steady use fails its first statement
        instead; the pool then drops every connection made before. Only for reads: a write
        whose connection broke at its commit may have committed. (Commands carry their own
        retry, guarded by their claim: ``commands.dispatch.run``.)"""
        try:
            return read()
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
            log.warning("database connection lost (%s); reading again", exc.orig)
            return read()

    def dispose(self) -> None:
        self.engine.dispose()
