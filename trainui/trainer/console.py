"""The job's console: what it writes to stdout and stderr, kept in its result directory.

A crash's first question is "what did it print?", so rank 0 (every rank with ``console="all"``)
tees file descriptors 1 and 2 into ``.trainui/console.log`` (``.trainui/console.rank<N>.log`` for
rank N > 0). The tee sits below Python: each fd is replaced (``dup2``) by the write end of a pipe
whose reader thread writes every chunk to the original fd first (the terminal sees the job's output
unchanged, in its order) and then to the file. So what C extensions, ``os.write`` and child
processes write is kept too, not only ``print``.

Cheap for a job printing 10,000 lines a second: the reader pauses 10 ms after each chunk, so it
wakes (and takes the GIL) at most 100 times a second whatever the job prints, and the pipe holds
1 MB meanwhile; a line reaches the terminal at most about 10 ms later than without the tee.
(A SIGKILL loses what is still in the pipe, for the terminal too: the tee lives in the process.)

Bounded: when the file would pass ``max_bytes`` it is renamed ``console.log.1`` (older copies move
up to ``backups``) and a new one starts, so a job printing without end keeps at most
``max_bytes * (backups + 1)`` bytes on disk. The reader writes with ``os.write`` (no buffer to lose)
and never raises: a full disk stops the file, never the job.

Closing restores the fds, then waits briefly for the reader to drain the pipe. A child process that
still holds the pipe (a daemon it started) keeps the reader alive; the wait is bounded and the
reader then writes to the terminal only. A crash closes the run before Python prints the
traceback, so the run hands the formatted traceback to ``close`` to end the file with; ``atexit``
closes a console still open at exit.

Standard library only, imported by ``trainui.trainer.run`` at no cost (threads start only on use).
"""
from __future__ import annotations

import atexit
import errno
import os
import sys
import threading
import time

from trainui import protocol

DEFAULT_MAX_BYTES = 10 * 1024 * 1024  # per file
DEFAULT_BACKUPS = 1  # console.log.1: at most 20 MB on disk by default
CHUNK = 1024 * 1024
PIPE_BYTES = 1024 * 1024  # the pipe's capacity (Linux lets a process ask for up to 1 MB)
COALESCE_SECONDS = 0.01  # the reader's pause after a chunk, so the next read takes many writes at once
DRAIN_SECONDS = 2.0  # at close: how long the reader may take to empty the pipe
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)

_active: "Console | None" = None  # one console per process: fds 1 and 2 are the process's


def console_path(out: str, rank: int) -> str:
    """Where rank ``rank`` of the run in ``out`` keeps its console."""
    return os.path.join(out, protocol.console_file(rank))


def wanted(setting, rank: int) -> bool:
    """Whether this rank keeps a console: ``console=True`` (the default) keeps rank 0's, ``"all"``
    every rank's, ``False`` none; ``TRAINUI_CONSOLE=0`` turns it off whatever the code says."""
    if os.environ.get("TRAINUI_CONSOLE", "").strip().lower() in ("0", "false", "no", "off"):
        return False
    if setting == "all":
        return True
    if setting is True:
        return rank == 0
    if setting is False or setting is None:
        return False
    raise ValueError(f"trainui: console must be True, False or \"all\", not {setting!r}")


def limits(max_bytes, backups) -> tuple[int, int]:
    """The size cap and the number of older copies, checked (a ValueError says what is wrong)."""
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1024:
        raise ValueError(f"trainui: console_max_bytes must be an integer of at least 1024, not {max_bytes!r}")
    if isinstance(backups, bool) or not isinstance(backups, int) or not 0 <= backups <= 100:
        raise ValueError(f"trainui: console_backups must be an integer from 0 to 100, not {backups!r}")
    return max_bytes, backups


class Console:
    """The tee of fds 1 and 2 into ``path``; ``start()`` it, ``close()`` it (idempotent)."""

    def __init__(self, path: str, max_bytes: int = DEFAULT_MAX_BYTES, backups: int = DEFAULT_BACKUPS):
        self.path = path
        self.max_bytes, self.backups = limits(max_bytes, backups)
        self._lock = threading.Lock()  # the file: two readers (stdout, stderr) and close()
        self._file = -1
        self._size = 0
        self._tees: list[tuple[int, int, threading.Thread, tuple]] = []  # (fd, its original, reader, pipe id)
        self._closed = False

    def start(self) -> "Console":
        global _active
        if _active is not None:
            _active.close()
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        self._file = _open_append(self.path)
        self._size = os.fstat(self._file).st_size
        for stream, fd in ((sys.stdout, 1), (sys.stderr, 2)):
            _flush(stream)
            try:
                original = os.dup(fd)
            except OSError:
                continue  # no such fd (a daemon started with it closed): nothing to keep
            read_end, write_end = os.pipe()
            _enlarge(write_end)
            os.set_inheritable(original, False)
            os.dup2(write_end, fd)
            os.close(write_end)
            reader = threading.Thread(target=self._pump, args=(read_end, original), daemon=True,
                                      name=f"trainui-console-{fd}")
            reader.start()
            self._tees.append((fd, original, reader, _identity(fd)))
        _active = self
        atexit.register(self.close)
        return self

    def close(self, epilogue: str | None = None) -> None:
        """Give fds 1 and 2 back, let the readers drain, append ``epilogue`` (a crash's traceback,
        which Python prints only after the run closed) to the file alone, close the file."""
        global _active
        if self._closed:
            return
        self._closed = True
        for stream in (sys.stdout, sys.stderr):
            _flush(stream)
        for fd, original, _, pipe in self._tees:
            if _identity(fd) == pipe:  # else someone (pytest's capture) put their own file there since
                os.dup2(original, fd)  # the pipe's write end goes: its reader sees the end
        for _, _, reader, _ in self._tees:
            reader.join(DRAIN_SECONDS / max(1, len(self._tees)))
        if epilogue:
            self._keep(epilogue.encode("utf-8", "backslashreplace"))
        with self._lock:
            if self._file >= 0:
                os.close(self._file)
                self._file = -1
        for _, original, reader, _ in self._tees:
            if not reader.is_alive():
                os.close(original)  # else a child still writes through it to the terminal
        if _active is self:
            _active = None
        atexit.unregister(self.close)

    def _pump(self, read_end: int, terminal: int) -> None:
        try:
            while True:
                try:
                    data = os.read(read_end, CHUNK)
                except InterruptedError:
                    continue
                if not data:
                    return
                _write_all(terminal, data)
                self._keep(data)
                if len(data) < CHUNK:
                    time.sleep(COALESCE_SECONDS)  # a wake-up per 10 ms at most, not per line
        except OSError:
            return
        finally:
            os.close(read_end)

    def _keep(self, data: bytes) -> None:
        with self._lock:
            if self._file < 0:
                return
            try:
                # what the files can hold at most; a chunk larger than one file (a busy reader reads
                # big ones) fills the files in turn, so the backups hold what came just before
                data = data[-self.max_bytes * (self.backups + 1):]
                while data:
                    if self._size and self._size + min(len(data), self.max_bytes) > self.max_bytes:
                        self._rotate()  # a chunk that fits starts a file whole: its lines stay together
                    piece, data = data[:self.max_bytes - self._size], data[self.max_bytes - self._size:]
                    _write_all(self._file, piece)
                    self._size += len(piece)
            except OSError as error:  # a full disk, the folder gone: the job goes on, the file stops
                if self._file >= 0:
                    os.close(self._file)
                self._file = -1
                _say(f"trainui: warning: the console file stopped ({os.strerror(error.errno or errno.EIO)})\n")

    def _rotate(self) -> None:
        os.close(self._file)
        self._file = -1
        if self.backups == 0:
            os.unlink(self.path)
        else:
            for n in range(self.backups - 1, 0, -1):
                older = f"{self.path}.{n}"
                if os.path.lexists(older):
                    os.replace(older, f"{self.path}.{n + 1}")
            os.replace(self.path, f"{self.path}.1")
        self._file = _open_append(self.path)
        self._size = 0


def _enlarge(fd: int) -> None:
    """A 1 MB pipe: the job never waits on the reader's pauses (F_SETPIPE_SZ; Linux only)."""
    try:
        import fcntl

        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_BYTES)
    except (ImportError, OSError):
        pass


def _identity(fd: int) -> tuple:
    try:
        st = os.fstat(fd)
    except OSError:
        return ()
    return st.st_dev, st.st_ino


def _open_append(path: str) -> int:
    return os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | _NOFOLLOW | _CLOEXEC, 0o644)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            view = view[os.write(fd, view):]
        except InterruptedError:
            continue
        except BlockingIOError:
            import select

            select.select([], [fd], [], 1.0)
        except BrokenPipeError:
            return  # the terminal went away (a closed pager): the file still gets it


def _flush(stream) -> None:
    try:
        if stream is not None:
            stream.flush()
    except (OSError, ValueError, RuntimeError):  # closed, or a signal handler inside a write
        pass


def _say(message: str) -> None:
    console = _active
    fd = console._tees[-1][1] if console is not None and console._tees else 2
    try:
        os.write(fd, message.encode())
    except OSError:
        pass
