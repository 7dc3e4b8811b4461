"""What the `trainui` commands do, as plain functions the CLI and `trainui demo` both call: open the
database, serve (web + ingestion, or either alone), register a project. Errors a user can fix
are raised as ``UserError`` with one line that says what to do."""
from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass
from typing import Callable

from .config import ConfigError, ServerConfig


class UserError(Exception):
    """A mistake in how trainui was called or set up; the message is the whole explanation."""


@dataclass
class Registered:
    project: dict
    created: bool  # False: the directory was registered already and is reused
    results: int = 0


def open_database(config: ServerConfig, create: bool = True, wait: bool = False):
    """The database of ``config``, its schema checked. ``create=False`` (read-only commands) never
    creates a file, a folder or a schema. ``wait=True`` (the long-running commands) waits for a
    database server that cannot be reached yet, saying so once, instead of giving up."""
    from sqlalchemy.exc import OperationalError

    from .config import default_database_url
    from .store import Database, ProjectRules, Store, StoreError, first_line

    rules = ProjectRules(data_root=config.data_root, allowed_roots=config.projects_root)
    try:
        db = Database(config.db_url, config.series_cache_bytes, must_exist=not create,
                      create_folder=create and config.db_url == default_database_url(), project_rules=rules)
    except StoreError as error:
        raise UserError(str(error)) from None
    said = False
    while True:
        try:
            Store(db).schema.ensure(auto_create=create)
            if said:
                print("the database is reachable now", file=sys.stderr, flush=True)
            return db
        except StoreError as error:
            db.dispose()
            raise UserError(str(error)) from None
        except OperationalError as error:
            if not wait or db.is_sqlite:
                db.dispose()
                raise UserError(f"cannot open the database {_shown_database(config.db_url)}: {first_line(error)}") \
                    from None
            if not said:
                print(f"waiting for the database {_shown_database(config.db_url)} ({first_line(error)}); "
                      "retrying every 2 s, Ctrl-C to give up", file=sys.stderr, flush=True)
                said = True
            time.sleep(2.0)


def serve(config: ServerConfig, on_ready: Callable[[str], None] | None = None) -> None:
    """Serve the UI and the API (and ingest, unless ``config.ingest`` is off) until SIGINT or
    SIGTERM; both end it cleanly."""
    from waitress.server import create_server

    from .ingest import IngestionService
    from .web import create_app
    from .web.limits import HARD_LIMIT

    configure_logging(config.log_level)
    config.ensure_token()
    _check_address(config)  # a mistyped host or a busy port is said before anything is created
    db = open_database(config, wait=True)
    ingestion = None
    try:
        app = create_app(config, db)
        try:
            # Large answers (a whole series) stay in memory: waitress's default spills anything
            # over 1 MB of pending output to a temporary file.
            wsgi = create_server(app, host=config.host, port=config.port, threads=config.threads, ident="trainui",
                                 channel_timeout=120, clear_untrusted_proxy_headers=False,
                                 outbuf_overflow=64 * 1024 * 1024, max_request_body_size=HARD_LIMIT)
        except OSError as error:
            raise UserError(_bind_error(config, error)) from None
        if config.ingest:
            ingestion = IngestionService(db, config.poll_interval, config.use_watchdog,
                                         config.ingest_chunk_kb * 1024).start()
        url = f"http://{_shown_host(config.host)}:{wsgi.effective_port}{config.base_url}"
        if config.token:
            url += f"?token={config.token}"
        print(f"trainui serving on {url}  (database: {_shown_database(config.db_url)}"
              f"{'' if config.ingest else '; not ingesting: run `trainui ingest`'})", file=sys.stderr, flush=True)
        if on_ready is not None:
            on_ready(url)
        # On Ctrl-C or SIGTERM, open event streams and long polls end at once (they follow the change
        # notices), so waitress's shutdown does not wait out its grace period for them.
        with _stop_on_signals(before=db.changes.close):
            try:
                wsgi.run()
            except KeyboardInterrupt:
                pass
            finally:
                wsgi.close()
    finally:
        if ingestion is not None:
            ingestion.stop()
        db.dispose()


def ingest_forever(config: ServerConfig) -> None:
    """`trainui ingest`: ingestion alone, until SIGINT or SIGTERM (with `server --no-ingest` replicas)."""
    from .ingest import IngestionService
    from .store import safe_url

    configure_logging(config.log_level)
    db = open_database(config, wait=True)
    service = IngestionService(db, config.poll_interval, config.use_watchdog, config.ingest_chunk_kb * 1024)
    print(f"trainui ingesting the projects of {safe_url(config.db_url)}", file=sys.stderr, flush=True)
    done = threading.Event()
    try:
        with _stop_on_signals():
            service.start()
            try:
                while not done.wait(3600):
                    pass
            except KeyboardInterrupt:
                pass
    finally:
        service.stop()
        db.dispose()


def register_project(config: ServerConfig, directory: str, name: str | None = None, ingest: bool = True,
                     on_found: Callable[[int], None] | None = None,
                     on_done: Callable[[str], None] | None = None) -> Registered:
    """Register ``directory`` (reused when it is registered already) and, with ``ingest``, bring
    its results in now. Works while a server runs on the same database."""
    from .ingest import IngestionService
    from .ingest.discovery import find_result_dirs, nested_projects
    from .store import Store, StoreError

    if not os.path.isdir(directory):
        raise UserError(f"{directory} is not a directory")
    db = open_database(config)
    store = Store(db)
    try:
        try:
            registered = Registered(*store.projects.register(directory, name))
        except StoreError as error:
            raise UserError(str(error)) from None
        if not ingest:
            return registered
        path = registered.project["path"]
        inner = nested_projects(path, store.projects.paths())  # their results are theirs
        result_dirs = find_result_dirs(path, skip=inner)
        if on_found is not None:
            on_found(len(result_dirs))
        # one result at a time here, nothing live to be fair to: bigger turns, fewer transactions
        service = IngestionService(db, config.poll_interval, use_watchdog=False,
                                   chunk_bytes=max(config.ingest_chunk_kb * 1024, 8 * 1024 * 1024))
        service.run_until_idle(result_dirs, on_turn=lambda d, more: on_done(d) if on_done and not more else None)
        # what the project shows now (results moved in from an outer one too)
        registered.project = store.projects.get(registered.project["id"])
        registered.results = registered.project["result_count"]
        return registered
    finally:
        db.dispose()


def register_remote_project(config: ServerConfig, name: str) -> Registered:
    """A project for runs that ship over HTTP only (no directory); a project of that name (of either
    kind) is reused, and ``created`` says which happened."""
    return in_store(config, lambda store: Registered(*store.projects.create_remote(name)), create=True)


def in_store(config: ServerConfig, work: Callable, create: bool = False):
    """``work(store)`` on the configured database's store, its value returned; a store error
    becomes a ``UserError``. Without ``create`` nothing is created (read-only commands)."""
    from .store import Store, StoreError

    db = open_database(config, create=create)
    try:
        return work(Store(db))
    except StoreError as error:
        raise UserError(str(error)) from None
    finally:
        db.dispose()


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level.upper() if isinstance(level, str) else level,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:  # "Client disconnected" whenever a tab closes
        logging.getLogger("waitress").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)


class _stop_on_signals:
    """SIGINT, SIGTERM and SIGHUP (its terminal closed) all end the command the way Ctrl-C does
    (KeyboardInterrupt), so cleanup runs; ``before`` is called first, in the signal handler."""

    def __init__(self, before: Callable[[], None] | None = None):
        self.before = before
        self.previous: dict[int, object] = {}

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None)):
                if signum is not None:
                    self.previous[signum] = signal.signal(signum, self._interrupt)
        return self

    def __exit__(self, *exc):
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)
        return False

    def _interrupt(self, signum, frame):
        if self.before is not None:
            self.before()
        raise KeyboardInterrupt


def _check_address(config: ServerConfig) -> None:
    import socket

    try:
        infos = socket.getaddrinfo(config.host or None, config.port, type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)
        family, kind, proto, _, address = infos[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as error:
        raise UserError(_bind_error(config, error)) from None


def _bind_error(config: ServerConfig, error: OSError) -> str:
    import errno
    import socket

    if error.errno == errno.EADDRINUSE:
        return (f"port {config.port} on {config.host} is in use (another trainui or program serves there); "
                f"stop it or pick another port with --port")
    if error.errno == errno.EADDRNOTAVAIL or isinstance(error, socket.gaierror):
        return f"cannot listen on {config.host}: this machine has no such address"
    return f"cannot listen on {config.host}:{config.port}: {error.strerror or error}"


def _shown_host(host: str) -> str:
    """The address to open: a wildcard bind is reached through loopback on this machine."""
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def _shown_database(url: str) -> str:
    """The URL without its password, and for SQLite the absolute file it resolved to."""
    from .store import safe_url, sqlite_path

    path = sqlite_path(url)
    return f"{safe_url(url)} (the file {path})" if path and path != url.split("sqlite:///", 1)[-1] else safe_url(url)


__all__ = ["ConfigError", "Registered", "UserError", "ingest_forever", "open_database", "register_project",
           "register_remote_project", "serve"]
