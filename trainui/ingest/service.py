"""The ingestion service: a scan of every registered project, then file events (watchdog) with
polling as the fallback, all feeding one fair queue that a worker serves turn by turn.

Watchdog events, the poller and the store's change notices (a project was registered) only mark
result directories as due; every turn goes through ``ingest_turn``. A turn that fails is retried
with backoff, and a database that is away at start-up or later is waited for, never given up on.
Commands go their own way: a command posted, an answer in an outbox and the poller wake the
``DeliveryLoop`` (delivery.py), which never waits for an ingest turn. With several ingestion processes on one PostgreSQL database, each result
is read by the process that holds its lease.
"""
from __future__ import annotations

import logging
import os
import threading
import time
import warnings
from typing import Callable

from .. import protocol
from ..config import INGEST_POLL_INTERVAL
from ..store import COMMAND, PROJECT, Database, Leases, Store, first_line
from .delivery import DeliveryLoop
from .notifier import Notifier
from .discovery import find_result_dirs, in_skipped_dir, nested_projects, owner_of, result_dir_of
from .queue import Item, WorkQueue
from .sync import DEFAULT_CHUNK_BYTES, ingest_turn
from .tfevents import signature as event_files_signature

log = logging.getLogger("trainui.ingest")

RESCAN_EVERY = 5  # polls between walks that look for new result directories
WATCHED_FILES = (protocol.LOG, protocol.ARGS, protocol.STATUS, protocol.ASSETS_INDEX)


class IngestionService:
    def __init__(self, db: Database, poll_interval: float = INGEST_POLL_INTERVAL, use_watchdog: bool = True,
                 chunk_bytes: int = DEFAULT_CHUNK_BYTES, leases: Leases | None = None):
        self.store = Store(db)
        self.poll_interval = poll_interval
        self.use_watchdog = use_watchdog
        self.chunk_bytes = chunk_bytes
        self.leases = leases or self.store.leases()
        self.queue = WorkQueue()
        self._stop = threading.Event()
        self._refresh_now = threading.Event()
        self._projects: dict[int, str] = {}
        self._signatures: dict[str, tuple] = {}  # result dir -> file signature when last fully read
        self._ids: dict[str, int] = {}  # result dir -> result id
        self._dirs: dict[int, tuple[str, int, str]] = {}  # result id -> (dir, project id, project path)
        self._elsewhere: set[int] = set()
        self._observer = None
        self._watches: dict[int, object] = {}
        self._threads: list[threading.Thread] = []
        self._db_down = False
        self._started = time.time()
        self.delivery = DeliveryLoop(self.store, self.leases, self._locate)
        self.notifier = Notifier(self.store)

    # lifecycle -------------------------------------------------------------------------------
    def start(self) -> "IngestionService":
        self._started = time.time()
        if self.use_watchdog:
            self._observer = _make_observer()
        self.store.changes.listen()
        self.delivery.start()
        self.notifier.start()
        self._threads = [threading.Thread(target=self._work, name="trainui-ingest", daemon=True),
                         threading.Thread(target=self._poll, name="trainui-poll", daemon=True),
                         threading.Thread(target=self._follow_notices, name="trainui-notices", daemon=True)]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._refresh_now.set()
        self.queue.close()
        if self._observer is not None:
            try:
                self._observer.stop()
            except RuntimeError:
                pass
        for thread in self._threads:
            thread.join(timeout=5)
        self.delivery.stop()
        self.notifier.stop()
        self.leases.close()

    def run_until_idle(self, result_dirs: list[str] | None = None,
                       on_turn: Callable[[str, bool], None] | None = None) -> None:
        """Serve turns in this thread until nothing is due: of ``result_dirs``, or of every project's
        results when None (the CLI's `project create`, tests, benchmarks). ``on_turn(result_dir,
        more)`` is called after every turn."""
        if result_dirs is None:
            self._refresh_projects(scan=True)
        else:
            self._projects = self.store.projects.paths()
            for result_dir in result_dirs:
                self.mark(result_dir)
        while not self.queue.idle():
            item = self.queue.take(timeout=0.05)
            if item is not None:
                more = self._turn(item)
                if on_turn is not None:
                    on_turn(item.result_dir, more)
        self.delivery.run_pending()
        self.notifier.run_pending()

    # marking work ----------------------------------------------------------------------------
    def mark(self, result_dir: str, urgent: bool = False) -> None:
        owner = owner_of(result_dir, self._projects)
        if owner is not None:
            self.queue.mark(result_dir, owner[0], owner[1], urgent=urgent)

    def on_path_changed(self, path: str) -> None:
        box = _command_box(path)
        if box is not None:
            result_dir, name, uid = box
            if name == "inbox" or uid is None:
                return  # the delivery loop's own writes (the job only reads them); a folder's own event
            result_id = self._ids.get(result_dir, self._ids.get(os.path.realpath(result_dir)))
            if result_id is not None:
                self.delivery.wake(result_id, answered=uid)  # recorded at once, without an ingest turn
                return
        if (os.sep + protocol.RANKS_DIR + os.sep) in path:
            return  # each rank's record of what it applied: evidence for people and tests, not ingested
        owner = owner_of(os.path.realpath(path), self._projects)
        if owner is None:
            return
        project_id, project_path = owner
        result_dir = result_dir_of(path, project_path)
        if result_dir:
            self.queue.mark(result_dir, project_id, project_path)
        elif os.path.isdir(path) and not in_skipped_dir(path, project_path):
            for found in find_result_dirs(path, nested_projects(project_path, self._projects)):
                self.mark(found)

    # threads ---------------------------------------------------------------------------------
    def _work(self) -> None:
        while not self._stop.is_set():
            item = self.queue.take(timeout=1.0)
            if item is not None:
                self._turn(item)

    def _turn(self, item: Item) -> bool:
        """One turn of one result; True when it has more to read. Never raises."""
        result_id = self._ids.get(item.result_dir)
        if result_id is not None and not self.leases.acquire(result_id):
            self.queue.done(item)  # another process reads it; the poller looks again later
            return False
        signature = _signature(item.result_dir)
        try:
            turn = ingest_turn(self.store, item.project_id, item.result_dir, self.chunk_bytes)
        except Exception as error:
            delay = self.queue.failed(item)
            self._report_failure(item, error, delay)
            return True
        self._database_back()
        applied = turn.applied
        if applied.result_id is not None:
            self._ids[item.result_dir] = applied.result_id
            self._dirs[applied.result_id] = (item.result_dir, item.project_id, item.project_path)
            if applied.ended:  # its open commands get their answers, or are cancelled, now
                self.delivery.wake(applied.result_id)
        self.queue.done(item, more=turn.more, recheck_in=turn.recheck_in)
        if not turn.more and turn.recheck_in is None:
            self._signatures[item.result_dir] = signature
            if applied.finished and applied.result_id is not None:
                self.leases.release(applied.result_id)
        return turn.more

    def _poll(self) -> None:
        polls = 0
        while not self._stop.is_set():
            try:
                self._refresh_projects(scan=polls % RESCAN_EVERY == 0)
                self._check_known_results()
                self.store.runs.end_silent(self._started)  # remote runs: their heartbeat decides
                self.store.rules.check_runs()  # rules on runs that went quiet or crashed
                self._database_back()
                polls += 1
            except Exception as error:  # the poller must outlive a database that went away
                self._database_down(error)
            self._refresh_now.wait(self.poll_interval)
            self._refresh_now.clear()

    def _follow_notices(self) -> None:
        """A command posted (here or, on PostgreSQL, in another process) is delivered at once;
        a project registered is scanned at once."""
        cursor = self.store.changes.cursor
        while not self._stop.is_set():
            cursor, notices = self.store.changes.wait(cursor, timeout=1.0)
            if notices is None:
                self._refresh_now.set()
                continue
            for notice in notices:
                if notice.kind == PROJECT:
                    self._refresh_now.set()
                elif notice.kind == COMMAND:
                    self.delivery.wake(notice.result_id)

    # helpers ---------------------------------------------------------------------------------
    def _refresh_projects(self, scan: bool) -> None:
        current = self.store.projects.paths()
        for project_id in set(self._projects) - set(current):
            self._unwatch(project_id)
        new = {pid: path for pid, path in current.items() if pid not in self._projects}
        self._projects = current
        for project_id, path in current.items():
            if project_id in new:
                self._watch(project_id, path)
            if project_id in new or scan:
                for result_dir in find_result_dirs(path, nested_projects(path, current)):
                    if project_id in new or result_dir not in self._signatures:
                        self.queue.mark(result_dir, project_id, path)

    def _check_known_results(self) -> None:
        """The polling fallback: stat what a job writes; look again at what changed and at running
        jobs (a heartbeat may have stopped); deliver again for results with open commands (a file
        event or a notice may have been missed)."""
        known, watch_always, open_commands = self.store.results.to_watch()
        self._elsewhere = self.leases.held_elsewhere()
        self.leases.shed_surplus()
        self._forget_deleted({result_id for result_id, _, _ in known})
        for result_id, project_id, result_dir in known:
            project_path = self._projects.get(project_id)
            if project_path is None or result_id in self._elsewhere:
                continue
            self._ids[result_dir] = result_id
            self._dirs[result_id] = (result_dir, project_id, project_path)
            if result_id in watch_always or _signature(result_dir) != self._signatures.get(result_dir):
                self.queue.mark(result_dir, project_id, project_path)
            if result_id in open_commands:
                self.delivery.wake(result_id)

    def _forget_deleted(self, known_ids: set[int]) -> None:
        """Results deleted since (store.deletion): their leases and what this process remembered of them go."""
        self.leases.release_all_but(known_ids)
        for result_id in set(self._dirs) - known_ids:
            result_dir = self._dirs.pop(result_id)[0]
            if self._ids.get(result_dir) == result_id:
                del self._ids[result_dir]

    def _locate(self, result_id: int) -> tuple[str, str] | None:
        """A result's directory and its project's, if this process has seen it (the delivery loop's)."""
        known = self._dirs.get(result_id)
        if known is None or result_id in self._elsewhere:
            return None
        return known[0], known[2]

    def _report_failure(self, item: Item, error: Exception, delay: float) -> None:
        if _is_database_error(error):
            self._database_down(error)
        elif item.failures == 1:
            log.exception("could not ingest %s; retrying with backoff", item.result_dir)
        else:
            log.debug("ingesting %s failed again (%s); next try in %.1f s", item.result_dir, error, delay)

    def _database_down(self, error: Exception) -> None:
        if not self._db_down:
            self._db_down = True
            log.warning("the database is unavailable (%s); ingestion waits and retries", first_line(error))

    def _database_back(self) -> None:
        if self._db_down:
            self._db_down = False
            self.queue.hurry()
            log.warning("the database is back; ingestion goes on where it stopped")

    def _watch(self, project_id: int, path: str) -> None:
        if self._observer is None:
            return
        try:
            self._watches[project_id] = self._observer.schedule(_Handler(self), path, recursive=True)
            if not self._observer.is_alive():
                self._observer.start()
        except (OSError, RuntimeError) as error:
            log.warning("%s: file events unavailable (%s); polling every %s s", path, error, self.poll_interval)

    def _unwatch(self, project_id: int) -> None:
        watch = self._watches.pop(project_id, None)
        if watch is not None and self._observer is not None:
            try:
                self._observer.unschedule(watch)
            except (KeyError, ValueError):
                pass


def _command_box(path: str) -> tuple[str, str, str | None] | None:
    """(the result directory, "inbox" or "outbox", the command's uid or None for the folder itself)
    for a path in or of a command box, else None."""
    for box in (protocol.COMMANDS_INBOX, protocol.COMMANDS_OUTBOX):
        name = os.path.basename(box)
        if path.endswith(os.sep + box):
            return path[:-len(box) - 1], name, None
        folder, file_name = os.path.split(path)
        if folder.endswith(os.sep + box) and file_name.endswith(".json") and not file_name.startswith("."):
            return folder[:-len(box) - 1], name, file_name[:-len(".json")]
    return None


def _signature(result_dir: str) -> tuple:
    out = []
    for name in WATCHED_FILES:
        try:
            st = os.stat(os.path.join(result_dir, name))
            out.append((st.st_size, st.st_mtime_ns))
        except OSError:
            out.append(None)
    return tuple(out) + event_files_signature(result_dir)


def _is_database_error(error: Exception) -> bool:
    from sqlalchemy.exc import DBAPIError, OperationalError

    return isinstance(error, OperationalError) or (isinstance(error, DBAPIError) and error.connection_invalidated)




def _make_observer():
    try:
        from watchdog.observers import Observer
    except ImportError:  # pragma: no cover
        return None
    # watchdog's recursive inotify watch registers a directory created under it twice (its creation
    # event and the walk of its parent), with the same callback, and warns about it on stderr each
    # time: a job's `.trainui/commands/inbox` printed a screenful in the user's terminal.
    warnings.filterwarnings("ignore", message=r"Callback with id .* already exists for watch", category=RuntimeWarning)
    return Observer()


class _Handler:
    """A watchdog handler that only forwards paths; all the work happens on the worker thread."""

    def __init__(self, service: IngestionService):
        self.service = service

    def dispatch(self, event) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        path = os.fsdecode(event.src_path)
        if os.path.basename(path).startswith(".tmp-"):
            dest = getattr(event, "dest_path", None)
            if not dest:
                return
            path = os.fsdecode(dest)
        self.service.on_path_changed(path)
