"""The files a training job and the trainui server exchange, and how they are written.

Both sides import this module and nothing else of each other, so it uses only the standard
library. Every file has exactly one writer; a file a reader may see half-written is either
replaced atomically (write a temporary file, then ``os.replace``) or append-only with a reader
that tolerates a torn tail. No file locks: this must hold on a shared network file system.

Layout of a result directory (``<project>/<result>/``)::

    log                         JSON array of flat report objects (Chainer LogReport format);
                                appended in place by the trainer, rewritten whole by Chainer
    args                        JSON object: the run's hyperparameters
    snapshot_iter_<N>[.<ext>]   snapshots (Chainer's name; trainui adds ``.pt``)
    commands                    ChainerUI's command file; read only, never written by trainui
    assets/<tag>/<step>.png     images recorded by the job
    .trainui/status.json        job status + heartbeat (writer: the job's rank 0)
    .trainui/labels.json        the tags and notes given to ``trainui.Run`` (writer: the job's rank 0)
    .trainui/assets.jsonl       one AssetRecord per line, append-only (writer: the job)
    .trainui/commands/inbox/<uid>.json    one CommandRecord each (writer: the server)
    .trainui/commands/outbox/<uid>.json   one CommandResponse each (writer: the job)
    .trainui/ranks/rank<k>.jsonl          each rank's own record of applied commands
    .trainui/console.log[.1]    rank 0's stdout and stderr, size-capped and rotated (writer: the job);
                                ``console.rank<k>.log`` rank k's, when every rank keeps one
"""
from __future__ import annotations

import functools
import json
import math
import os
import re
import tempfile
import time
from dataclasses import asdict, dataclass, field
from typing import Any, BinaryIO, Callable

LOG = "log"
ARGS = "args"
CHAINERUI_COMMANDS = "commands"
META_DIR = ".trainui"
STATUS = os.path.join(META_DIR, "status.json")
# a restore's record (trainer/restore.py): one JSON line per rewind, its "to_iteration" the snapshot's
REWINDS_LOG = os.path.join(META_DIR, "rewinds.jsonl")
ASSETS_INDEX = os.path.join(META_DIR, "assets.jsonl")
ASSETS_DIR = "assets"
COMMANDS_INBOX = os.path.join(META_DIR, "commands", "inbox")
COMMANDS_OUTBOX = os.path.join(META_DIR, "commands", "outbox")
RANKS_DIR = os.path.join(META_DIR, "ranks")
CONSOLE = os.path.join(META_DIR, "console.log")  # rank 0's stdout + stderr; rank N's: console_file(N)
LABELS = os.path.join(META_DIR, "labels.json")  # {"tags": [...], "notes": "..."}: seeds the run's labels
SNAPSHOT_PATTERN = re.compile(r"^snapshot_iter_(\d+)(\.[A-Za-z0-9_.]+)?$")

# Job statuses. RUNNING is what the job writes while alive; the server turns a RUNNING job
# whose heartbeat is older than HEARTBEAT_TIMEOUT_FACTOR * heartbeat_interval into CRASHED.
RUNNING, FINISHED, CRASHED, STOPPED = "running", "finished", "crashed", "stopped"
JOB_STATUSES = (RUNNING, FINISHED, CRASHED, STOPPED)
DEFAULT_HEARTBEAT_INTERVAL = 2.0
HEARTBEAT_TIMEOUT_FACTOR = 3.0
MAX_RESUMES = 100  # resumes a job status remembers (the newest)
TRACEBACK_LIMIT = 20_000  # characters of a crash's traceback kept in the status (its tail: the raising frame)

# Command statuses: PENDING in the database and the inbox until the job answers.
PENDING, SUCCESS, FAILURE, CANCELLED = "PENDING", "SUCCESS", "FAILURE", "CANCELLED"
COMMAND_STATUSES = (PENDING, SUCCESS, FAILURE, CANCELLED)
BUILTIN_COMMANDS = ("take_snapshot", "adjust_hyperparams", "stop")
SCHEDULE_KEYS = ("iteration", "epoch")


def snapshot_name(iteration: int, ext: str = ".pt") -> str:
    return f"snapshot_iter_{int(iteration)}{ext}"


def list_snapshots(result_dir: str) -> list[tuple[str, int, int, float]] | None:
    """(name, iteration, size, mtime) of each snapshot file, sorted by name; None when the folder
    cannot be listed. One rule for the server's reader and a remote job's uploader alike."""
    try:
        entries = list(os.scandir(result_dir))
    except OSError:
        return None
    found = []
    for entry in entries:
        match = SNAPSHOT_PATTERN.match(entry.name)
        if not match or len(match.group(1)) > 18:  # an iteration beyond a 64-bit column is not ours
            continue
        try:
            if entry.is_file():
                st = entry.stat()
                found.append((entry.name, int(match.group(1)), st.st_size, st.st_mtime))
        except OSError:
            continue
    return sorted(found)


def rank_record_path(rank: int) -> str:
    return os.path.join(RANKS_DIR, f"rank{int(rank)}.jsonl")


def console_file(rank: int = 0) -> str:
    """A rank's console file, relative to the result directory."""
    return CONSOLE if int(rank) == 0 else os.path.join(META_DIR, f"console.rank{int(rank)}.log")


@dataclass
class CommandRecord:
    """A command as delivered to a job (server -> job)."""

    uid: str
    name: str
    body: dict = field(default_factory=dict)
    schedule: dict | None = None  # {"key": "iteration"|"epoch", "value": int}
    created_at: float = field(default_factory=time.time)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> "CommandRecord":
        """Raise ValueError with a readable message when ``data`` is not a command record."""
        if not isinstance(data, dict):
            raise ValueError("command record is not a JSON object")
        uid, name = data.get("uid"), data.get("name")
        if not isinstance(uid, str) or not uid:
            raise ValueError("command record has no 'uid'")
        if not isinstance(name, str) or not name:
            raise ValueError("command record has no 'name'")
        body = data.get("body") or {}
        if not isinstance(body, dict):
            raise ValueError(f"command body must be an object, got {type(body).__name__}")
        schedule = data.get("schedule")
        if schedule is not None:
            schedule = validate_schedule(schedule)
        created_at = data.get("created_at")
        if not isinstance(created_at, (int, float)):
            created_at = 0.0
        return cls(uid=uid, name=name, body=body, schedule=schedule, created_at=float(created_at))


def validate_schedule(schedule: Any) -> dict:
    if not isinstance(schedule, dict):
        raise ValueError("schedule must be an object {\"key\": \"iteration\"|\"epoch\", \"value\": N}")
    key, value = schedule.get("key"), schedule.get("value")
    if key not in SCHEDULE_KEYS:
        raise ValueError(f"schedule key must be one of {', '.join(SCHEDULE_KEYS)}")
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError("schedule value must be a non-negative integer")
    return {"key": key, "value": value}


@dataclass
class CommandResponse:
    """The one answer a job writes for a command (job -> server)."""

    uid: str
    name: str
    status: str  # SUCCESS or FAILURE
    iteration: int | None = None
    epoch: int | None = None
    body: dict = field(default_factory=dict)
    ranks: int = 1
    applied_at: float = field(default_factory=time.time)
    elapsed_time: float | None = None  # the run's elapsed_time when it was applied (its place on a time axis)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> "CommandResponse":
        if not isinstance(data, dict) or not isinstance(data.get("uid"), str):
            raise ValueError("command response is not an object with a 'uid'")
        status = data.get("status")
        if status not in (SUCCESS, FAILURE):
            raise ValueError(f"command response status must be SUCCESS or FAILURE, got {status!r}")
        body = data.get("body")
        ranks = int64_or_none(data.get("ranks"))
        applied_at = data.get("applied_at")
        return cls(
            uid=data["uid"],
            name=_text(str(data.get("name", "")), 255),
            status=status,
            iteration=int64_or_none(data.get("iteration")),
            epoch=int64_or_none(data.get("epoch")),
            body=finite(body if isinstance(body, dict) else {"value": body}),
            ranks=1 if ranks is None else max(0, min(ranks, 2**31 - 1)),
            applied_at=float(applied_at) if is_real(applied_at) else time.time(),
            elapsed_time=_finite_or_none(data.get("elapsed_time")),
        )


@dataclass
class JobStatus:
    """What ``.trainui/status.json`` holds; rewritten atomically by the job's rank 0."""

    status: str = RUNNING
    pid: int = 0
    host: str = ""
    started_at: float = 0.0
    heartbeat_at: float = 0.0
    heartbeat_interval: float = DEFAULT_HEARTBEAT_INTERVAL
    ended_at: float | None = None
    world_size: int = 1
    iteration: int | None = None
    epoch: int | None = None
    message: str | None = None
    traceback: str | None = None  # a crash's traceback, its last TRACEBACK_LIMIT characters
    commands: list = field(default_factory=lambda: list(BUILTIN_COMMANDS))
    hyperparams: list = field(default_factory=list)  # one dict per optimizer param group
    # one dict per time this run was resumed by a later process (see trainer/run.py): at, iteration,
    # epoch, elapsed_time, after (the status it had), previous_iteration; the newest MAX_RESUMES kept
    resumes: list = field(default_factory=list)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> "JobStatus":
        """Type-checked: a damaged or foreign status file raises ValueError naming the bad field,
        so a reader reports it instead of failing later on a string where a number belongs."""
        if not isinstance(data, dict):
            raise ValueError("status is not a JSON object")
        status = data.get("status")
        if status not in JOB_STATUSES:
            raise ValueError(f"unknown job status {status!r}")
        return cls(
            status=status,
            pid=_field(data, "pid", is_int64, 0),
            host=_field(data, "host", lambda v: isinstance(v, str) and len(v) <= 255, ""),
            started_at=float(_field(data, "started_at", is_real, 0.0)),
            heartbeat_at=float(_field(data, "heartbeat_at", is_real, 0.0)),
            heartbeat_interval=float(_field(data, "heartbeat_interval", lambda v: is_real(v) and 0 < v <= 86400,
                                            DEFAULT_HEARTBEAT_INTERVAL)),
            ended_at=_field(data, "ended_at", lambda v: v is None or is_real(v), None),
            world_size=_field(data, "world_size", lambda v: is_int64(v) and v >= 1, 1),
            iteration=_field(data, "iteration", lambda v: v is None or is_int64(v), None),
            epoch=_field(data, "epoch", lambda v: v is None or is_int64(v), None),
            message=_text(_field(data, "message", lambda v: v is None or isinstance(v, str), None), 2000),
            traceback=_text(_field(data, "traceback", lambda v: v is None or isinstance(v, str), None), TRACEBACK_LIMIT),
            commands=_field(data, "commands", lambda v: isinstance(v, list) and all(
                isinstance(c, str) and 0 < len(c) <= 255 for c in v), list(BUILTIN_COMMANDS)),
            hyperparams=_field(data, "hyperparams", lambda v: isinstance(v, list) and all(
                isinstance(g, dict) for g in v), []),
            resumes=[r for r in _field(data, "resumes", lambda v: isinstance(v, list), [])
                     if isinstance(r, dict)][-MAX_RESUMES:],
        )


@dataclass
class AssetRecord:
    """One line of ``.trainui/assets.jsonl``: a file the job recorded, by tag and step."""

    tag: str
    step: int
    path: str  # relative to the result directory
    kind: str = "image"
    iteration: int | None = None
    epoch: int | None = None
    created_at: float = field(default_factory=time.time)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> "AssetRecord":
        """Type-checked like ``JobStatus.from_json``; the path is checked against the result
        directory where a file is served, not here."""
        if not isinstance(data, dict):
            raise ValueError("asset record is not a JSON object")
        tag = _field(data, "tag", lambda v: isinstance(v, str) and v and "\x00" not in v, None)
        path = _field(data, "path", lambda v: isinstance(v, str) and v and "\x00" not in v and len(v) <= 4096, None)
        step = _field(data, "step", is_int64, None)
        if tag is None or path is None or step is None:
            raise ValueError("asset record needs 'tag', 'step' and 'path'")
        created_at = _field(data, "created_at", lambda v: v is None or is_real(v), None)
        return cls(tag=tag[:255], step=step, path=path,
                   kind=_text(_field(data, "kind", lambda v: isinstance(v, str), "image"), 32) or "image",
                   iteration=int64_or_none(data.get("iteration")), epoch=int64_or_none(data.get("epoch")),
                   created_at=float(created_at or 0.0))


def asset_path(tag: str, step: int, ext: str = ".png") -> str:
    safe_tag = re.sub(r"[^A-Za-z0-9_.-]+", "_", tag).strip("._") or "asset"
    return os.path.join(ASSETS_DIR, safe_tag, f"{int(step)}{ext}")


def atomic_write(path: str, write: Callable[[BinaryIO], Any]) -> None:
    """Call ``write(file)`` on a temporary file, then move it over ``path``: readers see either the
    old file or the whole new one, never a half-written one."""
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=directory)
    try:
        os.fchmod(fd, new_file_mode())
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


@functools.lru_cache(maxsize=1)
def new_file_mode() -> int:
    """The mode ``open()`` gives a new file: 0o666 less the umask. A temporary file is made 0600,
    which would keep a job's ``log`` and ``args`` from a colleague (or a server running as another
    user) whom the umask means to let read them. Read once per process."""
    try:
        with open("/proc/self/status", "rb") as f:
            for line in f:
                if line.startswith(b"Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    umask = os.umask(0o022)  # elsewhere: read it by setting it, and put it back at once
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write_bytes(path: str, data: bytes) -> None:
    atomic_write(path, lambda f: f.write(data))


def atomic_write_json(path: str, obj: Any) -> None:
    atomic_write_bytes(path, dumps(obj).encode("utf-8"))


def dumps(obj: Any) -> str:
    """JSON text with NaN and infinities written as null, so every reader can parse it."""
    return json.dumps(finite(obj), separators=(",", ":"), ensure_ascii=False)


def read_json(path: str) -> Any:
    """Parse a small JSON file. Raises OSError or ValueError; callers decide how to warn."""
    with open(path, "rb") as f:
        return json.loads(f.read().decode("utf-8"))


NONFINITE_SPELLING = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def spell_nonfinite(value: float) -> str:
    """How a log and the API write a number JSON has no literal for: "NaN", "Infinity", "-Infinity"."""
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


def dumps_entry(entry: dict) -> str:
    """A log entry as strict JSON, its NaN and infinities spelled as strings (``NONFINITE_SPELLING``):
    every reader parses it, and trainui's reads them back as the numbers they were."""
    return json.dumps({str(k): spell_nonfinite(v) if isinstance(v, float) and not math.isfinite(v) else finite(v)
                       for k, v in entry.items()}, separators=(",", ":"), ensure_ascii=False)


def finite(obj: Any) -> Any:
    """``obj`` with NaN and infinities replaced by None (at any depth), as JSON can carry it."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite(v) for v in obj]
    return obj


INT64_MAX = 2**63 - 1


def is_int64(value: Any) -> bool:
    """An integer that fits the 64-bit columns it is stored in (bool is not an integer here)."""
    return type(value) is int and -INT64_MAX <= value <= INT64_MAX


def is_real(value: Any) -> bool:
    return (type(value) is float and math.isfinite(value)) or is_int64(value)


def _field(data: dict, name: str, valid: Callable[[Any], bool], default: Any) -> Any:
    if name not in data:
        return default
    if not valid(data[name]):
        raise ValueError(f"{name!r} has an unusable value {str(data[name])[:80]!r}")
    return data[name]


def _text(value: str | None, limit: int) -> str | None:
    return None if value is None else value.replace("\x00", "")[:limit]


def value_text(value: Any) -> str:
    """A hyperparameter value as messages and event summaries write it: 0.01, [0.9, 0.999]."""
    if isinstance(value, list):
        return "[" + ", ".join(value_text(v) for v in value) + "]"
    if isinstance(value, float):
        return f"{value:.6g}"
    return repr(value)


def _finite_or_none(value: Any) -> float | None:
    return float(value) if is_real(value) and math.isfinite(value) else None


def int64_or_none(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if -INT64_MAX <= number <= INT64_MAX else None


def command_inbox_path(result_dir: str, uid: str) -> str:
    return os.path.join(result_dir, COMMANDS_INBOX, f"{uid}.json")


def command_outbox_path(result_dir: str, uid: str) -> str:
    return os.path.join(result_dir, COMMANDS_OUTBOX, f"{uid}.json")


def deliver_command(result_dir: str, record: CommandRecord) -> None:
    """The server's one write into a job's directory: the command, atomically, under its uid,
    through no symbolic link below ``result_dir`` (a job could point its inbox anywhere)."""
    from .safe_io import write_inside

    write_inside(result_dir, os.path.join(COMMANDS_INBOX, f"{record.uid}.json"), dumps(record.to_json()).encode("utf-8"))


# A run's labels: tags (short words, shown as chips, filtered by `tag=NAME`) and notes (markdown).
# Both sides check them with these rules: the trainer before it writes them, the server on every
# edit and when it reads a job's file.
MAX_TAGS = 32
MAX_TAG_LENGTH = 64
TAG_PATTERN = re.compile(r"^[A-Za-z0-9_.:/+@-]{1,64}$")  # no spaces or query operators (= ~ < >)
MAX_NOTES_CHARS = 65_536
LABELS_MAX_BYTES = 512 * 1024  # a labels file larger than this is refused unread


def check_tag(tag: Any) -> str:
    """``tag`` if it is one, else ValueError saying what a tag may hold."""
    if not isinstance(tag, str) or not TAG_PATTERN.match(tag):
        shown = repr(tag)[:80]
        raise ValueError(f"tag {shown} is not a tag: 1 to {MAX_TAG_LENGTH} characters among letters, digits "
                         f"and _ . : / + @ -")
    return tag


def check_tags(tags: Any) -> list[str]:
    """The tags in their order, each once, else ValueError (not a list, a bad tag, too many)."""
    if not isinstance(tags, (list, tuple)):
        raise ValueError(f"tags must be a list of strings, not {type(tags).__name__}")
    unique = list(dict.fromkeys(check_tag(tag) for tag in tags))
    if len(unique) > MAX_TAGS:
        raise ValueError(f"at most {MAX_TAGS} tags per run ({len(unique)} given)")
    return unique


def check_notes(notes: Any) -> str:
    """``notes`` if it is text of at most MAX_NOTES_CHARS characters without NUL, else ValueError."""
    if not isinstance(notes, str):
        raise ValueError(f"notes must be a string, not {type(notes).__name__}")
    if len(notes) > MAX_NOTES_CHARS:
        raise ValueError(f"notes hold at most {MAX_NOTES_CHARS:,} characters ({len(notes):,} given)")
    if "\x00" in notes:
        raise ValueError("notes must not contain NUL characters")
    return notes
