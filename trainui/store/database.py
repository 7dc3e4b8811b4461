"""The store's engine, its one session scope (commit on success, roll back on error, always close),
and what belongs to one database: the decoded-series cache and the change notices."""
from __future__ import annotations

import contextlib
import os
import threading
from typing import TYPE_CHECKING, Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from ..config import SERIES_CACHE_MB
from .changes import Changes
from .errors import Invalid
from .project_rules import ProjectRules

if TYPE_CHECKING:
    from .series import SeriesCache

DEFAULT_SERIES_CACHE_BYTES = SERIES_CACHE_MB * 1024 * 1024


class Database:
    def __init__(self, url: str, series_cache_bytes: int = DEFAULT_SERIES_CACHE_BYTES, create_folder: bool = False,
                 must_exist: bool = False, project_rules: ProjectRules | None = None):
        """A SQLite file may be created in an existing folder; ``create_folder`` also makes its
        missing folders (only for the default location: a mistyped path named explicitly is an
        error, not a new empty dashboard); ``must_exist`` is for commands that only read, which
        create nothing. ``project_rules``: which directories may be projects (the server's data
        folder and allowed roots come from its settings)."""
        self.url = url
        self.project_rules = project_rules or ProjectRules()
        self.engine = make_engine(url, create_folder, must_exist)
        self._sessions = sessionmaker(bind=self.engine, expire_on_commit=False)
        self._series_cache_bytes = series_cache_bytes
        self._series_cache: SeriesCache | None = None
        self._series_cache_made = threading.Lock()
        self.changes = Changes(self)

    @property
    def series_cache(self) -> SeriesCache:
        """Decoded series survive between requests; ids are only unique within one database (SQLite
        reuses them), so the cache is this object's, and results are keyed by their creation too.
        Made on first use, once (request threads may ask together): a command that reads no series
        never imports numpy."""
        if self._series_cache is None:
            with self._series_cache_made:
                if self._series_cache is None:
                    from .series import SeriesCache

                    self._series_cache = SeriesCache(self._series_cache_bytes)
        return self._series_cache

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def is_postgresql(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @contextlib.contextmanager
    def session(self, write: bool = False) -> Iterator[Session]:
        """A unit of work. Read sessions cannot write (the database refuses it). ``write=True``
        takes SQLite's write lock up front (BEGIN IMMEDIATE), so a read-then-write transaction
        waits for its turn instead of failing with "database is locked"."""
        session = self._sessions()
        session.info["database"] = self
        session.connection(execution_options={"trainui_write": write})
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.changes.close()
        self.engine.dispose()


def database_of(session: Session) -> Database:
    """The Database whose session scope opened ``session`` (for what belongs to it: cache, notices)."""
    return session.info["database"]


def after_commit(session: Session, action) -> None:
    """Run ``action()`` once ``session``'s transaction has committed (never after a rollback)."""
    event.listen(session, "after_commit", lambda _session: action(), once=True)


def make_engine(url: str, create_folder: bool = False, must_exist: bool = False) -> Engine:
    try:
        parsed = make_url(url)
        backend = parsed.get_backend_name()
    except ArgumentError:
        raise Invalid(f"{url!r} is not a database URL (e.g. sqlite:////path/trainui.db or "
                      "postgresql+psycopg2://user@host/db)") from None
    if backend == "sqlite":
        return _sqlite_engine(url, parsed, create_folder, must_exist)
    if backend != "postgresql":
        raise Invalid(f"trainui stores its data in SQLite or PostgreSQL, not {backend!r}")
    try:
        engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    except (ImportError, ModuleNotFoundError) as error:
        raise Invalid(f"the PostgreSQL driver is not installed ({error.name or error}): "
                      "pip install 'trainui[postgres]'") from None
    except ArgumentError as error:
        raise Invalid(f"cannot use database URL: {error}") from None
    event.listen(engine, "begin", _postgresql_begin)
    return engine


def _sqlite_engine(url: str, parsed, create_folder: bool, must_exist: bool) -> Engine:
    path = sqlite_path(url)
    if parsed.query:
        arguments = "&".join(f"{k}={v}" for k, v in parsed.query.items())
        raise Invalid(f"trainui's SQLite URL takes no query arguments (got ?{arguments}): give the file alone, "
                      f"sqlite:///{path}")
    if path is None:
        raise Invalid("an in-memory SQLite database is not shared by the server's threads and is gone when it stops: "
                      "give a file, e.g. sqlite:////path/to/trainui.db")
    folder = os.path.dirname(path)
    if must_exist:
        if not os.path.isfile(path):
            raise Invalid(f"there is no trainui database at {path}")
    elif not os.path.isdir(folder):
        if not create_folder:
            raise Invalid(f"the folder {folder} of the database {url} does not exist{_relative_hint(parsed.database)}; "
                          "create it first (only the default database's folder is made for you)")
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError as error:
            raise Invalid(f"cannot create the folder {folder} for the database: {error.strerror or error}") from None
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def sqlite_path(url: str) -> str | None:
    """The absolute file a SQLite URL names (relative paths resolve against the working folder);
    None for an in-memory database (or a URL that is not SQLite's)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return os.path.abspath(parsed.database)


def _relative_hint(database: str) -> str:
    if os.path.isabs(database):
        return ""
    return (f" (sqlite:/// is followed by a path, so {database!r} is relative to {os.getcwd()}; an absolute "
            f"path takes four slashes: sqlite:////{database})")


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # Let SQLAlchemy own transactions (pysqlite's implicit BEGIN would defer the write lock).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(connection) -> None:
    """Write sessions begin IMMEDIATE; read sessions (of the store's session scope) are query-only."""
    write = connection.get_execution_options().get("trainui_write")
    connection.exec_driver_sql(f"PRAGMA query_only={'ON' if write is False else 'OFF'}")  # pooled: always set
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _postgresql_begin(connection) -> None:
    if connection.get_execution_options().get("trainui_write") is False:
        connection.exec_driver_sql("SET TRANSACTION READ ONLY")
