"""Commands on their own path: the one place that writes a job's inbox, reads its outbox answers and
withdraws inbox files, apart from ingestion (a command never waits for an ingest turn of its result).

``reconcile`` brings one result's inbox in line with its PENDING commands: one query for them, the
missing inbox files written (a command is stored before it is delivered), the outbox answers read
and recorded through the store call an uploaded batch uses too, the inbox files of what was closed
removed after the commit. The ``DeliveryLoop`` runs it on its own thread, woken by the command notice
the store sends when a command is posted, by file events in an outbox and, as the fallback for
events missed, by the ingestion's poller.
"""
from __future__ import annotations

import logging
import os
import threading
from typing import Callable

from .. import protocol
from ..protocol.safe_io import remove_inside
from ..store import Leases, Store, values
from .parsers import is_delivered, read_response

log = logging.getLogger("trainui.ingest")
_warned: set[str] = set()  # commands whose failed delivery or unreadable answer was logged (once each)
MAX_WARNED = 10_000
MAX_REMEMBERED = 1000

Locate = Callable[[int], "tuple[str, str] | None"]  # result id -> (its directory, its project's), if known


def reconcile(store: Store, result_id: int, result_dir: str, root: str | None = None) -> list[str]:
    """Deliver what is due, record what was answered, cancel what no running job will answer, withdraw
    what was closed. Returns the uids closed. A failed inbox write is logged and retried on the next
    pass (the command stays PENDING); file reads happen outside any transaction."""
    outstanding = store.commands.outstanding(result_id)
    if outstanding is None or not outstanding.commands:
        return []
    answers = []
    for record in outstanding.commands:
        answer, problems = read_response(result_dir, record.uid, root)
        for problem in problems:
            _warn_once(record.uid, "%s: %s", result_dir, problem)
        if answer is not None:
            answers.append(answer)
        elif outstanding.running and not problems and not is_delivered(result_dir, record.uid):
            _deliver(result_dir, record)
    closed = store.commands.record_answers(result_id, answers) if answers or not outstanding.running else []
    for uid in closed:
        _withdraw(result_dir, uid)
    return closed


def record_outbox(store: Store, result_id: int, result_dir: str, root: str | None, uids: set[str]) -> list[str]:
    """Record the answers the job just wrote (named by file events): no query for the open commands,
    one write transaction, and the answered commands' inbox files withdrawn. Returns the uids closed."""
    answers = []
    for uid in sorted(uids):
        answer, problems = read_response(result_dir, uid, root)
        for problem in problems:
            _warn_once(uid, "%s: %s", result_dir, problem)
        if answer is not None:
            answers.append(answer)
    closed = store.commands.record_answers(result_id, answers) if answers else []
    for uid in closed:
        _withdraw(result_dir, uid)
    return closed


def _deliver(result_dir: str, record: protocol.CommandRecord) -> None:
    record.body = values.servable(record.body)  # stored before the store checked bodies: sent repaired
    try:
        protocol.deliver_command(result_dir, record)
    except OSError as error:
        _warn_once(record.uid, "command %s not yet delivered to %s: %s", record.uid, result_dir, error)


def _withdraw(result_dir: str, uid: str) -> None:
    try:
        remove_inside(result_dir, os.path.join(protocol.COMMANDS_INBOX, f"{uid}.json"))
    except FileNotFoundError:
        pass
    except OSError as error:
        log.warning("cannot remove the inbox file of command %s in %s: %s", uid, result_dir, error)


def _warn_once(uid: str, message: str, *args) -> None:
    if uid not in _warned and len(_warned) < MAX_WARNED:
        _warned.add(uid)
        log.warning(message, *args)


class DeliveryLoop:
    """One thread that reconciles the results it is woken for, each once per wake-up however often
    it was woken meanwhile. On PostgreSQL with several ingestion processes, a result is delivered by
    the process holding its lease (the one that ingests it), never by two."""

    def __init__(self, store: Store, leases: Leases, locate: Locate):
        self.store = store
        self.leases = leases
        self.locate = locate
        # result id -> the uids of answers seen in its outbox, or None: look at all its commands
        self._due: dict[int, set[str] | None] = {}
        self._recorded: dict[str, None] = {}  # uids this loop recorded lately (file events repeat)
        self._cond = threading.Condition()
        self._stopped = False
        self._thread: threading.Thread | None = None
        self._failing = False

    def start(self) -> "DeliveryLoop":
        self._thread = threading.Thread(target=self._work, name="trainui-delivery", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def wake(self, result_id: int | None, answered: str | None = None) -> None:
        """Reconcile ``result_id`` soon; ``answered``: only the job's answer to that command is new."""
        if result_id is None:
            return
        with self._cond:
            if answered is None:
                self._due[result_id] = None
            elif answered not in self._recorded:
                uids = self._due.setdefault(result_id, set())
                if uids is not None:
                    uids.add(answered)
            self._cond.notify()

    def run_pending(self) -> None:
        """Reconcile what is due in the calling thread (the blocking "until idle" mode)."""
        while (due := self._take(timeout=0)) is not None:
            self._reconcile(*due)

    def _work(self) -> None:
        while not self._stopped:
            due = self._take(timeout=1.0)
            if due is not None:
                self._reconcile(*due)

    def _take(self, timeout: float) -> tuple[int, set[str] | None] | None:
        with self._cond:
            if not self._due and not self._stopped and timeout:
                self._cond.wait(timeout)
            if not self._due or self._stopped:
                return None
            result_id = next(iter(self._due))
            return result_id, self._due.pop(result_id)

    def _reconcile(self, result_id: int, answered: set[str] | None) -> None:
        """Never raises: a database away or a passing error is logged once, and the poller wakes the
        result again."""
        where = self.locate(result_id)
        if where is None:  # not ingested by this process yet: its first turn and the poller find it
            return
        try:
            if self.leases.acquire(result_id):
                if answered is None:
                    closed = reconcile(self.store, result_id, *where)
                else:
                    closed = record_outbox(self.store, result_id, *where, answered)
                self._remember(closed)
            self._failing = False
        except Exception as error:
            if not self._failing:
                self._failing = True
                log.warning("cannot deliver the commands of result %s now (%s); the poller tries again",
                            result_id, (str(error).strip().splitlines() or [type(error).__name__])[0][:200])

    def _remember(self, closed: list[str]) -> None:
        with self._cond:
            for uid in closed:
                self._recorded[uid] = None
            while len(self._recorded) > MAX_REMEMBERED:
                del self._recorded[next(iter(self._recorded))]
