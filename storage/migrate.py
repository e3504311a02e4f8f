"""Apply Alembic migrations: the only way the schema is created or changed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Any fixed number: replicas starting together on one PostgreSQL take turns migrating.
_PG_MIGRATION_LOCK = 0x6A6F696E


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url:
        config.set_main_option("sqlalchemy.url", url)
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@contextmanager
def migrating(engine: Engine) -> Iterator[Connection]:
    """One transaction to migrate in. On SQLite, foreign keys are off while it runs (set on
    the driver's connection before the transaction begins; SQLite ignores the pragma inside
    one), because a batch migration rebuilds a table by dropping it, which SQLite refuses
    while other tables' rows point at it; they are checked before it commits. On
    PostgreSQL, replicas starting together take turns."""
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        raw = conn.connection.dbapi_connection if sqlite else None
        if raw is not None:
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    conn.execute(
                        text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK}
                    )
                yield conn
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"migration left rows pointing nowhere: {broken[:5]}")
        finally:
            if raw is not None:
                raw.execute("PRAGMA foreign_keys=ON")


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision`` (idempotent; safe for concurrent replicas)."""
    config = alembic_config()
    with migrating(engine) as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Take the database back to ``revision`` (for operators and the migration tests)."""
    config = alembic_config()
    with migrating(engine) as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, revision)


def is_up_to_date(engine: Engine) -> bool:
    return current_revision(engine) == head_revision()


def ensure_schema(engine: Engine) -> None:
    """Upgrade when behind: every command but ``db upgrade`` calls this on start."""
    if not is_up_to_date(engine):
        upgrade(engine)
