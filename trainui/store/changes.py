"""Change notices: "result R changed", "a command of result R was posted", "a command of result R
was answered (or cancelled)", "the projects changed". They say *that* something changed, never what: readers fetch the data themselves, so a
lost or repeated notice costs a query, never correctness.

A writer calls ``publish(session, kind, ...)`` inside its transaction; the notice reaches waiters
in this process when the transaction commits (never for a rollback). On PostgreSQL it also goes out
with ``NOTIFY`` in the same transaction, and ``listen()`` relays other processes' notices here, so
`trainui server --no-ingest` replicas and `trainui ingest` workers wake each other at once. On
SQLite other processes' writes are seen by waiters when their timeout passes (polling).
"""
from __future__ import annotations

import collections
import json
import logging
import os
import select
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import event, text
from sqlalchemy.orm import Session

if TYPE_CHECKING:  # pragma: no cover
    from .database import Database

log = logging.getLogger("trainui.store")

CHANNEL = "trainui_changes"
RESULT, COMMAND, ANSWER, PROJECT = "result", "command", "answer", "project"
# COMMAND wakes what delivers commands; ANSWER only what shows them (delivery closed them itself)
_KEEP = 4096  # notices kept for waiters that fall behind; older ones count as "anything may have changed"
_PENDING = "trainui_notices"


@dataclass(frozen=True)
class Notice:
    kind: str
    result_id: int | None = None
    project_id: int | None = None


class Changes:
    def __init__(self, db: "Database"):
        self._db = db
        self._cond = threading.Condition()
        self._log: collections.deque[tuple[int, Notice]] = collections.deque(maxlen=_KEEP)
        self._seq = 0
        self._origin = f"{os.getpid()}-{id(self)}"
        self._listener: threading.Thread | None = None
        self._closed = threading.Event()

    # writing -------------------------------------------------------------------------------
    def publish(self, session: Session, kind: str, result_id: int | None = None,
                project_id: int | None = None) -> None:
        """Announce a change made in ``session``'s transaction, once it commits."""
        notice = Notice(kind, result_id, project_id)
        pending = session.info.setdefault(_PENDING, [])
        if not pending:
            event.listen(session, "after_commit", self._after_commit, once=True)
            event.listen(session, "after_rollback", _forget, once=True)
        pending.append(notice)
        if self._db.is_postgresql:
            payload = json.dumps([self._origin, kind, result_id, project_id])
            session.execute(text("SELECT pg_notify(:channel, :payload)"), {"channel": CHANNEL, "payload": payload})

    def _after_commit(self, session: Session) -> None:
        self._deliver(session.info.pop(_PENDING, []))

    def _deliver(self, notices: list[Notice]) -> None:
        if not notices:
            return
        with self._cond:
            for notice in notices:
                self._seq += 1
                self._log.append((self._seq, notice))
            self._cond.notify_all()

    # reading -------------------------------------------------------------------------------
    @property
    def cursor(self) -> int:
        with self._cond:
            return self._seq

    def wait(self, cursor: int, timeout: float) -> tuple[int, list[Notice] | None]:
        """Notices after ``cursor``, waiting up to ``timeout`` s for one. Returns the new cursor and
        the notices; None instead of a list means some were dropped (a waiter far behind): treat it
        as "anything may have changed"."""
        with self._cond:
            if self._seq <= cursor and not self._closed.is_set():
                self._cond.wait(timeout)
            if self._seq <= cursor:
                return self._seq, []
            if not self._log or self._log[0][0] > cursor + 1:
                return self._seq, None
            return self._seq, [n for seq, n in self._log if seq > cursor]

    # other processes (PostgreSQL) ------------------------------------------------------------
    def listen(self) -> None:
        """Relay other processes' notices into this one (PostgreSQL only; idempotent)."""
        if not self._db.is_postgresql or self._listener is not None:
            return
        self._listener = threading.Thread(target=self._listen_forever, name="trainui-listen", daemon=True)
        self._listener.start()

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def close(self) -> None:
        self._closed.set()
        with self._cond:
            self._cond.notify_all()

    def _listen_forever(self) -> None:
        while not self._closed.is_set():
            try:
                self._listen_once()
            except Exception as error:  # the database went away: wake everyone, then reconnect
                log.warning("change notices from other processes interrupted (%s); reconnecting", error)
                self._deliver([Notice(PROJECT)])
                self._closed.wait(1.0)

    def _listen_once(self) -> None:
        raw = self._db.engine.raw_connection()
        try:
            connection = raw.driver_connection
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(f"LISTEN {CHANNEL}")
            while not self._closed.is_set():
                if select.select([connection], [], [], 1.0) == ([], [], []):
                    continue
                connection.poll()
                notices = []
                while connection.notifies:
                    notices.extend(self._parse(connection.notifies.pop(0).payload))
                self._deliver(notices)
        finally:
            raw.invalidate()

    def _parse(self, payload: str) -> list[Notice]:
        try:
            origin, kind, result_id, project_id = json.loads(payload)
        except (ValueError, TypeError):
            return []
        return [] if origin == self._origin else [Notice(kind, result_id, project_id)]


def _forget(session: Session) -> None:
    session.info.pop(_PENDING, None)
