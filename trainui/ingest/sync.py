"""One ingestion turn of one result directory: ask the store where it stands, read what is new
(bounded), let the store apply it. The service runs turns round-robin; ``sync_result`` runs them
back to back, then the result's command delivery (the CLI's `project create`, tests)."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from ..config import INGEST_CHUNK_KB
from ..store import Applied, Database, Store
from .delivery import reconcile
from .reader import read_result

log = logging.getLogger("trainui.ingest")

DEFAULT_CHUNK_BYTES = INGEST_CHUNK_KB * 1024
MAX_STALE_TURNS = 50


@dataclass
class Turn:
    applied: Applied
    more: bool = False  # more of the log to read: give it another turn
    recheck_in: float | None = None  # look again after this many seconds (a torn tail's grace)
    project_path: str | None = None  # of the project it was read for: files linking outside are not read


def ingest_turn(store: Store, project_id: int, result_dir: str, chunk_bytes: int = DEFAULT_CHUNK_BYTES) -> Turn:
    position = store.apply.position(project_id, result_dir)
    if position.project_path is None:  # the project was removed: its results are not read any more
        return Turn(Applied(result_id=None))
    read = read_result(project_id, result_dir, position, chunk_bytes, position.project_path)
    applied = store.apply.batch(read.batch)
    more = applied.stale or any(part is not None and not part.at_end for part in (read.batch.log, read.batch.events))
    if applied.error_changed and applied.ingest_error:
        log.warning("%s: %s", result_dir, applied.ingest_error)  # once per new problem, not every pass
    return Turn(applied, more, read.recheck_in, position.project_path)


def sync_result(db: Database, project_id: int, result_dir: str, chunk_bytes: int = DEFAULT_CHUNK_BYTES) -> int | None:
    """Ingest everything new in ``result_dir`` now, then deliver its commands and record their answers;
    returns its result id (None: no log, unknown)."""
    store, stale = Store(db), 0
    while True:
        turn = ingest_turn(store, project_id, result_dir, chunk_bytes)
        stale = stale + 1 if turn.applied.stale else 0
        if not turn.more or stale > MAX_STALE_TURNS:
            break
    result_id = turn.applied.result_id
    if result_id is not None:
        reconcile(store, result_id, result_dir, turn.project_path)
    return result_id
