"""Database engine and sessions: SQLite file by default (WAL, foreign keys on), PostgreSQL when
``COSTBRIDGE_DATABASE_URL`` says so; the connection pool's size; telling transient failures (a
locked SQLite file, a PostgreSQL serialization failure or deadlock) from real ones and retrying the
former; plus running the Alembic migrations.

Environment (each optional; an empty value means the default):

- ``COSTBRIDGE_DATABASE_URL``: the database (default ``sqlite:///costbridge.db``).
- ``COSTBRIDGE_DB_POOL_SIZE`` / ``COSTBRIDGE_DB_MAX_OVERFLOW``: connections kept open / extra
  connections opened under load (default 5 / 10). The API sizes its worker pool with their sum.
- ``COSTBRIDGE_SQLITE_BUSY_TIMEOUT_MS``: how long SQLite waits for another writer's lock before
  giving up on one statement (default 5000).
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

if TYPE_CHECKING:
    from alembic.config import Config

DEFAULT_DATABASE_URL = "sqlite:///costbridge.db"
MIGRATIONS_DIR = Path(__file__).parent / "migrations"
DEFAULT_POOL_SIZE = 5
DEFAULT_MAX_OVERFLOW = 10
DEFAULT_SQLITE_BUSY_TIMEOUT_MS = 5000

# PostgreSQL SQLSTATEs worth retrying: serialization_failure, deadlock_detected
_PG_RETRYABLE = {"40001", "40P01"}
_PG_QUERY_CANCELED = "57014"
_SQLITE_BUSY_TEXT = ("database is locked", "database table is locked", "database is busy")

T = TypeVar("T")


def env_int(name: str, default: int) -> int:
    """An integer environment setting; unset or empty means ``default``. Refuses anything else."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw.replace("_", ""))
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not a whole number") from None
    if value < 0:
        raise ValueError(f"{name}={raw!r} may not be negative")
    return value


def database_url() -> str:
    # deployment tools often leave the variable set but empty: that means the default
    return os.environ.get("COSTBRIDGE_DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL


def is_sqlite_url(url: str) -> bool:
    return normalize_url(url).startswith("sqlite")


def normalize_url(url: str) -> str:
    # psycopg 3 is the driver we ship; accept the plain postgres:// spellings too
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _sqlite_pragmas(busy_timeout_ms: int) -> Callable[[Any, Any], None]:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    return on_connect


def make_engine(
    url: str | None = None, *, sqlite_busy_timeout_ms: int | None = None, **kwargs: Any
) -> Engine:
    url = normalize_url(url or database_url())
    in_memory = url in ("sqlite://", "sqlite:///:memory:")
    if not in_memory:
        kwargs.setdefault("pool_size", env_int("COSTBRIDGE_DB_POOL_SIZE", DEFAULT_POOL_SIZE) or 1)
        kwargs.setdefault("max_overflow", env_int("COSTBRIDGE_DB_MAX_OVERFLOW", DEFAULT_MAX_OVERFLOW))
    if url.startswith("sqlite"):
        if sqlite_busy_timeout_ms is None:
            sqlite_busy_timeout_ms = env_int(
                "COSTBRIDGE_SQLITE_BUSY_TIMEOUT_MS", DEFAULT_SQLITE_BUSY_TIMEOUT_MS
            )
        kwargs.setdefault("connect_args", {"check_same_thread": False})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas(sqlite_busy_timeout_ms))
        return engine
    # no ping before each checkout (a round trip per request): a connection the server dropped
    # fails its first statement, is discarded, and the failure counts as transient (is_transient)
    return create_engine(url, **kwargs)


def pool_capacity(engine: Engine) -> int:
    """How many connections the engine's pool hands out at most (pool size + overflow)."""
    pool = engine.pool
    if isinstance(pool, QueuePool):
        return pool.size() + max(pool._max_overflow, 0)
    return 1


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


def set_statement_timeout(factory: sessionmaker[Session], timeout_ms: int) -> None:
    """Every transaction of ``factory``'s sessions on PostgreSQL stops any statement running longer
    than ``timeout_ms`` (0: no limit). SQLite has no such setting; its work is bounded by the
    query cost limit instead."""
    if timeout_ms <= 0 or factory.kw["bind"].dialect.name != "postgresql":
        return

    def after_begin(_session: Session, _transaction: Any, connection: Any) -> None:
        connection.exec_driver_sql(f"SET LOCAL statement_timeout = {int(timeout_ms)}")

    event.listen(factory, "after_begin", after_begin)


def is_transient(exc: BaseException) -> bool:
    """A failure that a retry of the whole transaction can cure: SQLite's lock contention,
    PostgreSQL's serialization failures and deadlocks, a connection the server had dropped."""
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:  # the server dropped the connection; the pool opens a new one
        return True
    orig = exc.orig
    if getattr(orig, "sqlstate", None) in _PG_RETRYABLE:
        return True
    return _sqlite_busy(orig)


def _sqlite_busy(orig: BaseException | None) -> bool:
    text = str(orig).lower() if orig is not None else ""
    return type(orig).__module__.startswith("sqlite3") and any(t in text for t in _SQLITE_BUSY_TEXT)


def is_statement_timeout(exc: BaseException) -> bool:
    return isinstance(exc, DBAPIError) and getattr(exc.orig, "sqlstate", None) == _PG_QUERY_CANCELED


class DatabaseBusy(Exception):
    """Transient failures went on for longer than the retry budget."""


def retry_transient(session: Session, action: Callable[[Session], T], budget_seconds: float) -> T:
    """Run ``action`` and commit; on a transient failure roll back and run it again, with jittered
    backoff, until ``budget_seconds`` have passed; then raise DatabaseBusy. Any other exception
    rolls back and propagates. ``action`` must be safe to re-run from the start (it is: the
    rolled-back transaction left nothing behind)."""
    deadline = time.monotonic() + budget_seconds
    delay = 0.02
    while True:
        try:
            result = action(session)
            session.commit()
            return result
        except DBAPIError as exc:
            session.rollback()
            if not is_transient(exc):
                raise
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DatabaseBusy(str(exc.orig)) from exc
            # the last attempt comes at the end of the budget, not before it
            time.sleep(min(delay * (0.5 + random.random()), remaining))
            delay = min(delay * 2, 0.5)
        except BaseException:
            session.rollback()
            raise


# how long a write the request can go without waits for another writer's SQLite lock
OPTIONAL_WRITE_WAIT_MS = 100


def commit_if_not_busy(
    session: Session, action: Callable[[Session], object], wait_ms: int = OPTIONAL_WRITE_WAIT_MS
) -> bool:
    """Run ``action`` and commit, for bookkeeping a request can go without (a token's last use):
    when the database is busy (another writer holds SQLite's lock for longer than ``wait_ms``, a
    PostgreSQL serialization failure or deadlock) roll back and return False, rather than wait out
    the busy timeout or fail the request. Any other failure rolls back and propagates."""
    sqlite = _sqlite_driver_connection(session)
    try:
        if sqlite is None:
            action(session)
        else:
            waited = sqlite.execute("PRAGMA busy_timeout").fetchone()[0]
            sqlite.execute(f"PRAGMA busy_timeout={int(wait_ms)}")
            try:
                action(session)
            finally:
                # before the commit hands the connection back to the pool
                sqlite.execute(f"PRAGMA busy_timeout={int(waited)}")
        session.commit()
        return True
    except DBAPIError as exc:
        session.rollback()
        if is_transient(exc):
            return False
        raise
    except BaseException:
        session.rollback()
        raise


def _sqlite_driver_connection(session: Session) -> Any:
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return None
    return connection.connection.driver_connection


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work commits on success and rolls back on any exception."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(engine_or_url: Engine | str) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if isinstance(engine_or_url, str):
        cfg.set_main_option("sqlalchemy.url", normalize_url(engine_or_url).replace("%", "%%"))
    else:
        cfg.attributes["engine"] = engine_or_url
    return cfg


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the database schema up to ``revision`` (idempotent)."""
    from alembic import command

    command.upgrade(alembic_config(engine), revision)
