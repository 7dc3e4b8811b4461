"""``.trainui/status.json``: what the job is doing, rewritten atomically with a heartbeat.

The server cannot tell a slow job from a dead one without a heartbeat: a RUNNING status whose
``heartbeat_at`` is older than ``HEARTBEAT_TIMEOUT_FACTOR * heartbeat_interval`` is a crash. A
daemon thread refreshes it, so a long iteration (or a job stuck in data loading) still looks
alive, and a SIGKILLed one stops beating. Only rank 0 writes it.
"""
from __future__ import annotations

import os
import socket
import threading
import time
from typing import Callable

from trainui import protocol


class StatusWriter:
    def __init__(
        self,
        out: str,
        world_size: int,
        heartbeat_interval: float = protocol.DEFAULT_HEARTBEAT_INTERVAL,
        snapshot: Callable[[], dict] | None = None,
        on_beat: Callable[[], None] | None = None,
    ):
        """``snapshot`` returns the live fields (iteration, epoch, hyperparams, commands);
        ``on_beat`` runs on every beat (the run flushes a stale log buffer there)."""
        self.path = os.path.join(out, protocol.STATUS)
        self._snapshot = snapshot or (lambda: {})
        self._on_beat = on_beat
        self._stop = threading.Event()
        self._lock = threading.RLock()  # re-entrant: a SIGTERM handler may finish mid-write
        self._final = False
        now = time.time()
        self.status = protocol.JobStatus(
            status=protocol.RUNNING,
            pid=os.getpid(),
            host=socket.gethostname(),
            started_at=now,
            heartbeat_at=now,
            heartbeat_interval=float(heartbeat_interval),
            world_size=int(world_size),
        )
        self.write()
        self._thread = threading.Thread(target=self._beat, name="trainui-heartbeat", daemon=True)
        self._thread.start()

    def write(self) -> None:
        with self._lock:
            if self._final:
                return
            self._write_locked()

    def _write_locked(self) -> None:
        try:
            live = self._snapshot()
        except Exception:  # a racing optimizer change must not kill the heartbeat
            live = {}
        for key, value in live.items():
            setattr(self.status, key, value)
        self.status.heartbeat_at = time.time()
        protocol.atomic_write_json(self.path, self.status.to_json())

    def _beat(self) -> None:
        while not self._stop.wait(self.status.heartbeat_interval):
            try:
                if self._on_beat is not None:
                    self._on_beat()
                self.write()
            except Exception:
                pass  # a full disk for one beat is not a reason to stop beating

    def finish(self, status: str, message: str | None = None, traceback: str | None = None) -> None:
        """Write the final status once; later beats and calls are ignored."""
        self._stop.set()
        with self._lock:
            if self._final:
                return
            self.status.status = status
            self.status.message = message
            self.status.traceback = traceback
            self.status.ended_at = time.time()
            self._write_locked()
            self._final = True
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=2.0)
