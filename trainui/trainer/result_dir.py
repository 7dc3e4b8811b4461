"""Which directory a ``Run`` writes: one process, one result.

A job started into a directory that already holds a run (a ``log``, or a job status left by an
earlier process) would mix with it: its entries would go behind the old ones (or to the replayed
log), the old commands, snapshots and images would sit beside the new curves, and the dashboard
would show one process's status over another's curves. So a new run takes the first free numbered
sibling instead (``results/tour`` -> ``results/tour-2``, ``results/tour-3``, ...) and says so in
one line on stderr. Continuing the same run is explicit: ``Run(resume=True)``, or a snapshot of
that directory loaded with ``trainui.load_snapshot`` before the ``Run`` is opened (see
``note_snapshot_loaded``); then the replayed iterations go where logfile.py says.

A directory is claimed by creating its ``log`` with ``O_EXCL``, so two jobs started at the same
moment into one directory still get one result each. Under torch.distributed only rank 0 decides;
the other ranks take its choice at their first ``step()`` (see ``Run``).
"""
from __future__ import annotations

import errno
import os
import socket
import sys
import time

from trainui import protocol

_EMPTY_LOG = b"[\n]"
_loaded_snapshot_dirs: set[str] = set()  # result directories whose snapshot this process loaded


class RunInUse(RuntimeError):
    """``resume=True`` into a directory whose job is still alive: two processes never write one result."""


def holds_run(path: str) -> bool:
    """An earlier process (trainui's, or Chainer's) wrote a run here."""
    return os.path.lexists(os.path.join(path, protocol.LOG)) or os.path.lexists(os.path.join(path, protocol.STATUS))


def note_snapshot_loaded(snapshot_path: str) -> None:
    """``load_snapshot`` calls this: the next ``Run`` into that snapshot's directory resumes it."""
    _loaded_snapshot_dirs.add(os.path.dirname(os.path.realpath(snapshot_path)))


def resumes_loaded_snapshot(out: str) -> bool:
    """True once per loaded snapshot: a later ``Run`` in the same process is a new run again."""
    real = os.path.realpath(out)
    if real in _loaded_snapshot_dirs:
        _loaded_snapshot_dirs.discard(real)
        return True
    return False


def open_result_dir(out: str, resume: bool) -> str:
    """The absolute directory this run writes: ``out`` itself when resuming (or when it is free),
    else its first free numbered sibling, announced on stderr."""
    out = os.path.abspath(out)
    if resume:
        refuse_if_in_use(out)
        os.makedirs(out, exist_ok=True)
        return out
    if _claim(out):
        return out
    number = 2
    while not _claim(f"{out}-{number}"):
        number += 1
    chosen = f"{out}-{number}"
    print(f"trainui: {_shown(out)} holds an earlier run; this run writes to {_shown(chosen)} "
          "(resume=True continues the earlier one)", file=sys.stderr, flush=True)
    return chosen


def refuse_if_in_use(out: str) -> None:
    """Raise ``RunInUse`` when the directory's job status says a live process still writes it."""
    try:
        status = protocol.JobStatus.from_json(protocol.read_json(os.path.join(out, protocol.STATUS)))
    except (OSError, ValueError):
        return  # no status (or an unreadable one): nobody to collide with that we can know of
    if status.status != protocol.RUNNING or status.pid == os.getpid():
        return
    age = time.time() - status.heartbeat_at
    fresh = age < protocol.HEARTBEAT_TIMEOUT_FACTOR * status.heartbeat_interval
    same_host = status.host == socket.gethostname()
    if (same_host and _alive(status.pid)) or (not same_host and fresh):
        raise RunInUse(
            f"trainui.Run(resume=True): {out} is being written by a running job (pid {status.pid} on "
            f"{status.host or 'an unknown host'}, heartbeat {max(0.0, age):.1f} s ago); two processes never "
            "write one result. Stop that job first, or leave resume off to start a new run beside it.")


def _claim(path: str) -> bool:
    """Make ``path`` this run's, atomically; False when it holds a run already."""
    if os.path.lexists(os.path.join(path, protocol.STATUS)):
        return False
    os.makedirs(path, exist_ok=True)
    try:
        fd = os.open(os.path.join(path, protocol.LOG), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except FileExistsError:
        return False
    try:
        os.write(fd, _EMPTY_LOG)
    finally:
        os.close(fd)
    return True


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except OSError as error:
        return error.errno == errno.EPERM  # someone else's process: alive
    return True


def _shown(path: str) -> str:
    """The path as the user likely typed it: relative to the working folder when inside it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return path
    return path if relative.startswith(os.pardir) else relative
