"""The ingestion service: a startup scan, then watchdog events, with polling as the fallback.

One worker thread does all syncing, so a result is never synced twice at once in this process.
Watchdog events and the poller only mark result directories dirty; they share one code path
(`sync_result`) with the startup scan.
"""
from __future__ import annotations

import logging
import os
import threading

from .. import protocol
from ..store import projects as project_store
from ..store import results as result_store
from ..store.database import Database
from .discovery import find_result_dirs, result_dir_of
from .sync import Warnings, sync_result

log = logging.getLogger("trainui.ingest")

RESCAN_EVERY = 5  # polls between walks that look for new result directories


class IngestionService:
    def __init__(self, db: Database, poll_interval: float = 2.0, use_watchdog: bool = True):
        self.db = db
        self.poll_interval = poll_interval
        self.use_watchdog = use_watchdog
        self.warnings = Warnings()
        self._dirty: dict[str, tuple[int, str]] = {}  # result dir -> (project id, project path)
        self._wake = threading.Condition()
        self._stop = threading.Event()
        self._projects: dict[int, str] = {}
        self._signatures: dict[str, tuple] = {}
        self._observer = None
        self._watches: dict[int, object] = {}
        self._threads: list[threading.Thread] = []
        self.scanned = threading.Event()

    # lifecycle -------------------------------------------------------------------------------
    def start(self) -> "IngestionService":
        if self.use_watchdog:
            self._observer = _make_observer()
        self._threads = [threading.Thread(target=self._work, name="trainui-ingest", daemon=True),
                         threading.Thread(target=self._poll, name="trainui-poll", daemon=True)]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        with self._wake:
            self._wake.notify_all()
        if self._observer is not None:
            self._observer.stop()
        for thread in self._threads:
            thread.join(timeout=10)

    # marking work ----------------------------------------------------------------------------
    def mark_dirty(self, result_dir: str, project_id: int, project_path: str) -> None:
        with self._wake:
            self._dirty[result_dir] = (project_id, project_path)
            self._wake.notify()

    def on_path_changed(self, path: str) -> None:
        for project_id, project_path in list(self._projects.items()):
            if path.startswith(project_path):
                result_dir = result_dir_of(path, project_path)
                if result_dir:
                    self.mark_dirty(result_dir, project_id, project_path)
                elif os.path.isdir(path):
                    for found in find_result_dirs(path):
                        self.mark_dirty(found, project_id, project_path)
                return

    # threads ---------------------------------------------------------------------------------
    def _work(self) -> None:
        self._refresh_projects(scan=True)
        self.scanned.set()
        while not self._stop.is_set():
            with self._wake:
                while not self._dirty and not self._stop.is_set():
                    self._wake.wait()
                batch, self._dirty = self._dirty, {}
            for result_dir, (project_id, project_path) in batch.items():
                if self._stop.is_set():
                    return
                self._sync(result_dir, project_id, project_path)

    def _poll(self) -> None:
        polls = 0
        self.scanned.wait()
        while not self._stop.wait(self.poll_interval):
            polls += 1
            try:
                self._refresh_projects(scan=polls % RESCAN_EVERY == 0)
                self._check_known_results()
            except Exception:  # the poller must outlive a database hiccup
                log.exception("ingestion poll failed; retrying next time")

    # helpers ---------------------------------------------------------------------------------
    def _sync(self, result_dir: str, project_id: int, project_path: str) -> None:
        self._signatures[result_dir] = _signature(result_dir)
        try:
            sync_result(self.db, project_id, project_path, result_dir, self.warnings)
        except Exception:
            log.exception("could not ingest %s; will retry", result_dir)

    def _refresh_projects(self, scan: bool) -> None:
        with self.db.session() as session:
            current = project_store.project_paths(session)
        for project_id in set(self._projects) - set(current):
            self._unwatch(project_id)
        new = {pid: path for pid, path in current.items() if pid not in self._projects}
        self._projects = current
        for project_id, path in current.items():
            if project_id in new:
                self._watch(project_id, path)
            if project_id in new or scan:
                for result_dir in find_result_dirs(path):
                    if project_id in new or result_dir not in self._signatures:
                        self.mark_dirty(result_dir, project_id, path)

    def _check_known_results(self) -> None:
        """The polling fallback: stat what a job writes; resync what changed or may have timed out."""
        with self.db.session() as session:
            known = result_store.result_locations(session)
            running = set(result_store.running_or_pending(session))
        for result_id, project_id, result_dir in known:
            project_path = self._projects.get(project_id)
            if project_path is None:
                continue
            signature = _signature(result_dir)
            if signature != self._signatures.get(result_dir) or result_id in running:
                self._signatures[result_dir] = signature
                self.mark_dirty(result_dir, project_id, project_path)

    def _watch(self, project_id: int, path: str) -> None:
        if self._observer is None:
            return
        try:
            self._watches[project_id] = self._observer.schedule(_Handler(self), path, recursive=True)
            if not self._observer.is_alive():
                self._observer.start()
        except (OSError, RuntimeError) as error:
            self.warnings.warn(path, f"file events unavailable ({error}); polling every {self.poll_interval}s")

    def _unwatch(self, project_id: int) -> None:
        watch = self._watches.pop(project_id, None)
        if watch is not None and self._observer is not None:
            try:
                self._observer.unschedule(watch)
            except (KeyError, ValueError):
                pass


def _signature(result_dir: str) -> tuple:
    out = []
    for name in (protocol.LOG, protocol.ARGS, protocol.STATUS, protocol.ASSETS_INDEX):
        try:
            st = os.stat(os.path.join(result_dir, name))
            out.append((st.st_size, st.st_mtime_ns))
        except OSError:
            out.append(None)
    return tuple(out)


def _make_observer():
    try:
        from watchdog.observers import Observer
    except ImportError:  # pragma: no cover
        return None
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
