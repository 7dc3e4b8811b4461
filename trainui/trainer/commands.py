"""Commands: reading the inbox the server writes, and answering each command exactly once.

The server drops ``.trainui/commands/inbox/<uid>.json`` (atomically, one file per command), the
job answers with ``.trainui/commands/outbox/<uid>.json``. Each file has one writer and nothing is
rewritten, so there is no lost update and no reliance on file locks (ChainerUI lost commands
because the server and the job both rewrote one ``commands`` file). A uid is taken once per
process (``_known``), and a uid that already has an answer in the outbox is skipped, so a job
restarted into the same directory does not apply a command twice.

Reading is rate-limited: the inbox is listed at most every ``poll_interval`` seconds, so a poll
with nothing pending is a clock read and a comparison.
"""
from __future__ import annotations

import os
import time
from typing import Any, Callable

from trainui import protocol

Handler = Callable[[dict], Any]


class Pending:
    """What a handler returns for a command whose answer needs the steps after it: a hyperparameter
    change is answered once it held through them, a Hugging Face snapshot once the Trainer saved it.

    Every rank gets one (handlers run on every rank); ``observe`` runs in each later ``step()``;
    ``due`` must turn true at the same ``step()`` on every rank (count steps, or react to an event
    every rank sees), because the ranks' verdicts are then reduced in that step's collective.
    """

    def observe(self, iteration: int | None, epoch: int | None) -> None:
        """Look at this step (after the training code and its schedulers have run)."""

    @property
    def due(self) -> bool:
        return True

    def verdict(self) -> tuple[bool, dict]:
        """This rank's outcome: (held, answer body)."""
        return True, {}

    def unfinished(self) -> tuple[bool, dict]:
        """The outcome when the job ends before ``due``: what this rank saw so far."""
        return self.verdict()


class Inbox:
    """Rank 0's view of the inbox: new records, scheduled ones not yet due, garbage."""

    def __init__(self, out: str, poll_interval: float = 0.2):
        self.inbox_dir = os.path.join(out, protocol.COMMANDS_INBOX)
        self.outbox_dir = os.path.join(out, protocol.COMMANDS_OUTBOX)
        os.makedirs(self.inbox_dir, exist_ok=True)
        os.makedirs(self.outbox_dir, exist_ok=True)
        self.poll_interval = float(poll_interval)
        self._next_scan = 0.0
        self._known: set[str] = set(_uids(self.outbox_dir))
        self._waiting: dict[str, protocol.CommandRecord] = {}
        self._invalid: list[protocol.CommandResponse] = []

    def due(self, iteration: int | None, epoch: int | None) -> list[protocol.CommandRecord]:
        """Records whose schedule has come, oldest first. Cheap when nothing is waiting."""
        now = time.monotonic()
        if now >= self._next_scan:
            self._next_scan = now + self.poll_interval
            self._scan()
        if not self._waiting:
            return []
        ready = [r for r in self._waiting.values() if is_due(r.schedule, iteration, epoch)]
        for record in ready:
            del self._waiting[record.uid]
        ready.sort(key=lambda r: (r.created_at, r.uid))
        return ready

    def take_invalid(self) -> list[protocol.CommandResponse]:
        """FAILURE answers for records that could not be read; the caller writes them."""
        invalid, self._invalid = self._invalid, []
        return invalid

    def scan_now(self) -> None:
        self._next_scan = 0.0

    def _scan(self) -> None:
        try:
            entries = os.scandir(self.inbox_dir)
        except FileNotFoundError:
            return
        with entries:
            for entry in entries:
                name = entry.name
                # ".tmp-*" are the writer's files before os.replace; never read them
                if name[0] == "." or not name.endswith(".json"):
                    continue
                uid = name[:-5]
                if uid in self._known:
                    continue
                self._known.add(uid)
                if os.path.exists(os.path.join(self.outbox_dir, name)):
                    continue  # answered by an earlier process in this directory
                self._read(uid, entry.path)

    def _read(self, uid: str, path: str) -> None:
        try:
            data = protocol.read_json(path)
        except FileNotFoundError:
            return  # the server withdrew it between listing and reading
        except (OSError, ValueError) as exc:
            self._invalid.append(failure(uid, "", f"unreadable command record: {exc}"))
            return
        try:
            record = protocol.CommandRecord.from_json(data)
        except ValueError as exc:
            name = data.get("name") if isinstance(data, dict) and isinstance(data.get("name"), str) else ""
            self._invalid.append(failure(uid, name, f"invalid command record: {exc}"))
            return
        record.uid = uid  # the file name is the identity the server waits on
        self._waiting[uid] = record


def is_due(schedule: dict | None, iteration: int | None, epoch: int | None) -> bool:
    """First poll at or after the scheduled iteration/epoch; unscheduled commands are due now."""
    if not schedule:
        return True
    current = iteration if schedule["key"] == "iteration" else epoch
    return current is not None and current >= schedule["value"]


def failure(uid: str, name: str, message: str, iteration=None, epoch=None, ranks: int = 0):
    return protocol.CommandResponse(
        uid=uid, name=name, status=protocol.FAILURE, iteration=iteration, epoch=epoch,
        body={"error": message}, ranks=ranks,
    )


def write_response(out: str, response: protocol.CommandResponse) -> None:
    path = os.path.join(out, protocol.COMMANDS_OUTBOX, f"{response.uid}.json")
    protocol.atomic_write_json(path, response.to_json())


class Registry:
    """Command name -> handler. A handler gets the body and returns a JSON-able result."""

    def __init__(self):
        self._handlers: dict[str, Handler] = {}

    def register(self, name: str, handler: Handler) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError("a command needs a non-empty name")
        self._handlers[name] = handler

    def names(self) -> list[str]:
        return list(self._handlers)

    def execute(self, name: str, body: dict) -> tuple[bool, dict]:
        """Run one command; never raises (a failing command must not stop training)."""
        handler = self._handlers.get(name)
        if handler is None:
            return False, {"error": f"unknown command '{name}'; available: {', '.join(self.names())}"}
        try:
            result = handler(body)
        except Exception as exc:  # the user's code or a validation error: report, go on
            message = str(exc) or type(exc).__name__
            return False, {"error": message, "type": type(exc).__name__}
        if result is None:
            return True, {}
        if isinstance(result, Pending):
            return True, result
        if not isinstance(result, dict):
            result = {"value": result}
        try:
            protocol.dumps(result)
        except (TypeError, ValueError):
            result = {"value": repr(result)[:1000]}  # applied; only the answer is unusual
        return True, result


def _uids(directory: str) -> list[str]:
    try:
        with os.scandir(directory) as entries:
            return [e.name[:-5] for e in entries if e.name.endswith(".json") and e.name[0] != "."]
    except FileNotFoundError:
        return []
