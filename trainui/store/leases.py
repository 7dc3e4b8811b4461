"""Which ingestion process reads which result, when several share one PostgreSQL database.

PostgreSQL itself coordinates them: a result is leased with a session-level advisory lock held
on one connection per process. If the process dies, PostgreSQL drops its connection and with it
every lease, and another process takes the results over on its next pass. No lease table, no
clock, nothing to expire by hand. On SQLite one process ingests and every lease is granted.

Correctness never depends on leases (the store applies each log position once); they keep two
processes from reading the same files twice, and spread the results between them.
"""
from __future__ import annotations

import logging
import math
import os
import threading

from sqlalchemy import text

from .database import Database

log = logging.getLogger("trainui.store")

LOCK_SPACE = 0x7472  # the first key of trainui's advisory locks ("tr"); the second is the result id
WORKER_NAME = "trainui-ingest"  # the lease connection's application_name, with the process id after it


class Leases:
    """Always granted: the only ingestion process (SQLite, or a single server)."""

    def acquire(self, result_id: int) -> bool:
        return True

    def release(self, result_id: int) -> None:
        pass

    def held_elsewhere(self) -> set[int]:
        return set()

    def shed_surplus(self) -> list[int]:
        return []

    def release_all_but(self, result_ids: set[int]) -> None:
        """Release the leases of results that are no longer there (deleted)."""

    def close(self) -> None:
        pass


class PostgresLeases(Leases):
    def __init__(self, db: Database):
        self._db = db
        self._connection = None
        self._owned: set[int] = set()
        self._lock = threading.Lock()

    def acquire(self, result_id: int) -> bool:
        with self._lock:
            if result_id in self._owned:
                return True
            if len(self._owned) >= self._fair_share():
                return False
            if self._run("SELECT pg_try_advisory_lock(:space, :id)", id=result_id).scalar():
                self._owned.add(result_id)
                return True
            return False

    def release(self, result_id: int) -> None:
        with self._lock:
            if result_id in self._owned:
                self._owned.discard(result_id)
                try:
                    self._run("SELECT pg_advisory_unlock(:space, :id)", id=result_id)
                except Exception:  # the connection is gone, and the lock with it
                    self._reset()

    def held_elsewhere(self) -> set[int]:
        """Results another process holds now (one query per polling pass)."""
        with self._lock:
            rows = self._run("SELECT objid FROM pg_locks WHERE locktype = 'advisory' AND classid = :space "
                             "AND objsubid = 2 AND granted AND pid <> pg_backend_pid()").all()
            return {int(r[0]) for r in rows} - self._owned

    def shed_surplus(self) -> list[int]:
        """Release the leases beyond this process's fair share (another process started): returns
        them. Safe at any moment: the store applies a log position once, whoever reads it."""
        with self._lock:
            surplus = sorted(self._owned)[self._fair_share():]
        for result_id in surplus:
            self.release(result_id)
        return surplus

    def release_all_but(self, result_ids: set[int]) -> None:
        with self._lock:
            gone = self._owned - result_ids
        for result_id in gone:  # safe at any moment, like shed_surplus: the lease is taken again if needed
            self.release(result_id)

    def close(self) -> None:
        with self._lock:
            self._reset()

    def _fair_share(self) -> int:
        """With n ingestion processes, hold at most about 1/n of the leased results (plus slack),
        so a second process that starts later still gets work."""
        row = self._run("SELECT (SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE :name), "
                        "(SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = :space "
                        "AND objsubid = 2 AND granted)", name=WORKER_NAME + "-%").first()
        workers, leased = max(1, int(row[0])), int(row[1])
        return math.ceil((leased + 1) / workers) + 2

    def _run(self, sql: str, **params):
        if self._connection is None:
            self._connection = self._db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            self._connection.exec_driver_sql(f"SET application_name = '{WORKER_NAME}-{os.getpid()}'")
        try:
            return self._connection.execute(text(sql), {"space": LOCK_SPACE, **params})
        except Exception:
            log.warning("lost the connection that holds this process's leases; they are released")
            self._reset()
            raise

    def _reset(self) -> None:
        """The lease connection is unusable: its leases are gone (PostgreSQL released them)."""
        self._owned.clear()
        if self._connection is not None:
            try:
                self._connection.invalidate()
                self._connection.close()
            except Exception:
                pass
            self._connection = None


def leases_for(db: Database) -> Leases:
    return PostgresLeases(db) if db.is_postgresql else Leases()
