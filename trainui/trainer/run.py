"""``Run``: the one object a training loop talks to.

It owns a result directory: ``args``, ``log`` (see logfile), the job status with its heartbeat,
snapshots, assets, and the command inbox/outbox. Under torch.distributed every rank builds the
same ``Run``; rank 0 does the file I/O and ``step()`` shares due commands with one scalar
broadcast, so every rank applies them in the same ``step()`` call. The per-iteration cost with
nothing pending is a few clock reads (single process) or that one broadcast (distributed).
``adjust_hyperparams`` holds under the schedulers given with ``scheduler=`` and is answered once it
held through the next steps (see trainer/steering.py). ``restore`` goes back to a snapshot (see
trainer/restore.py); a loop written ``for it in run.iterations(n)`` follows the rewind.
"""
from __future__ import annotations

import atexit
import json
import os
import signal
import sys
import threading
import time
import traceback
import warnings
from typing import Any, Callable

from trainui import protocol
from trainui.config import JOB_POLL_INTERVAL, JobEnvironment
from trainui.trainer import console as job_console
from trainui.trainer import distributed, hyperparams, restore
from trainui.trainer.commands import Inbox, Pending, Registry, failure, write_response
from trainui.trainer.images import record_image
from trainui.trainer.logfile import REPLAYED_LOG, LogWriter, append_jsonl
from trainui.trainer.progress import ProgressBar
from trainui.trainer.result_dir import open_result_dir, resumes_loaded_snapshot
from trainui.trainer.snapshot import save_snapshot
from trainui.trainer.status import StatusWriter
from trainui.trainer.steering import DEFAULT_VERIFY_STEPS, Steering

SIGTERM_FLUSH_SECONDS = 3.0  # the upload's last word after SIGTERM (torchrun's grace period is short)
_UNSET: Any = object()  # continue_log not given


class Run:
    """A training job's handle on its result directory; see the module docstring.

    Construct it on every rank after ``torch.distributed.init_process_group`` (it detects the
    process group then), and call ``step()`` once per iteration on every rank.
    """

    def __init__(
        self,
        out: str,
        args: Any = None,
        model: Any = None,
        optimizer: Any = None,
        total_iterations: int | None = None,
        progress: bool = True,
        average_over_ranks: bool = False,
        *,
        scheduler: Any = None,
        verify_steps: int = DEFAULT_VERIFY_STEPS,
        poll_interval: float = JOB_POLL_INTERVAL,
        poll_every: int = 1,
        flush_every: int = 100,
        flush_interval: float = 1.0,
        heartbeat_interval: float = protocol.DEFAULT_HEARTBEAT_INTERVAL,
        snapshot_per_rank: bool = False,
        handle_signals: bool = True,
        resume: bool = False,
        single_process: bool = False,
        continue_log: bool = _UNSET,
        server: str | None = None,
        project: str | None = None,
        token: str | None = None,
        console: bool | str = True,
        console_max_bytes: int = job_console.DEFAULT_MAX_BYTES,
        console_backups: int = job_console.DEFAULT_BACKUPS,
        tags: list[str] | None = None,
        notes: str | None = None,
    ):
        """Open the result directory ``out`` (see trainer/result_dir.py).

        One process, one result: when ``out`` already holds a run, this one goes to the first free
        numbered sibling (``out-2``, ``out-3``, ...; ``run.out`` says which, and so does a line on
        stderr). ``resume=True`` continues the run in ``out`` instead (refused while its job is still
        alive), and so does loading a snapshot of ``out`` with ``trainui.load_snapshot`` before
        opening the Run; reports of iterations it already holds then go to the replayed log (see
        logfile). Under torch.distributed rank 0 decides, and the other ranks take its choice at
        their first ``step()``. ``single_process=True``: this process writes this run alone even
        when it is one of several torchrun processes (each rank training a model of its own, before
        or beside the process group); it then does no collective.

        ``optimizer`` may be one optimizer or a list; their param groups are numbered in order
        for ``adjust_hyperparams``. ``scheduler`` (one or a list: torch.optim.lr_scheduler schedulers,
        Transformers schedules, Ignite parameter schedulers) makes a change of a value they drive hold,
        by the meaning the command asks for (``"mode": "scale"``, the default, or ``"hold"``); each
        change is answered after it held for ``verify_steps`` steps. ``handle_signals`` installs a SIGTERM handler and an
        excepthook (main thread only) so a killed or crashing job still flushes its log and
        reports its status. ``poll_every=N`` makes only every N-th ``step()`` look for
        commands (and, distributed, do its collective), for loops whose iterations take about
        as long as a broadcast. ``continue_log`` is deprecated: ``True`` is ``resume=True``,
        ``False`` the default (a new run beside the old one; the old log is no longer moved aside).

        ``server`` (else ``$TRAINUI_SERVER``), with ``project`` (else ``$TRAINUI_PROJECT``) and
        ``token`` (else ``$TRAINUI_TOKEN``), also ships the run to a trainui server over HTTP: the
        directory is still written as always, and a background thread on rank 0 uploads what is new
        and takes the server's commands back (see trainer/uploader.py). ``log()`` and ``step()``
        never wait on the network.

        ``console`` keeps what the job writes to stdout and stderr (``print``, C extensions, child
        processes) in ``.trainui/console.log`` while it still reaches the terminal unchanged:
        ``True`` (the default) rank 0's, ``"all"`` every rank's (rank N > 0 in
        ``console.rank<N>.log``, from its first ``step()``), ``False`` (or ``TRAINUI_CONSOLE=0``)
        none. A file is rotated at ``console_max_bytes`` (10 MB) keeping ``console_backups`` (1)
        older copies. See trainer/console.py.

        ``tags`` (short words: letters, digits and ``_ . : / + @ -``, at most 32 of 64 characters)
        and ``notes`` (markdown) label the run in the UI (``.trainui/labels.json``). They seed the
        run's labels: once someone edits a run's tags (or notes) in the UI, the API or the CLI, that
        edit wins and what the job writes later no longer changes them.
        """
        labels = _checked_labels(tags, notes)  # a bad tag fails at once, on every rank
        if continue_log is not _UNSET:
            warnings.warn("trainui.Run(continue_log=...) is deprecated: a run into a directory that holds one "
                          "goes beside it by default, and resume=True continues it", FutureWarning, stacklevel=2)
            resume = resume or bool(continue_log)
        resume = resumes_loaded_snapshot(out) or resume  # on every rank: each one loaded the snapshot
        remote = _remote_settings(server, project, token)
        self._comm = distributed.LocalComm() if single_process else distributed.detect()
        self.out = open_result_dir(out, resume) if self._comm.rank == 0 else os.path.abspath(out)
        self._out_agreed = not self._comm.distributed  # other ranks learn rank 0's choice at step()
        self.rank = self._comm.rank
        self.world_size = self._comm.world_size
        self.is_main = self.rank == 0
        self.model = model
        self.optimizers = _as_list(optimizer)
        self.scaler: Any = None  # an AMP GradScaler given with attach(scaler=...): snapshots and restore hold it
        self._following = False  # inside iterations(): the loop follows a restore's rewind
        self._rewind_refusal: str | None = restore.OWN_ITERATION  # why restore cannot rewind this loop
        self.average_over_ranks = average_over_ranks
        self.snapshot_per_rank = snapshot_per_rank
        self.iteration: int | None = None
        self.epoch: int | None = None
        self.stop_requested = False
        self._stopped_at: int | None = None  # the iteration a stop command was applied at
        self._crash_traceback: str | None = None
        self._crash_traceback_full: str | None = None  # the console's last lines (Python prints it after close)
        self._poll_every = max(1, int(poll_every))
        self._steps = 0
        self._counting_reports = True  # until the script gives iterations, each report is one
        self._closed = False
        self._started = time.monotonic()
        self._elapsed_offset = 0.0
        self._resumes: list[dict] = []  # this run's resumes, for its status (see _resumes_so_far)
        self._resuming: dict | None = None  # this process's resume, until its first iteration is known
        self._applied_elapsed: dict[str, float] = {}  # command uid -> elapsed_time when it was applied
        self._log: LogWriter | None = None
        self._inbox: Inbox | None = None
        self._status: StatusWriter | None = None
        self._progress: ProgressBar | None = None
        self._uploader: Any = None  # trainer.uploader.Uploader, imported only when a server is given
        self._upload_timeout: float | None = None  # None: the uploader's own bound
        self._console: job_console.Console | None = None
        limits = job_console.limits(console_max_bytes, console_backups)  # a bad value fails on every rank
        self._console_settings = limits if job_console.wanted(console, self.rank) else None
        self._steering = Steering(verify_steps)
        self._steering.register(scheduler)
        self._pending: list[tuple] = []  # (record, Pending, iteration, epoch, ranks applied) awaiting steps
        self._registry = Registry()
        self._registry.register("take_snapshot", self._cmd_take_snapshot)
        self._registry.register("adjust_hyperparams", self._cmd_adjust_hyperparams)
        self._registry.register("stop", self._cmd_stop)
        self._registry.register("restore", self._cmd_restore)
        if self.is_main:
            if labels:
                self.write_labels(**labels)  # before the log: the server reads them with the run's first entries
            self._open_files(args, poll_interval, flush_every, flush_interval, heartbeat_interval, remote)
            if progress:
                self._progress = ProgressBar(total_iterations)  # before the console: it asks if stderr is a tty
        if self._out_agreed:
            self._start_console()
        self._previous_sigterm: Any = None
        self._previous_excepthook: Any = None
        if handle_signals:
            self._install_handlers()
        atexit.register(self._at_exit)

    def _open_files(self, args, poll_interval, flush_every, flush_interval, heartbeat_interval, remote) -> None:
        if args is not None:
            self.write_args(args)
        self._log = LogWriter(os.path.join(self.out, protocol.LOG), flush_every, flush_interval)
        previous_elapsed = (self._log.last_entry or {}).get("elapsed_time")
        if isinstance(previous_elapsed, (int, float)) and not isinstance(previous_elapsed, bool):
            self._elapsed_offset = float(previous_elapsed)  # elapsed_time continues across a resume
        self._inbox = Inbox(self.out, poll_interval)
        self._resumes = self._resumes_so_far()
        self._status = StatusWriter(
            self.out, self.world_size, heartbeat_interval,
            snapshot=self._live_status, on_beat=self._flush_if_due,
        )
        if remote is not None:
            from trainui.trainer.uploader import Uploader

            server, project, token = remote
            self._uploader = Uploader(self.out, server, project, token, on_delivered=self._inbox.scan_now).start()

    # ----------------------------------------------------------------------------- reporting
    def log(self, values: dict, iteration: int | None = None, epoch: int | None = None) -> None:
        """Append one report (adds iteration, epoch, elapsed_time, and lr of param group 0).

        With ``average_over_ranks`` every rank must call this with the same numeric keys: the
        values are averaged with one all_reduce. Otherwise only rank 0's values are kept.
        Without ``iteration`` (and no ``step()`` so far) reports are numbered 1, 2, 3, ...
        """
        if iteration is None and self._counting_reports:
            iteration = (self.iteration or 0) + 1
        else:
            self._counting_reports = False
        self._advance(iteration, epoch)
        values = {str(k): _scalar(v) for k, v in values.items()}
        if self.average_over_ranks and self._comm.distributed:
            keys = sorted(k for k, v in values.items() if _is_number(v))
            for key, mean in zip(keys, self._comm.average([float(values[k]) for k in keys])):
                values[key] = mean
        if not self.is_main or self._closed:
            return
        entry = dict(values)
        if self.optimizers and "lr" not in entry:
            entry["lr"] = hyperparams.current_lr(self.optimizers[0])
        if self.epoch is not None:
            entry["epoch"] = self.epoch
        if self.iteration is not None:
            entry["iteration"] = self.iteration
        entry["elapsed_time"] = self.elapsed_time
        ceiling = self._log.resume_ceiling
        if ceiling is not None and self.iteration is not None and self.iteration <= ceiling:
            append_jsonl(os.path.join(self.out, REPLAYED_LOG), entry)
        else:
            self._log.append(entry)
        if self._progress is not None:
            self._progress.update(self.iteration, _loss_of(values))

    def log_image(self, tag: str, image: Any, step: int | None = None) -> str | None:
        """Record an image as ``assets/<tag>/<step>.png`` (rank 0); returns its relative path."""
        if not self.is_main:
            return None
        step = (self.iteration or 0) if step is None else step
        return record_image(self.out, tag, image, step, iteration=self.iteration, epoch=self.epoch)

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def elapsed_time(self) -> float:
        return self._elapsed_offset + time.monotonic() - self._started

    # ----------------------------------------------------------------------------- commands
    def step(self, iteration: int | None = None, epoch: int | None = None) -> bool:
        """Apply the commands due at this iteration on every rank; True once a stop is requested.

        Call it once per iteration on every rank (it is a collective when distributed). A loop that
        passes its own ``iteration`` cannot follow a ``restore`` (it answers FAILURE); one written
        ``for it in run.iterations(n)`` can.
        """
        if not self._following:
            self._rewind_refusal = restore.OWN_COUNTER if iteration is None else restore.OWN_ITERATION
        if iteration is None:
            iteration = (self.iteration or 0) + 1
        if not self._out_agreed:
            self._agree_on_out()
        self._counting_reports = False
        self._advance(iteration, epoch)
        self._steps += 1
        if self._pending:
            for _, pending, *_ in self._pending:
                pending.observe(self.iteration, self.epoch)
        if self._steps % self._poll_every == 0:  # the same calls on every rank
            due = [p for p in self._pending if p[1].due] if self._pending else None
            if due:  # their verdicts ride in this step's one collective
                verdicts = [p[1].verdict() for p in due]
                records, held = self._comm.share_counting(self._take_due() if self.is_main else None,
                                                          [1 if ok else 0 for ok, _ in verdicts])
                self._answer_pending(due, verdicts, held)
            elif self._comm.distributed:
                records = self._comm.share(self._take_due() if self.is_main else None)
            else:
                records = self._take_due()
            if records:
                self._apply(records)
        if self._progress is not None:
            self._progress.update(iteration)
        if self._log is not None and self._log.flush_due():
            self._log.flush()
        return self.stop_requested

    poll = step

    def iterations(self, total: int, start: int | None = None):
        """Yield the iteration numbers ``start`` (default: the run's next one) to ``total``, calling
        ``step()`` after each; ends early once a stop is requested.

        ``run.iteration`` is the source of truth: after a ``restore`` to a snapshot of iteration N
        the next number yielded is N + 1, so ``for it in run.iterations(n): ...`` re-runs the
        abandoned stretch (the model, optimizer, schedulers and RNG are back at N; a data loader's
        position is the loop's own: draw batches from ``it`` or from the restored RNG).
        """
        following, self._following = self._following, True
        self._rewind_refusal = None
        self._counting_reports = False  # run.log() without iteration= uses the yielded one
        try:
            number = (self.iteration or 0) + 1 if start is None else int(start)
            while number <= total:
                self._advance(number, None)
                yield number
                if self.step(iteration=self.iteration):
                    return
                number = self.iteration + 1
        finally:
            self._following = following

    def command(self, name: str, handler: Callable[[dict], Any] | None = None):
        """Register a user command; use as ``@run.command("name")``. The handler gets the body
        dict and returns a JSON-able dict (the response body). It runs on every rank."""
        if handler is not None:
            self._registry.register(name, handler)
            return handler

        def decorator(fn):
            self._registry.register(name, fn)
            return fn

        return decorator

    @property
    def commands(self) -> list[str]:
        return self._registry.names()

    def _agree_on_out(self) -> None:
        """Every rank takes the directory rank 0 chose (a collective: the first ``step()`` on every rank)."""
        shared = self._comm.share([self.out] if self.is_main else None)
        if shared:
            self.out = shared[0]
        self._out_agreed = True
        self._start_console()

    def _start_console(self) -> None:
        """Tee this rank's stdout and stderr into its console file, if asked (never raises: a run
        without its console still trains)."""
        if self._console_settings is None or self._console is not None or self._closed:
            return
        try:
            self._console = job_console.Console(job_console.console_path(self.out, self.rank),
                                                *self._console_settings).start()
        except OSError as exc:
            _warn(f"cannot keep the console in {self.out}: {exc}")

    def _take_due(self) -> list | None:
        """Rank 0: the due records. File errors are reported, never raised: under torchrun an
        exception here would leave the other ranks waiting in the broadcast."""
        inbox = self._inbox
        try:
            due = inbox.due(self.iteration, self.epoch)
            if inbox._invalid:
                for response in inbox.take_invalid():
                    response.iteration, response.epoch = self.iteration, self.epoch
                    write_response(self.out, response)
        except OSError as exc:
            _warn(f"cannot read commands in {self.out}: {exc}")
            return None
        return [r.to_json() for r in due] if due else None

    def _apply(self, records: list[dict]) -> None:
        results = []
        for data in records:
            record = protocol.CommandRecord.from_json(data)
            self._applied_elapsed[record.uid] = self.elapsed_time
            ok, body = self._registry.execute(record.name, record.body)
            results.append((record, ok, body))
            self._record_on_rank(record, ok)
        counts = self._comm.count_applied([1 if ok else 0 for _, ok, _ in results])
        for (record, ok, body), count in zip(results, counts):
            if isinstance(body, Pending):
                if count == self.world_size:  # answered after the next steps (every rank knows count)
                    self._pending.append((record, body, self.iteration, self.epoch, count))
                    continue
                body = body.verdict()[1]
            if ok and count < self.world_size:
                ok, body = False, dict(body, error=f"applied on {count} of {self.world_size} ranks")
            self._respond(record, ok, body, count, self.iteration, self.epoch)
        self._answers_written()  # the new hyperparameters show in the status at once, answered or not

    def _answer_pending(self, due: list[tuple], verdicts: list[tuple[bool, dict]], held: list[int]) -> None:
        """Answer commands whose checking steps are over; ``held`` counts the ranks each held on."""
        self._pending = [p for p in self._pending if not any(p is d for d in due)]
        for (record, _, iteration, epoch, _applied), (ok, body), count in zip(due, verdicts, held):
            if not ok and not self.is_main:
                _warn(f"rank {self.rank}: command {record.name} ({record.uid}): {body.get('error')}")
            if ok and count < self.world_size:
                ok, body = False, dict(body, error=f"it held on {count} of {self.world_size} ranks; on the others "
                                                   "something rewrote it (their stderr says what and when)")
            self._respond(record, ok, body, count, iteration, epoch)
        self._answers_written()

    def _answer_unfinished(self) -> None:
        """The job ends with answers still waiting for steps: each says what rank 0 saw until the end."""
        pending, self._pending = self._pending, []
        for record, check, iteration, epoch, applied in pending:
            ok, body = check.unfinished()
            self._respond(record, ok, body, applied, iteration, epoch)
        if pending:
            self._answers_written()

    def _respond(self, record, ok: bool, body: dict, ranks: int, iteration, epoch) -> None:
        elapsed = self._applied_elapsed.pop(record.uid, None)
        if not self.is_main:
            return
        if ok:
            response = protocol.CommandResponse(
                uid=record.uid, name=record.name, status=protocol.SUCCESS,
                iteration=iteration, epoch=epoch, body=body, ranks=ranks)
        else:
            response = failure(record.uid, record.name, body.get("error", "failed"), iteration, epoch, ranks=ranks)
            response.body = body
        response.elapsed_time = elapsed
        try:
            write_response(self.out, response)
        except OSError as exc:
            _warn(f"cannot answer command {record.uid}: {exc}")

    def _answers_written(self) -> None:
        if not self.is_main:
            return
        if self._uploader is not None:
            self._uploader.nudge()  # the answers go to the server now, not at the next scan
        try:
            self._status.write()  # new hyperparameters visible now, not at the next beat
        except OSError as exc:
            _warn(f"cannot write the job status: {exc}")

    def _record_on_rank(self, record: protocol.CommandRecord, ok: bool) -> None:
        """This rank's own evidence of what it applied, and when (``.trainui/ranks/rank<k>.jsonl``)."""
        line = {
            "uid": record.uid, "name": record.name, "iteration": self.iteration, "epoch": self.epoch,
            "rank": self.rank, "status": protocol.SUCCESS if ok else protocol.FAILURE,
            "hyperparams": hyperparams.describe(self.optimizers), "applied_at": time.time(),
        }
        try:
            append_jsonl(os.path.join(self.out, protocol.rank_record_path(self.rank)), line)
        except OSError as exc:  # before a collective: raising here would hang the other ranks
            _warn(f"cannot write the rank record: {exc}")

    def _cmd_take_snapshot(self, body: dict) -> dict:
        per_rank = body.get("per_rank", self.snapshot_per_rank)
        if not isinstance(per_rank, bool):
            raise ValueError("'per_rank' must be true or false")
        path = self.snapshot(per_rank=per_rank)
        return {"path": os.path.relpath(path, self.out) if path else None, "iteration": self.iteration}

    def _cmd_adjust_hyperparams(self, body: dict) -> Pending:
        return self._steering.adjust(self.optimizers, body, self.iteration)

    def _cmd_restore(self, body: dict) -> Any:
        return restore.restore(self, body)

    def _cmd_stop(self, body: dict) -> dict:
        self.stop_requested = True
        self._stopped_at = self.iteration
        return {"iteration": self.iteration, "epoch": self.epoch}

    # ----------------------------------------------------------------------------- snapshots
    def snapshot(self, per_rank: bool = False, extra: dict | None = None) -> str | None:
        """Write ``snapshot_iter_<N>.pt`` from rank 0 (or one per rank); returns the path."""
        if not per_rank and not self.is_main:
            return None
        os.makedirs(self.out, exist_ok=True)
        return save_snapshot(
            self.out, self.iteration or 0, self.epoch, self.model, self.optimizers,
            rank=self.rank if per_rank else None, schedulers=self._steering.schedulers, scaler=self.scaler,
            extra=dict(extra or {}, elapsed_time=self.elapsed_time, world_size=self.world_size),
        )

    def attach(self, model: Any = None, optimizer: Any = None, scheduler: Any = None, scaler: Any = None) -> None:
        """Give the run its model/optimizer/scheduler(s) after construction (e.g. from a Lightning trainer),
        or an AMP ``GradScaler`` (snapshots then hold its state, and ``restore`` loads it)."""
        if scaler is not None:
            self.scaler = scaler
        if model is not None:
            self.model = model
        if optimizer is not None:
            self.optimizers = _as_list(optimizer)
        self._steering.register(scheduler)

    @property
    def schedulers(self) -> list:
        """The registered schedulers (unwrapped), in registration order."""
        return list(self._steering.schedulers)

    def write_args(self, args: Any) -> None:
        """(Re)write ``args`` from a dict or argparse.Namespace (rank 0); odd values become strings."""
        if self.is_main:
            protocol.atomic_write_json(os.path.join(self.out, protocol.ARGS), _jsonable_args(args))

    def write_labels(self, tags: list[str] | None = None, notes: str | None = None) -> None:
        """(Re)write the run's tags and/or notes (rank 0); what is not given stays as the file has it.
        They change what the UI shows only while nobody has edited that label there."""
        labels = _checked_labels(tags, notes)
        if not self.is_main or not labels:
            return
        path = os.path.join(self.out, protocol.LABELS)
        try:
            written = protocol.read_json(path)
        except (OSError, ValueError):
            written = {}
        merged = {**(written if isinstance(written, dict) else {}), **labels}
        protocol.atomic_write_json(path, merged)

    # ----------------------------------------------------------------------------- lifecycle
    def flush(self) -> None:
        if self._log is not None:
            self._log.flush()

    def close(self, status: str | None = None, message: str | None = None) -> None:
        """Flush everything and write the final status (finished, or stopped after ``stop``)."""
        if self._closed:
            return
        self._closed = True
        final = status or (protocol.STOPPED if self.stop_requested else protocol.FINISHED)
        if status is None and self.stop_requested:
            message = message or f"stopped by command at iteration {self._stopped_at}"
        self._answer_unfinished()
        if self._log is not None:
            self._log.close()
        if self._progress is not None:
            self._progress.close(self.iteration)
        if self._status is not None:
            self._status.finish(final, message, self._crash_traceback)
        if self._console is not None:  # before the upload's last round: it ships the console's end too
            self._console.close(self._crash_traceback_full)
        if self._uploader is not None:
            self._uploader.close(self._upload_timeout)
        self._remove_handlers()
        atexit.unregister(self._at_exit)

    def __enter__(self) -> "Run":
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is None:
            self.close()
        else:
            self._crash(exc_type, exc, tb)
        return False

    def _advance(self, iteration: int | None, epoch: int | None) -> None:
        if iteration is not None:
            self.iteration = int(iteration)
        if epoch is not None:
            self.epoch = int(epoch)
        if self._resuming is not None and self.iteration is not None:
            self._resuming["iteration"], self._resuming["epoch"] = self.iteration, self.epoch
            self._resuming = None

    def _live_status(self) -> dict:
        return {"iteration": self.iteration, "epoch": self.epoch, "commands": self._registry.names(),
                "hyperparams": hyperparams.describe(self.optimizers), "resumes": self._resumes}

    def _resumes_so_far(self) -> list[dict]:
        """The resumes the status of this directory remembers, plus this one if this process
        continues a run (its log holds entries, or an earlier job left a status): the status file is
        rewritten by every process, so it carries the list on. The iteration it resumed at is the first
        one this process reaches (see _advance)."""
        try:
            previous = protocol.JobStatus.from_json(protocol.read_json(os.path.join(self.out, protocol.STATUS)))
        except (OSError, ValueError):
            previous = None
        if previous is None and not self._log.entry_count:
            return []
        resumes = list(previous.resumes) if previous is not None else []
        last = self._log.resume_ceiling
        self._resuming = {"at": time.time(), "iteration": None, "epoch": None, "elapsed_time": self._elapsed_offset,
                          "after": previous.status if previous is not None else None,
                          "previous_iteration": last if last is None else int(last)}
        return (resumes + [self._resuming])[-protocol.MAX_RESUMES:]

    def _flush_if_due(self) -> None:
        if self._log is not None and self._log.flush_due():
            self._log.flush()

    def _install_handlers(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        self._previous_sigterm = signal.getsignal(signal.SIGTERM)
        signal.signal(signal.SIGTERM, self._on_sigterm)
        self._previous_excepthook = sys.excepthook
        sys.excepthook = self._excepthook

    def _remove_handlers(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        if self._previous_sigterm is not None and signal.getsignal(signal.SIGTERM) == self._on_sigterm:
            signal.signal(signal.SIGTERM, self._previous_sigterm)
        if self._previous_excepthook is not None and sys.excepthook == self._excepthook:
            sys.excepthook = self._previous_excepthook

    def _on_sigterm(self, signum, frame) -> None:
        previous = self._previous_sigterm
        self._closed = False  # even if close() was interrupted half-way, flush and report again
        self._upload_timeout = SIGTERM_FLUSH_SECONDS  # whoever sent SIGTERM may not wait long
        self.close(protocol.STOPPED, "terminated by SIGTERM")  # asked to end, like Ctrl-C: not a crash
        if callable(previous):
            previous(signum, frame)
        elif previous != signal.SIG_IGN:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)

    def _excepthook(self, exc_type, exc, tb) -> None:
        if not self._closed:
            self._crash(exc_type, exc, tb)
        (self._previous_excepthook or sys.__excepthook__)(exc_type, exc, tb)

    def _crash(self, exc_type, exc, tb) -> None:
        """Close with the exception as the end reason; a crash keeps the traceback's tail."""
        status, message = _status_for_exception(exc_type, exc)
        text = "".join(traceback.format_exception(exc_type, exc, tb))
        self._crash_traceback_full = text
        if status == protocol.CRASHED:
            self._crash_traceback = text[-protocol.TRACEBACK_LIMIT:]
        self.close(status, message)

    def _at_exit(self) -> None:
        self.close()


_warned: set[str] = set()


def _warn(message: str) -> None:
    """Once per message: a failing disk must not flood the training output."""
    if message not in _warned:
        _warned.add(message)
        print(f"trainui: warning: {message}", file=sys.stderr, flush=True)


def _remote_settings(server, project, token) -> tuple[str, str, str | None] | None:
    """(server, project, token) from the arguments, else ``TRAINUI_*``; None: no server.
    Checked on every rank, so a mistake stops every process alike."""
    env = JobEnvironment.read()
    server = server or env.server
    if server is None:
        return None
    project = project or env.project
    if project is None:
        raise ValueError(f"trainui: a server is given ({server}) but no project: pass project=... "
                         "or set TRAINUI_PROJECT")
    from trainui.trainer.transport import normalize_server

    normalize_server(server)  # a malformed address fails here, at start, not in the thread
    return server, project, token or env.token


def _status_for_exception(exc_type, exc) -> tuple[str, str]:
    if issubclass(exc_type, KeyboardInterrupt):
        return protocol.STOPPED, "interrupted (KeyboardInterrupt)"
    return protocol.CRASHED, f"{exc_type.__name__}: {exc}"[:2000]


def _as_list(optimizer: Any) -> list:
    if optimizer is None:
        return []
    if isinstance(optimizer, (list, tuple)):
        return list(optimizer)
    return [optimizer]


def _scalar(value: Any) -> Any:
    """Tensors and NumPy scalars with one element become Python numbers."""
    item = getattr(value, "item", None)
    if item is not None and not isinstance(value, (int, float)):
        size = getattr(value, "numel", None) or getattr(value, "size", None)
        count = size() if callable(size) else size
        if count == 1:
            return item()
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _loss_of(values: dict) -> float | None:
    loss = values.get("main/loss")
    if loss is None:
        loss = next((v for k, v in values.items() if k.endswith("loss")), None)
    return loss if _is_number(loss) else None


def _checked_labels(tags: Any, notes: Any) -> dict:
    """The labels given (ValueError, saying the rule, for a bad one)."""
    labels = {}
    if tags is not None:
        labels["tags"] = protocol.check_tags(tags)
    if notes is not None:
        labels["notes"] = protocol.check_notes(notes)
    return labels


def _jsonable_args(args: Any) -> dict:
    if not isinstance(args, dict):
        args = vars(args)
    out = {}
    for key, value in args.items():
        try:
            json.dumps(value)
            out[str(key)] = value
        except (TypeError, ValueError):
            out[str(key)] = str(value)
    return out
