"""The database handle and the unit of work that every command runs in."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from storage.engine import READ_ONLY, make_engine, make_session_factory
from storage.migrate import ensure_schema


class UnitOfWork:
    """One transaction: ``with uow: ...; uow.commit()``. Rolls back unless committed."""

    session: Session

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory

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

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()


class Database:
    """An engine and its session factory, built once from a URL."""

    def __init__(self, url: str, *, migrate: bool = True, pool_size: int = 10) -> None:
        self.url = url
        self.engine: Engine = make_engine(url, pool_size=pool_size)
        if migrate:
            ensure_schema(self.engine)
        self.sessions = make_session_factory(self.engine)
        self.read_sessions = make_session_factory(
            self.engine.execution_options(**{READ_ONLY: True})
        )

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.sessions)

    def read(self) -> UnitOfWork:
        """A unit of work that only reads (the live view, the API): on SQLite it does not
        take the write lock, so many readers run at once beside one writer."""
        return UnitOfWork(self.read_sessions)

    def dispose(self) -> None:
        self.engine.dispose()
