"""What a source of results (the file reader today, HTTP uploads next) hands the store: plain data,
no ORM. A source asks where the store stands (``Position``), reads and parses outside any
transaction, and gives one ``ResultBatch`` to ``store.ingest.apply_batch``, which applies it in one
short transaction: compare-and-set on the log position, so each entry is stored once however often
a batch is retried and however many processes read the same result.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .. import protocol


@dataclass(frozen=True)
class LogCursor:
    """Where a file source stands in a log: the byte just past the last entry it consumed, and a
    fingerprint of the bytes before it (tells an appended file from a replaced one)."""

    offset: int = 0
    fingerprint: str = ""


@dataclass
class LogPart:
    """Entries read from a result's log.

    ``first_entry`` is the index of ``entries[0]`` (the store's entry count when the source read).
    A file source also gives the byte cursors it read from and to; the store applies the part only
    if ``start`` is where it stands. An entry-indexed source (``start`` None) may repeat entries the
    store holds: those are skipped, and a part that starts beyond the stored count is a gap.
    """

    entries: list[Any]
    first_entry: int
    start: LogCursor | None = None
    end: LogCursor | None = None
    reset: bool = False  # the log was replaced: drop what is stored, these entries start again at 0
    at_end: bool = True  # False: the source has more to read (the caller schedules another turn)
    error: str | None = None  # why reading stopped before the end of the log, with the byte offset
    # with reset: the iteration a restore rewound the run to (its entries up to there are the same
    # as before the reset: rules have judged them already)
    rewound_to: int | None = None


@dataclass
class AssetsPart:
    """New lines of the assets index between two byte offsets (compare-and-set like the log)."""

    start: int
    end: int
    records: list[dict]


@dataclass
class EventsPart:
    """Entries and images read from a result's TensorBoard event files (written by
    ``SummaryWriter``).

    A directory may hold several event files (a restarted writer starts a new one), each read
    from its own byte offset. ``start`` is the events cursor of the ``Position`` the source read
    from, ``end`` the cursor after this part, both plain JSON:
    ``{"files": {name: [offset, fingerprint]}, "start_time": wall time of the first event}``.
    The store applies the part only if ``start`` equals the cursor it holds, so no event is
    stored twice. Entries are appended after the store's entries (after the log's, in a directory
    that has both).
    """

    entries: list[dict]
    start: dict
    end: dict
    images: list[dict] = field(default_factory=list)  # asset records carrying the image bytes ("data")
    reset: bool = False  # an event file was replaced: drop what is stored, read every file again
    at_end: bool = True  # False: more to read (the caller schedules another turn)
    error: str | None = None  # a damaged record: which file, the byte offset and why


@dataclass
class ResultBatch:
    project_id: int
    path: str  # the result directory, absolute (an HTTP run: the server's folder for its images)
    source: str = "file"  # "file" or "http": a result takes batches from the source it was made by
    read_from: int | None = None  # the result the source's Position named (None: not known then); a batch
    # read from a result deleted since is not filed as a new one (store.deletion)
    missing: bool = False  # the directory or its log is gone: keep what is stored, mark it
    process_gone: bool = False  # the job's process is seen to be gone (it ran on this host)
    log: LogPart | None = None
    events: EventsPart | None = None  # TensorBoard event files, when the directory holds some
    args: dict | None = None  # None: not read this time (unchanged)
    labels: dict | None = None  # the job's checked "tags" and/or "notes" (None: not read this time)
    status: protocol.JobStatus | None = None
    snapshots: list[tuple[str, int, int, float]] | None = None  # (name, iteration, size, mtime); None: not listed
    assets: AssetsPart | None = None
    answers: list[protocol.CommandResponse] = field(default_factory=list)  # an HTTP job's (a file job's: ingest.delivery)
    imported_commands: list[dict] | None = None  # ChainerUI's `commands` history
    problems: list[str] = field(default_factory=list)  # what could not be read (shown as ingest_error)


@dataclass
class Position:
    """What the store holds for a result directory, so a source reads only what is new."""

    result_id: int | None
    log: LogCursor = LogCursor()
    entry_count: int = 0
    assets_offset: int = 0
    events: dict = field(default_factory=dict)  # the event-file cursor (see EventsPart)
    status: str | None = None
    ingest_error: str | None = None
    project_path: str | None = None  # the directory of the project read for (None: it is gone)


@dataclass
class Applied:
    """What ``apply_batch`` did."""

    result_id: int | None
    stale: bool = False  # the log part did not start where the store stands: read again from there
    entry_count: int = 0
    ingest_error: str | None = None
    error_changed: bool = False
    finished: bool = False  # the job is not running (nothing more will be written, normally)
    ended: bool = False  # it stopped running with this batch: its open commands are settled now
    status: str | None = None
    pending: int = 0  # an HTTP run's commands still waiting for the job's answer
