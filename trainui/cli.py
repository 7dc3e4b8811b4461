"""The `trainui` command. Each subcommand parses its flags into a ``ServerConfig`` and calls
``trainui.serve``; a mistake ends with one line on stderr and exit status 2, never a traceback."""
from __future__ import annotations

import os
import sys

import click

from . import remote_cli
from .config import ServerConfig
from .demo import demo
from .usage import load_config, user_errors


DB_OPTION = click.option("--db", "db_url", metavar="URL", default=None,
                         help="Database URL (default: $TRAINUI_DB_URL, else SQLite under $TRAINUI_ROOT or ~/.trainui).")
PROJECTS_ROOT_OPTION = click.option(
    "--projects-root", "projects_root", multiple=True, metavar="DIR",
    help="Register projects only inside DIR (repeatable; default: $TRAINUI_PROJECTS_ROOT, else anywhere but "
         "system folders, other users' homes and the server's own data).")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="trainui", message="trainui %(version)s")
def main() -> None:
    """trainui: watch PyTorch training runs live and steer them from the browser.

    \b
    Quick start:
      trainui server ./results      # registers ./results, ingests it; then open http://127.0.0.1:5000
    """


def server_options(command):
    for option in reversed([
        click.option("--host", default=None, help="Address to bind [default: 127.0.0.1]. Anything but loopback "
                                                  "requires an access token."),
        click.option("--port", default=None, type=click.IntRange(0, 65535), help="Port [default: 5000; 0: any free one]."),
        DB_OPTION,
        click.option("--base-url", default=None, help="Serve under a sub-path, e.g. /trainui/ behind a reverse proxy."),
        click.option("--token", default=None,
                     help="Access token required on every request (generated when binding beyond loopback). "
                          "A flag is visible to every user of this machine in `ps`: prefer "
                          "$TRAINUI_ADMIN_TOKEN."),
        click.option("--allowed-hosts", default=None, metavar="NAMES",
                     help="Comma-separated host names the server answers besides the bound address and "
                          "loopback names (e.g. the name a reverse proxy forwards)."),
        click.option("--threads", default=None, type=click.IntRange(1, 64), help="Request threads [default: 24]."),
        PROJECTS_ROOT_OPTION,
    ]):
        command = option(command)
    return command


def ingest_options(command):
    for option in reversed([
        click.option("--poll-interval", default=None, type=click.FloatRange(0.1, 600),
                     help="Seconds between polling passes (the fallback where file events do not arrive) [default: 2]."),
        click.option("--no-watchdog", is_flag=True, help="Poll only (e.g. on network file systems without events)."),
    ]):
        command = option(command)
    return command


@main.command()
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
    from .serve import UserError, serve

    config = load_config(use_watchdog=not no_watchdog, ingest=not no_ingest, **flags)
    missing = [d for d in directories if not os.path.isdir(d)]
    if missing:  # before anything is registered
        raise click.UsageError(f"not a directory: {', '.join(missing)}")
    for directory in directories:
        try:
            registered = _register_with_progress(config, directory, None, ingest=not no_ingest)
        except UserError as error:
            if "exists already" not in str(error):
                raise
            raise UserError(f"{error}: register {os.path.abspath(directory)} under another name first "
                            f"(trainui project create -d {directory} -n NAME), then serve it") from None
        p = registered.project
        click.echo(f"{'registered' if registered.created else 'already registered:'} project {p['name']!r} "
                   f"(id {p['id']}) at {p['path']}"
                   + ("" if no_ingest else f": {_count(registered.results, 'result')}"), err=True)
    serve(config)


@main.command()
@DB_OPTION
@ingest_options
@user_errors
def ingest(no_watchdog, **flags):
    """Ingest registered projects without serving (beside `trainui server --no-ingest` replicas).

    Several `trainui ingest` processes can share one PostgreSQL database: each result is read by
    one of them at a time, and the others take over the results of one that stops.
    """
    from .serve import ingest_forever

    ingest_forever(load_config(use_watchdog=not no_watchdog, **flags))


@main.group()
def project() -> None:
    """Register and list project directories."""


@project.command("create")
@click.option("-d", "--dir", "directory", default=None, type=click.Path(file_okay=False),
              help="Directory holding result directories (each with a `log`). Without it, a project "
                   "for runs that ship over HTTP only (give -n).")
@click.option("-n", "--name", default=None, help="Project name (default: the directory's name).")
@DB_OPTION
@click.option("--no-ingest", is_flag=True, help="Only register; a running server ingests the results.")
@PROJECTS_ROOT_OPTION
@user_errors
def project_create(directory, name, db_url, no_ingest, projects_root):
    """Register DIR as a project (works while a server runs) and ingest its results.

    A directory registered already is reused: its new results are ingested.
    """
    from .serve import register_remote_project

    if directory is None:
        if not name:
            raise click.UsageError("give -d DIR (a directory of results), or -n NAME for a project of remote runs")
        registered = register_remote_project(load_config(db_url=db_url), name)
        p = registered.project
        if registered.created:
            click.echo(f"registered project {p['name']!r} (id {p['id']}) for runs that ship over HTTP "
                       f"(jobs name it with TRAINUI_PROJECT={p['name']})")
        elif os.path.isabs(p["path"]):
            click.echo(f"project {p['name']!r} (id {p['id']}) exists already, for the directory {p['path']}; "
                       "reused: runs shipped over HTTP to it are listed beside that directory's results")
        else:
            click.echo(f"project {p['name']!r} (id {p['id']}) exists already, for runs that ship over HTTP; reused")
        return

    registered = _register_with_progress(load_config(db_url=db_url, projects_root=projects_root or None), directory,
                                         name, ingest=not no_ingest)
    p = registered.project
    verb = "registered" if registered.created else "already registered:"
    click.echo(f"{verb} project {p['name']!r} (id {p['id']}) at {p['path']}")
    if not no_ingest:
        click.echo(f"{_count(registered.results, 'result')} ingested")


def _register_with_progress(config: ServerConfig, directory: str, name: str | None, ingest: bool):
    """Register (or reuse) ``directory`` and ingest its results with a progress bar on stderr."""
    from .serve import register_project

    bar = None

    def found(count):
        nonlocal bar
        bar = click.progressbar(length=count, label=f"ingesting {count} result{'s' if count != 1 else ''}",
                                show_pos=True, file=sys.stderr)
        bar.__enter__()

    try:
        return register_project(config, directory, name, ingest=ingest,
                                on_found=found, on_done=lambda d: bar.update(1) if bar else None)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)


@project.command("list")
@DB_OPTION
@user_errors
def project_list(db_url):
    """List registered projects."""
    from .serve import in_store

    config = load_config(db_url=db_url)
    if _no_default_database_yet(db_url, config):
        click.echo("no projects yet: trainui project create -d DIR -n NAME")
        return
    rows = in_store(config, lambda store: store.projects.list())
    if not rows:
        click.echo("no projects yet: trainui project create -d DIR -n NAME")
        return
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        results = "result " if r["result_count"] == 1 else "results"
        click.echo(f"{r['id']:>4}  {r['name']:<{width}}  {r['result_count']:>5} {results}  "
                   f"{r['running_count']:>3} running  {r['path']}")


@main.group()
def token() -> None:
    """Access tokens with roles: viewer (reads), operator (also commands and edits), job (creates
    and writes runs in one project, for remote jobs), admin."""


TOKEN_USE = {  # what a token of each role is for, said once when it is made
    "viewer": "Share the dashboard read-only (it never changes anything): http://HOST:PORT/?token=<the token>",
    "operator": "Open the dashboard with it (reads and steers runs, edits): http://HOST:PORT/?token=<the token>",
    "admin": "Full access, like the server's own token: http://HOST:PORT/?token=<the token>",
    "job": "Give it to the training job as TRAINUI_TOKEN=<the token>: it creates and writes runs of this project only "
           "(it opens no dashboard).",
}


@token.command("create")
@click.option("--role", required=True, type=click.Choice(["viewer", "operator", "job", "admin"]))
@click.option("--project", default=None, help="The project a job token writes to (required for --role job).")
@click.option("--label", default="", help="A note to tell tokens apart in `trainui token list`.")
@DB_OPTION
@user_errors
def token_create(role, project, label, db_url):
    """Make a token and print it (only its hash is kept: it is shown this once)."""
    from .serve import in_store

    made, info = in_store(load_config(db_url=db_url), lambda store: store.tokens.create(role, project, label),
                          create=True)
    click.echo(made)
    scope = f" for project {info['project']!r}" if info["project"] else ""
    click.echo(f"token {info['id']}: {role}{scope}. Keep it secret; it is not shown again. {TOKEN_USE[role]}",
               err=True)


@token.command("list")
@DB_OPTION
@user_errors
def token_list(db_url):
    """List tokens (never the tokens themselves)."""
    from .serve import in_store

    rows = in_store(load_config(db_url=db_url), lambda store: store.tokens.list())
    if not rows:
        click.echo("no tokens yet: trainui token create --role viewer")
    for t in rows:
        click.echo(f"{t['id']:>4}  {t['role']:<8}  {t['project'] or '-':<20}  {'revoked' if t['revoked'] else 'active':<7}  "
                   f"{t['label']}")


@token.command("revoke")
@click.argument("token_id", type=int)
@DB_OPTION
@user_errors
def token_revoke(token_id, db_url):
    """Revoke a token: it stops working within seconds, on every server of this database."""
    from .serve import in_store

    in_store(load_config(db_url=db_url), lambda store: store.tokens.revoke(token_id))
    click.echo(f"token {token_id} revoked")


@main.group()
def db() -> None:
    """Database schema migrations (SQLite or PostgreSQL)."""


@db.command("upgrade")
@DB_OPTION
@click.option("--revision", default="head", show_default=True)
@user_errors
def db_upgrade(db_url, revision):
    """Migrate the database schema to the latest version (creates the database if needed)."""
    from .config import default_database_url
    from .serve import UserError
    from .store import Database, Store, StoreError, check_revision

    try:
        check_revision(revision)
        url = load_config(db_url=db_url).db_url
        store = Store(Database(url, create_folder=url == default_database_url()))
        store.schema.upgrade(revision)
        click.echo(f"database at revision {store.schema.status()['current']}")
    except StoreError as error:
        raise UserError(str(error)) from None


@db.command("status")
@DB_OPTION
@user_errors
def db_status(db_url):
    """Show the schema revision of the database and the one this trainui needs."""
    from .serve import UserError
    from .store import Database, Store, StoreError

    try:
        info = Store(Database(load_config(db_url=db_url).db_url, must_exist=True)).schema.status()
    except StoreError as error:
        raise UserError(str(error)) from None
    click.echo(f"database: {info['url']}\ncurrent:  {info['current'] or '(empty)'}\nhead:     {info['head']}")
    click.echo("up to date" if info["up_to_date"] else "out of date: run `trainui db upgrade`")
    if not info["up_to_date"]:
        sys.exit(1)


def _count(n: int, noun: str) -> str:
    """'1 result', '2 results'."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _no_default_database_yet(db_url: str | None, config: ServerConfig) -> bool:
    """The default SQLite file does not exist yet (nothing was ever registered); an explicit --db
    that does not exist is a mistake, reported as one."""
    from .config import default_database_url

    if db_url or config.db_url != default_database_url():
        return False
    return not os.path.exists(config.db_url.split("sqlite:///", 1)[1])


main.add_command(demo)
main.add_command(remote_cli.sync)
main.add_command(remote_cli.command)

if __name__ == "__main__":
    main()
