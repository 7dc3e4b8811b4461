"""The store's front door: the one object web, ingestion and the CLI call.

The series engine (numpy) and the writers behind it are imported on first use: a command that
reads no series (``project list``, ``token create``) starts without them.

Every public call owns its session: it opens one, commits on success, rolls back on error and
closes it, so one call is one transaction and no session or ORM object leaves the store. The
parts are grouped by what they hold and only delegate to the modules that hold the queries,
which take the caller's session (so that one call can combine several of them)."""
from __future__ import annotations

from typing import Any, Callable

from . import commands, events, files, projects, results, schema, timeline, tokens, views
from .batch import Applied, Position, ResultBatch
from .database import Database
from .leases import Leases, leases_for
from .errors import NotFound
from .tokens import Principal


class _Part:
    """A group of public calls on one database; each runs ``query(session, ...)`` in its own session."""

    def __init__(self, db: Database):
        self._db = db

    def _read(self, query: Callable, *args: Any, **kwargs: Any):
        with self._db.session() as session:
            return query(session, *args, **kwargs)

    def _write(self, query: Callable, *args: Any, **kwargs: Any):
        with self._db.session(write=True) as session:
            return query(session, *args, **kwargs)


class Projects(_Part):
    def list(self) -> list[dict]:
        return self._read(projects.list_projects)

    def get(self, project_id: int) -> dict:
        return self._read(projects.get_project, project_id)

    def create(self, path: str, name: str | None = None) -> dict:
        return self._write(projects.create_project, path, name)

    def register(self, path: str, name: str | None = None) -> tuple[dict, bool]:
        """The project of directory ``path``, created unless it is registered already; the flag
        says whether it was created. One transaction: two registrations never make two."""
        def find_or_create(session):
            found = projects.find_project_by_path(session, path)
            return (found, False) if found else (projects.create_project(session, path, name), True)
        return self._write(find_or_create)

    def create_remote(self, name: str) -> tuple[dict, bool]:
        """A project for runs that ship over HTTP only (no directory); one of that name (of either
        kind) is reused, and the flag says whether it was created."""
        from . import runs

        def find_or_create(session):
            known = {p["name"]: p for p in projects.list_projects(session)}
            if isinstance(name, str) and name.strip() in known:
                return known[name.strip()], False
            return runs.create_remote_project(session, name), True
        return self._write(find_or_create)

    def rename(self, project_id: int, name: str) -> dict:
        return self._write(projects.rename_project, project_id, name)

    def delete(self, project_id: int) -> None:
        self._write(projects.delete_project, project_id)

    def paths(self) -> dict[int, str]:
        """Every project with a directory, id -> path: what ingestion walks."""
        return self._read(projects.project_paths)


class Results(_Part):
    def list(self, project_id: int, include_unregistered: bool = False) -> list[dict]:
        return self._read(results.list_results, project_id, include_unregistered)

    def get(self, result_id: int, detail: bool = False) -> dict:
        return self._read(results.get_result, result_id, detail)

    def update(self, result_id: int, changes: dict) -> dict:
        """Rename, unregister/restore, or set ``tags`` (the whole list) and ``notes`` (markdown; None
        clears them): a user's edit of a label wins over the job's labels file from then on."""
        return self._write(results.update_result, result_id, changes)

    def events(self, result_id: int) -> list[dict]:
        """What was done to the run (commands applied, resumes), each at its iteration (store.timeline)."""
        return self._read(timeline.result_events, result_id)

    def change_tags(self, result_id: int, add: list[str] | None = None, remove: list[str] | None = None) -> dict:
        """Add and remove tags in one transaction (no lost update when two people tag at once)."""
        return self._write(results.change_tags, result_id, add, remove)

    def versions(self, result_ids: list[int]) -> list[dict | None]:
        """Each result as ``get`` shows it (None: no such result), read in one session, so a
        batch of them is one consistent view."""
        def each(session):
            out = []
            for result_id in result_ids:
                try:
                    out.append(results.get_result(session, result_id))
                except NotFound:
                    out.append(None)
            return out
        return self._read(each)

    def delete(self, result_id: int, files: bool = False, force: bool = False) -> dict:
        """Delete a result and everything stored for it, in one transaction; its directory too with
        ``files`` (refused outside its project). A running one only with ``force``. See store.deletion."""
        from . import deletion
        return deletion.delete_result(self._db, result_id, files, force)

    def to_watch(self) -> tuple[list[tuple[int, int, str]], set[int], set[int]]:
        """Where every result lives (id, project id, path), the file results that are running
        (ingested even when their files are quiet: a heartbeat may stop) and the results with open
        commands (delivered again: a notice or a file event may have been missed). One session."""
        return self._read(lambda s: (results.result_locations(s), set(results.running_results(s)),
                                     commands.open_command_results(s)))


class Commands(_Part):
    def list(self, result_id: int) -> list[dict]:
        return self._read(commands.list_commands, result_id)

    def create(self, result_id: int, payload: dict) -> dict:
        return self._write(commands.create_command, result_id, payload)

    def outstanding(self, result_id: int) -> "commands.Outstanding | None":
        """A result's open commands and whether its job runs, in one query (None: no such result)."""
        return commands.outstanding(self._db, result_id)

    def record_answers(self, result_id: int, answers: list) -> list[str]:
        """Record a job's answers (each command closed once) and cancel what a job that no longer
        runs will never answer; returns the uids closed. One transaction."""
        return commands.record_answers(self._db, result_id, answers)


class Runs(_Part):
    """Runs that ship over HTTP: opened by the job, fed by uploads, ended by their heartbeat."""

    def open(self, project: str, run_uid: str, name: str | None = None, host: str = "", path: str = "",
             create_project: bool = True) -> tuple[dict, bool]:
        """The run ``run_uid`` of ``project`` (created, with the project unless told not to) and
        whether it was created."""
        from . import runs
        return self._write(runs.open_run, project, run_uid, name, host, path, create_project)

    def upload(self, result_id: int, batch_fields: dict) -> dict:
        from . import runs
        return runs.upload_batch(self._db, result_id, batch_fields)

    def pending(self, result_id: int) -> list[dict]:
        """The command records a job has yet to answer."""
        from . import runs
        return self._read(runs.pending_records, result_id)

    def end_silent(self, watching_since: float = 0.0) -> int:
        from . import runs
        return runs.end_silent_runs(self._db, watching_since)


class Tokens(_Part):
    def create(self, role: str, project: str | None = None, label: str = "") -> tuple[str, dict]:
        return self._write(tokens.create_token, role, project, label)

    def list(self) -> list[dict]:
        return self._read(tokens.list_tokens)

    def revoke(self, token_id: int) -> dict:
        return self._write(tokens.revoke_token, token_id)

    def authenticate(self, token: str) -> Principal | None:
        return self._read(tokens.authenticate, token)


class Views(_Part):
    """Saved views of a project's page (named URL states), shared by everyone using the server."""

    def list(self, project_id: int) -> list[dict]:
        return self._read(views.list_views, project_id)

    def get(self, project_id: int, view_id: int) -> dict:
        return self._read(views.get_view, project_id, view_id)

    def create(self, project_id: int, name: str, state: dict) -> dict:
        return self._write(views.create_view, project_id, name, state)

    def update(self, project_id: int, view_id: int, changes: dict) -> dict:
        return self._write(views.update_view, project_id, view_id, changes)

    def delete(self, project_id: int, view_id: int) -> None:
        self._write(views.delete_view, project_id, view_id)


class Files(_Part):
    """Snapshots and assets: the rows that point at a result's files, and the files they name."""

    def assets(self, result_id: int, tag: str | None = None) -> list[dict]:
        return self._read(files.list_assets, result_id, tag)

    def across(self, result_ids: list[int], tag: str | None = None) -> dict:
        """The image tags of these results and, for one tag, each result's images (store.files.assets_across)."""
        return self._read(files.assets_across, result_ids, tag)

    def asset(self, asset_id: int) -> str | bytes:
        """The asset's file path, or its bytes when it was uploaded."""
        return self._read(files.asset_file, asset_id)

    def snapshot(self, snapshot_id: int) -> str:
        return self._read(files.snapshot_file, snapshot_id)

    def add_uploaded_asset(self, result_id: int, record: dict, data: bytes) -> dict:
        return self._write(files.add_uploaded_asset, result_id, record, data)


class Series(_Part):
    def read(self, result_id: int, keys: list[str], x_key: str = "iteration", max_points: int = 1000,
             x_min: float | None = None, x_max: float | None = None, since: int = 0) -> dict:
        """A result's series as a chart asks for them (see ``series.read_series``), in one read session."""
        from . import series
        with self._db.session() as session:
            result = results.get_result(session, result_id)
            return series.read_series(session, self._db.series_cache, result, keys, x_key, max_points,
                                      x_min, x_max, since)


class Apply(_Part):
    """Where sources hand in what they read: a source asks where the store stands, reads from
    there outside any transaction, and hands back one batch that is applied once."""

    def position(self, project_id: int, path: str) -> Position:
        from . import ingest
        return ingest.position(self._db, project_id, path)

    def batch(self, batch: ResultBatch) -> Applied:
        from . import ingest
        return ingest.apply_batch(self._db, batch)


class Events(_Part):
    """What changed, for the live streams; the change notices themselves are ``Store.changes``."""

    def check_scope(self, project_id: int | None, result_id: int | None) -> None:
        """NotFound unless the project or result a stream asks about exists."""
        self._read(events.check_scope, project_id, result_id)

    def since(self, since: float, project_id: int | None = None, result_id: int | None = None,
              commands_only: bool = False) -> list:
        return self._read(events.changes_since, since, project_id, result_id, commands_only)


class Rules(_Part):
    """Automations: a project's rules, and where they fired (evaluated in ``Apply.batch``)."""

    def create(self, project_id: int, definition: Any) -> dict:
        from .rules import records
        return self._write(records.create_rule, project_id, definition)

    def list(self, project_id: int) -> list[dict]:
        from .rules import records
        return self._read(records.list_rules, project_id)

    def get(self, rule_id: int) -> dict:
        from .rules import records
        return self._read(records.get_rule, rule_id)

    def update(self, rule_id: int, changes: Any) -> dict:
        from .rules import records
        return self._write(records.update_rule, rule_id, changes)

    def delete(self, rule_id: int) -> None:
        from .rules import records
        self._write(records.delete_rule, rule_id)

    def firings(self, rule_id: int | None = None, result_id: int | None = None) -> list[dict]:
        from .rules import records
        return self._read(records.firings, rule_id, result_id)

    def check_runs(self) -> int:
        """Fire the rules on runs themselves (silent, crashed) that are due; the poller's call."""
        from .rules import watch
        return self._write(watch.check_runs)

    def presets(self) -> list[dict]:
        """Ready-made definitions (rules/presets.py), each with its title and description."""
        from .rules import presets
        return presets.listed()

    def backtest(self, project_id: int, definition: Any) -> dict:
        """Where ``definition`` would have fired on the project's stored history (nothing is saved)."""
        from .rules import backtest
        return self._read(backtest.backtest, project_id, definition)

    def claim_notifications(self, limit: int = 20) -> list:
        """Webhooks due now, claimed for the caller to post (``record_attempt`` says how it went)."""
        from .rules import notifications
        return self._write(notifications.claim_due, limit)

    def record_attempt(self, firing_id: int, ok: bool, detail: str) -> None:
        from .rules import notifications
        self._write(notifications.record_attempt, firing_id, ok, detail)


class Schema(_Part):
    """The database schema: checked (and a brand-new database created) without alembic; moved
    forward by alembic, imported only then (it costs a second of start-up on a busy machine)."""

    def ensure(self, auto_create: bool = True) -> None:
        """SchemaOutOfDate, naming the fix, unless the schema is this trainui's (a new empty
        database is created and stamped first, with ``auto_create``)."""
        schema.ensure_schema(self._db, auto_create)

    def upgrade(self, revision: str = "head") -> None:
        from . import migrate
        migrate.upgrade(self._db, revision)

    def revision(self) -> str | None:
        """The database's schema revision (None: no trainui schema), read without alembic."""
        return schema.current_revision(self._db)

    def status(self) -> dict:
        """The database's url (no password), current and head revisions, and whether it is up to date."""
        from . import migrate
        return migrate.status(self._db)


def check_revision(revision: str) -> None:
    """Invalid unless ``revision`` is one of the migrations'; nothing is connected or created."""
    from . import migrate
    migrate.check_revision(revision)


class Store:
    """One database's store. Cheap to make: it holds nothing but the database's parts."""

    def __init__(self, db: Database):
        self.db = db
        self.changes = db.changes
        self.projects = Projects(db)
        self.results = Results(db)
        self.commands = Commands(db)
        self.runs = Runs(db)
        self.tokens = Tokens(db)
        self.files = Files(db)
        self.views = Views(db)
        self.series = Series(db)
        self.apply = Apply(db)
        self.events = Events(db)
        self.rules = Rules(db)
        self.schema = Schema(db)

    @property
    def is_sqlite(self) -> bool:
        return self.db.is_sqlite

    def leases(self) -> Leases:
        """This process's claim on the results it reads (PostgreSQL advisory locks; on SQLite one
        process reads everything)."""
        return leases_for(self.db)

    def dispose(self) -> None:
        self.db.dispose()
