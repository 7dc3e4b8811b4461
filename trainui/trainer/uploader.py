"""Shipping a result directory to a trainui server over HTTP, and taking its commands back.

The directory stays the job's durable record; the uploader only reads it. On rank 0, one thread
ships what is new (log entries, args, status with its heartbeat, snapshot records, command answers,
images) in batches, and a second one long-polls the run's pending commands and drops each into the
local inbox, where the existing ``step()`` path applies it on every rank at one iteration. Neither
thread is ever waited on by ``log()`` or ``step()``: a server that is slow or gone costs the
training loop nothing, and the upload catches up when it answers again (the server applies each
log index once, so nothing is doubled or dropped across retries and restarts). ``close()`` gives
the upload a bounded time to finish; ``trainui sync`` (``sync`` below) ships whatever is left.
"""
from __future__ import annotations

import os
import random
import re
import socket
import sys
import threading
import time
from dataclasses import dataclass
from typing import Callable

from trainui import protocol
from trainui.trainer.console_outgoing import ConsoleOutgoing
from trainui.trainer.outgoing import LogReplaced, Outgoing, run_description
from trainui.trainer.transport import Api, Backoff, Refused, Unreachable
from trainui.trainer.upload_state import UploadState, load_state, read_state, save_state

FINAL_FLUSH_SECONDS = 15.0  # close() waits at most this long for the server to take the rest
SHIP_INTERVAL = 0.1  # seconds between looks at the log and status when nothing is happening
BATCH_INTERVAL = 0.25  # a live job sends about this often: fuller batches cost a busy server less
FULL_SCAN_INTERVAL = 0.5  # seconds between looks at args, snapshots, answers and images
POLL_WAIT = 20.0  # seconds a command long-poll may wait on the server
KNOWN_PENDING_PAUSE = 0.5  # the server answers at once while commands the job holds are pending
MAX_RETRY_AFTER = 10.0
SAVE_INTERVAL = 1.0
RETRY_AT_MOST_EVERY = 2.0  # seconds: a server back from an outage is found within this
SAFE_UID = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$")  # a command uid becomes a file name


class Notes:
    """What the job's terminal hears about the upload: a state change once, not every retry."""

    def __init__(self, server: str, stream=None):
        self.server = server
        self.stream = stream
        self._down = False
        self._said: set[str] = set()

    def say(self, message: str) -> None:
        stream = self.stream or sys.stderr
        stream.write(f"trainui: {message}\n")  # one write: a whole line in the console, not two pieces
        stream.flush()

    def once(self, message: str) -> None:
        if message not in self._said:
            self._said.add(message)
            self.say(message)

    def unreachable(self, error: Exception) -> None:
        if not self._down:
            self._down = True
            self.say(f"cannot reach the trainui server at {self.server} ({error}); training goes on "
                     "and the upload catches up when the server answers")

    def reachable(self) -> None:
        if self._down:
            self._down = False
            self.say(f"the trainui server at {self.server} answers again; catching up")

    def refused(self, error: Refused) -> None:
        self.once(f"the trainui server at {self.server} refused the upload ({error}); check the "
                  "server address, TRAINUI_PROJECT and TRAINUI_TOKEN")


class Shipper:
    """Ships one directory to one server run: the same code for the job's thread and ``trainui sync``."""

    def __init__(self, out: str, api: Api, state: UploadState, notes: Notes):
        self.out, self.api, self.state, self.notes = out, api, state, notes
        self.outgoing = Outgoing(out, state)
        self.consoles = ConsoleOutgoing(out, state)
        self.result_id: int | None = None  # confirmed by the server in this process
        self.count_at_connect: int | None = None  # the server's entry count when first found
        self.backlog = False  # the last batch did not reach the end of the log: send the next at once
        self._saved_at = 0.0

    def connect(self) -> int:
        """Create or find the run (``POST /runs``, idempotent on its uid); resume from its count."""
        answer = self.api.call("POST", "runs", run_description(self.out, self.state, socket.gethostname()))
        result = answer.get("result") if isinstance(answer, dict) else None
        result_id = result.get("id") if isinstance(result, dict) else None
        count = result.get("entry_count") if isinstance(result, dict) else None
        if type(result_id) is not int or type(count) is not int:
            raise Unreachable(f"unexpected answer to POST /runs: {str(answer)[:200]}")
        if self.state.result_id != result_id or count < self.state.log.entries:
            self.outgoing.resend_everything()  # another server run than the one shipped to before
        if self.state.result_id != result_id:
            self.state.consoles = {}  # (the same run holds its console already: offsets find the rest)
        self.state.result_id = self.result_id = result_id
        if self.count_at_connect is None:
            self.count_at_connect = count
        self.outgoing.set_server_entries(count)
        self.save(force=True)
        return result_id

    def ship_once(self, full: bool = True) -> bool:
        """Send the next batch (and, when ``full``, new images); True if anything was sent."""
        if self.result_id is None:
            self.connect()
        try:
            batch = self.outgoing.next_batch(full)
        except LogReplaced as replaced:
            self.notes.say(f"{replaced}: shipping it as a new run")
            self.state.new_run()
            self.outgoing = Outgoing(self.out, self.state)
            self.result_id = None
            return True
        sent = False
        self.backlog = False
        if batch is not None:
            try:
                answer = self.api.call("POST", f"results/{self.result_id}/batches", batch.body)
            except Refused as refused:
                if refused.status == 409 and _entry_count(refused.body) is not None:
                    self.outgoing.set_server_entries(_entry_count(refused.body))  # a gap: resend from there
                    return True
                self._forget_run_if_gone(refused)
                raise
            self.outgoing.acknowledge(batch, answer)
            self.backlog = batch.log is not None and not batch.log.at_eof
            sent = True
        if full:
            sent |= self._ship_assets()
        sent |= self._ship_consoles()  # at every look: a job printing fast needs several pieces a second
        self.save()
        return sent

    def _ship_consoles(self) -> bool:
        """The next piece of each rank's console; a piece the server refuses is said and skipped (the
        console never holds up the run's curves)."""
        sent = False
        for piece in self.consoles.pieces():
            try:
                answer = self.api.call("POST", f"results/{self.result_id}/console", data=piece.data,
                                       content_type="text/plain; charset=utf-8",
                                       query={"rank": piece.rank, "offset": piece.offset})
            except Refused as refused:
                self._forget_run_if_gone(refused)
                held = refused.body.get("received") if isinstance(refused.body, dict) else None
                if refused.status == 409 and type(held) is int and held >= 0:
                    self.consoles.server_holds(piece.rank, held)  # the server lost some: go on from its count
                    self.backlog = True
                    continue
                if refused.status in (401, 403, 404, 409):
                    raise
                self.notes.once(f"the server refused a piece of the console of rank {piece.rank} ({refused}); "
                                "skipped")
                self.consoles.acknowledge(piece, piece.offset)
                continue
            held = answer.get("received") if isinstance(answer, dict) else None
            self.consoles.acknowledge(piece, held if type(held) is int and held >= 0 else piece.offset + len(piece.data))
            self.backlog |= piece.more
            sent = True
        return sent

    def _ship_assets(self) -> bool:
        sent = False
        for asset in self.outgoing.new_assets():
            if asset.data is not None:
                record = asset.record
                query = {"tag": record.tag, "step": record.step, "iteration": record.iteration, "epoch": record.epoch}
                try:
                    self.api.call("POST", f"results/{self.result_id}/assets", data=asset.data,
                                  content_type="image/png", query=query)
                except Refused as refused:
                    self._forget_run_if_gone(refused)
                    if refused.status in (401, 403, 404):
                        raise
                    self.notes.once(f"the server refused image {record.path} ({refused}); skipped")
            self.outgoing.acknowledge_asset(asset)
            sent = True
        return sent

    def _forget_run_if_gone(self, refused: Refused) -> None:
        if refused.status == 404:  # the run was removed on the server: find or create it again
            self.result_id = None

    def save(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._saved_at >= SAVE_INTERVAL:
            self._saved_at = now
            save_state(self.out, self.state)


class Uploader:
    """Rank 0's background upload for a ``Run``: ``start()``, then ``close()`` once the job ends."""

    def __init__(self, out: str, server: str, project: str, token: str | None = None, *, new_run: bool = False,
                 on_delivered: Callable[[], None] | None = None, poll_wait: float = POLL_WAIT):
        """``new_run``: the directory's log was just started afresh, so it is another server run."""
        self.out = out
        self.api = Api(server, token)
        self.notes = Notes(self.api.server)
        state = load_state(out, self.api.server, project)
        if new_run:
            state.new_run()
        self.shipper = Shipper(out, self.api, state, self.notes)
        self.poll_wait = poll_wait
        self.caught_up = False
        self._on_delivered = on_delivered
        self._closing = threading.Event()
        self._wake = threading.Event()
        self._deadline = 0.0
        self._full_now = False
        self._ship_thread = threading.Thread(target=self._ship_loop, name="trainui-upload", daemon=True)
        self._poll_thread = threading.Thread(target=self._poll_loop, name="trainui-commands", daemon=True)

    def start(self) -> "Uploader":
        self._ship_thread.start()
        self._poll_thread.start()
        return self

    def nudge(self) -> None:
        """Something worth sending at once was written (a command's answer): look now, fully."""
        self._full_now = True
        self._wake.set()

    def close(self, timeout: float | None = None) -> bool:
        """Ship what is left, for at most ``timeout`` seconds (default ``FINAL_FLUSH_SECONDS``);
        True if the server has everything."""
        if self._closing.is_set():
            return self.caught_up
        timeout = FINAL_FLUSH_SECONDS if timeout is None else timeout
        self._deadline = time.monotonic() + timeout
        self._closing.set()
        self._wake.set()
        if self._ship_thread.is_alive():
            self._ship_thread.join(timeout + 5)
        if not self.caught_up:
            unsent = self.shipper.outgoing.unsent_entries()
            self.notes.say(f"the server at {self.api.server} did not get everything within {timeout:.0f} s "
                           f"({unsent} log entr{'y' if unsent == 1 else 'ies'} and possibly the final status "
                           f"are not there yet); `trainui sync {self.out}` ships the rest")
        return self.caught_up

    # ------------------------------------------------------------------------------ shipping
    def _ship_loop(self) -> None:
        backoff = Backoff(maximum=RETRY_AT_MOST_EVERY)
        next_full = 0.0
        while True:
            closing = self._closing.is_set()
            if closing and time.monotonic() >= self._deadline:
                break
            full = closing or self._full_now or time.monotonic() >= next_full
            if full:
                self._full_now = False
            try:
                sent = self.shipper.ship_once(full)
            except Unreachable as error:
                self.notes.unreachable(error)
                self._pause(backoff.next())
                continue
            except Refused as error:
                self.notes.refused(error)
                if closing:
                    break  # asking again in the last seconds will not change the answer
                self._pause(max(backoff.next(), 5.0))
                continue
            except Exception as error:  # a bug must not silently end the upload: say it, go on
                self.notes.once(f"upload error: {type(error).__name__}: {error}")
                self._pause(backoff.next())
                continue
            if backoff.failures:
                self.notes.reachable()
                self.shipper.outgoing.resend_status()
            backoff.reset()
            if full:
                next_full = time.monotonic() + FULL_SCAN_INTERVAL
            if sent and (closing or self.shipper.backlog):
                continue
            if closing:
                self.caught_up = True
                break
            # +-20%: jobs started together do not keep arriving at the server together
            self._wake.wait(BATCH_INTERVAL * random.uniform(0.8, 1.2) if sent else SHIP_INTERVAL)
            self._wake.clear()
        try:
            self.shipper.save(force=True)
        except OSError:
            pass

    def _pause(self, seconds: float) -> None:
        if self._closing.is_set():
            seconds = min(seconds, max(0.0, self._deadline - time.monotonic()))
        self._wake.wait(seconds)
        self._wake.clear()

    # ------------------------------------------------------------------------------ commands
    def _poll_loop(self) -> None:
        backoff = Backoff(maximum=RETRY_AT_MOST_EVERY)
        known: set[str] = set()
        while not self._closing.is_set():
            result_id = self.shipper.result_id
            if result_id is None:
                self._closing.wait(0.1)
                continue
            try:
                answer = self.api.call("GET", f"results/{result_id}/commands/pending",
                                       query={"wait": _seconds(self.poll_wait)}, timeout=self.poll_wait + 15)
            except (Unreachable, Refused):
                self._closing.wait(backoff.next())
                continue
            backoff.reset()
            answer = answer if isinstance(answer, dict) else {}
            commands = answer.get("commands") if isinstance(answer.get("commands"), list) else []
            if self._closing.is_set():
                break  # the job no longer applies commands: leave them to the server
            try:
                delivered = deliver_commands(self.out, commands, known)
            except OSError as error:  # a full disk: say it, and ask again (the uids were not kept)
                self.notes.once(f"cannot write a command into {self.out}: {error}")
                known.difference_update(c.get("uid") for c in commands if isinstance(c, dict))
                self._closing.wait(backoff.next())
                continue
            if delivered and self._on_delivered is not None:
                self._on_delivered()
            retry_after = answer.get("retry_after")
            if isinstance(retry_after, (int, float)) and not isinstance(retry_after, bool) and retry_after > 0:
                self._closing.wait(min(float(retry_after), MAX_RETRY_AFTER))  # every waiting slot is taken
            elif commands and not delivered:
                self._closing.wait(KNOWN_PENDING_PAUSE)


def deliver_commands(out: str, commands: list, known: set[str]) -> int:
    """Write each new command into the local inbox (``known`` remembers uids across polls); a uid
    with an answer in the outbox or a file in the inbox is the job's already. Returns how many."""
    delivered = 0
    for command in commands:
        uid = command.get("uid") if isinstance(command, dict) else None
        if not isinstance(uid, str) or not SAFE_UID.match(uid) or uid in known:
            continue
        known.add(uid)
        if os.path.exists(protocol.command_outbox_path(out, uid)) or os.path.exists(
                protocol.command_inbox_path(out, uid)):
            continue
        # written as received: a record the job cannot use is answered FAILURE by its inbox
        protocol.atomic_write_json(protocol.command_inbox_path(out, uid), command)
        delivered += 1
    return delivered


# ---------------------------------------------------------------------------------- sync
class SyncError(Exception):
    """``trainui sync`` could not finish; the message says why (what was shipped stays shipped)."""


@dataclass
class SyncReport:
    server: str
    project: str
    run_uid: str
    result_id: int
    entries: int  # entries the server holds for the run
    shipped: int  # of those, sent by this sync


def sync(out: str, server: str | None = None, project: str | None = None, token: str | None = None, *,
         retries: int = 5, on_progress: Callable[[int], None] | None = None, stream=None) -> SyncReport:
    """Ship the result directory ``out`` until the server has all of it (resumable, idempotent).

    ``server`` and ``project`` default to where the directory was shipped before (its
    ``.trainui/upload.json``). An unreachable server is retried ``retries`` times with backoff.
    """
    out = os.path.abspath(out)
    if not os.path.isfile(os.path.join(out, protocol.LOG)):
        raise SyncError(f"{out} has no `log`: not a result directory")
    saved = read_state(out)
    server = server or (saved.server if saved else None)
    project = project or (saved.project if saved else None)
    if not server or not project:
        raise SyncError(f"{out} was never shipped to a server: give --server URL and --project NAME")
    try:
        api = Api(server, token)
    except ValueError as error:
        raise SyncError(str(error)) from None
    shipper = Shipper(out, api, load_state(out, api.server, project), Notes(api.server, stream))
    backoff = Backoff(maximum=5.0)
    while True:
        try:
            sent = shipper.ship_once(full=True)
        except Unreachable as error:
            if backoff.failures >= retries:
                raise SyncError(f"cannot reach the trainui server at {api.server} ({error}); what was shipped "
                                "stays shipped: run the same command again later") from None
            time.sleep(backoff.next())
            continue
        except Refused as error:
            raise SyncError(f"the trainui server at {api.server} refused: {error}") from None
        backoff.reset()
        if on_progress is not None:
            on_progress(shipper.outgoing.server_entries)
        if not sent:
            break
    shipper.save(force=True)
    return SyncReport(api.server, project, shipper.state.run_uid, shipper.state.result_id,
                      shipper.outgoing.server_entries, shipper.outgoing.server_entries - (shipper.count_at_connect or 0))


def _entry_count(body) -> int | None:
    count = body.get("entry_count") if isinstance(body, dict) else None
    return count if type(count) is int and count >= 0 else None


def _seconds(value: float) -> str:
    return f"{value:g}"
