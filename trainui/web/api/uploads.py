"""The type check of an uploaded batch: every field a remote job sends becomes exactly what the
file reader would have read from the same files, or a 400 that says which field is wrong."""
from __future__ import annotations

from ... import protocol
from ...store import records
from ..errors import BadRequest

MAX_ENTRIES = 100_000


def parse_batch(body: dict) -> dict:
    """The batch's parts, and under "problems" what in them the store cannot hold (replaced, and
    shown as the run's ingest error, as the file reader does: a job resends a refused batch, so
    one odd value would hold up the whole run)."""
    unknown = set(body) - {"log", "args", "labels", "status", "snapshots", "answers"}
    if unknown:
        raise BadRequest(f"unknown fields in the batch: {', '.join(sorted(unknown))}")
    out: dict = {"problems": []}
    if body.get("log") is not None:
        out["log"] = _log(body["log"])
    if body.get("args") is not None:
        if not isinstance(body["args"], dict):
            raise BadRequest("'args' must be an object")
        out["args"], found = records.args_of(body["args"])
        out["problems"] += found
    if body.get("labels") is not None:
        out["labels"], found = records.labels_of(body["labels"])
        out["problems"] += found
    if body.get("status") is not None:
        try:
            out["status"], found = records.status_of(body["status"])
        except (ValueError, TypeError) as error:
            raise BadRequest(f"'status': {error}") from None
        out["problems"] += found
    if body.get("snapshots") is not None:
        out["snapshots"] = _snapshots(body["snapshots"])
    if body.get("answers") is not None:
        out["answers"], found = _answers(body["answers"])
        out["problems"] += found
    return out


def _log(log) -> dict:
    if not isinstance(log, dict):
        raise BadRequest("'log' must be an object {\"first_entry\": N, \"entries\": [...]}")
    first, entries = log.get("first_entry"), log.get("entries")
    if type(first) is not int or not 0 <= first <= protocol.INT64_MAX:
        raise BadRequest("'log.first_entry' must be a non-negative integer")
    if not isinstance(entries, list):
        raise BadRequest("'log.entries' must be an array")
    if len(entries) > MAX_ENTRIES:
        raise BadRequest(f"at most {MAX_ENTRIES} entries per batch")
    return {"first_entry": first, "entries": entries}


def _snapshots(snapshots) -> list[tuple[str, int, int, float]]:
    if not isinstance(snapshots, list):
        raise BadRequest("'snapshots' must be an array")
    out = []
    for item in snapshots:
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(name, str) or not protocol.SNAPSHOT_PATTERN.match(name) or len(name) > 1024:
            raise BadRequest("each snapshot needs a 'name' like snapshot_iter_<N>[.pt]")
        iteration, size, mtime = item.get("iteration"), item.get("size", 0), item.get("mtime", 0.0)
        if not protocol.is_int64(iteration) or not protocol.is_int64(size) or not protocol.is_real(mtime):
            raise BadRequest(f"snapshot {name!r}: 'iteration' and 'size' must be integers, 'mtime' a number")
        out.append((name, iteration, size, float(mtime)))
    return out


def _answers(answers) -> tuple[list[protocol.CommandResponse], list[str]]:
    if not isinstance(answers, list):
        raise BadRequest("'answers' must be an array")
    out, problems = [], []
    try:
        for answer in answers:
            response, found = records.answer_of(answer)
            out.append(response)
            problems += found
    except (ValueError, TypeError) as error:
        raise BadRequest(f"'answers': {error}") from None
    return out, problems
