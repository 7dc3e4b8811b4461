"""`trainui server` and `trainui ingest`, and ``serve``: web and ingestion (or either alone) until
SIGINT or SIGTERM, which `trainui demo` calls too. Errors a user can fix are raised as
``UserError`` with one line that says what to do."""
from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from typing import Callable

import click

from ..config import DEFAULT_HOST, DEFAULT_PORT, DEFAULT_THREADS, INGEST_POLL_INTERVAL, ServerConfig
from .db import open_database, shown_database
from .project import register_with_progress
from .usage import DB_OPTION, PROJECTS_ROOT_OPTION, UserError, count, load_config, user_errors


def server_options(command):
    for option in reversed([
        click.option("--host", default=None, help=f"Address to bind [default: {DEFAULT_HOST}]. Anything but loopback "
                                                  "requires an access token."),
        click.option("--port", default=None, type=click.IntRange(0, 65535), help=f"Port [default: {DEFAULT_PORT}; 0: any free one]."),
        DB_OPTION,
        click.option("--base-url", default=None, help="Serve under a sub-path, e.g. /trainui/ behind a reverse proxy."),
        click.option("--token", default=None,
                     help="Access token required on every request (generated when binding beyond loopback). "
                          "A flag is visible to every user of this machine in `ps`: prefer "
                          "$TRAINUI_ADMIN_TOKEN."),
        click.option("--allowed-hosts", default=None, metavar="NAMES",
                     help="Comma-separated host names the server answers besides the bound address and "
                          "loopback names (e.g. the name a reverse proxy forwards)."),
        click.option("--threads", default=None, type=click.IntRange(1, 64), help=f"Request threads [default: {DEFAULT_THREADS}]."),
        PROJECTS_ROOT_OPTION,
    ]):
        command = option(command)
    return command


def ingest_options(command):
    for option in reversed([
        click.option("--poll-interval", default=None, type=click.FloatRange(0.1, 600),
                     help="Seconds between polling passes (the fallback where file events do not arrive) "
                          f"[default: {INGEST_POLL_INTERVAL:g}]."),
        click.option("--no-watchdog", is_flag=True, help="Poll only (e.g. on network file systems without events)."),
    ]):
        command = option(command)
    return command


@click.command()
@click.argument("directories", metavar="[DIR]...", nargs=-1, type=click.Path(file_okay=False))
@server_options
@ingest_options
@click.option("--no-ingest", is_flag=True,
              help="Serve only; `trainui ingest` processes sharing the PostgreSQL database do the ingestion.")
@user_errors
def server(directories, no_watchdog, no_ingest, **flags):
    """Serve the dashboard and the API, and ingest registered projects.

    Each DIR given is registered first as a project named after it (or reused when it is
    registered already) and its results are ingested, as `trainui project create -d DIR` does.
    """
    config = load_config(use_watchdog=not no_watchdog, ingest=not no_ingest, **flags)
    missing = [d for d in directories if not os.path.isdir(d)]
    if missing:  # before anything is registered
        raise click.UsageError(f"not a directory: {', '.join(missing)}")
    for directory in directories:
        try:
            registered = register_with_progress(config, directory, None, ingest=not no_ingest)
        except UserError as error:
            if "exists already" not in str(error):
                raise
            raise UserError(f"{error}: register {os.path.abspath(directory)} under another name first "
                            f"(trainui project create -d {directory} -n NAME), then serve it") from None
        p = registered.project
        click.echo(f"{'registered' if registered.created else 'already registered:'} project {p['name']!r} "
                   f"(id {p['id']}) at {p['path']}"
                   + ("" if no_ingest else f": {count(registered.results, 'result')}"), err=True)
    serve(config)


@click.command()
@DB_OPTION
@ingest_options
@user_errors
def ingest(no_watchdog, **flags):
    """Ingest registered projects without serving (beside `trainui server --no-ingest` replicas).

    Several `trainui ingest` processes can share one PostgreSQL database: each result is read by
    one of them at a time, and the others take over the results of one that stops.
    """
    ingest_forever(load_config(use_watchdog=not no_watchdog, **flags))


def serve(config: ServerConfig, on_ready: Callable[[str], None] | None = None) -> None:
    """Serve the UI and the API (and ingest, unless ``config.ingest`` is off) until SIGINT or
    SIGTERM; both end it cleanly."""
    from waitress.server import create_server

    from ..ingest import IngestionService
    from ..web import create_app
    from ..web.limits import HARD_LIMIT

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
                                         config.ingest_chunk_bytes).start()
        url = f"http://{_shown_host(config.host)}:{wsgi.effective_port}{config.base_url}"
        if config.token:
            url += f"?token={config.token}"
        print(f"trainui serving on {url}  (database: {shown_database(config.db_url)}"
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
    from ..ingest import IngestionService
    from ..store import safe_url

    configure_logging(config.log_level)
    db = open_database(config, wait=True)
    service = IngestionService(db, config.poll_interval, config.use_watchdog, config.ingest_chunk_bytes)
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



