"""A job's records as the store holds them, whichever source they came from: the file reader
(ingest/parsers.py) and HTTP uploads (web/api/uploads.py) both turn what a job wrote into these, so
a run shipped over HTTP is stored exactly as the same files read from disk would be.

Each returns the record and the problems found in it, each problem starting with its part's name
("args: ...", "status: ...", "answers: ..."); a value the store cannot hold is replaced (see
values.repaired), never refused: one odd value must not hold up a run's entries.
"""
from __future__ import annotations

from typing import Any

from .. import protocol
from . import values


def args_of(data: Any) -> tuple[dict, list[str]]:
    if not isinstance(data, dict):
        return {}, [f"args must be a JSON object, found {type(data).__name__}"]
    args, problems = values.repaired(data, "args")
    return args, [f"args: {p}" for p in problems]


def status_of(data: Any) -> tuple[protocol.JobStatus, list[str]]:
    """Raises ValueError (or TypeError) naming the field when ``data`` is not a job status."""
    data, problems = values.repaired(data, "status")
    return protocol.JobStatus.from_json(data), [f"status: {p}" for p in problems]


def answer_of(data: Any) -> tuple[protocol.CommandResponse, list[str]]:
    """Raises ValueError when ``data`` is not a command answer."""
    response = protocol.CommandResponse.from_json(data)
    response.body, problems = values.repaired(response.body, "body")
    response.name = values.text(response.name)
    response.uid = values.text(response.uid)
    return response, [f"answers: command {response.uid[:40]}: {p}" for p in problems]


def labels_of(data: Any) -> tuple[dict, list[str]]:
    """A job's labels ({"tags": [...], "notes": "..."}) as far as they hold: a bad tag is left out,
    notes that are not text or too long are left out, each said as a problem; a missing member
    stays absent (the stored one is kept)."""
    if not isinstance(data, dict):
        return {}, [f"labels: must be a JSON object {{\"tags\": [...], \"notes\": \"...\"}}, "
                    f"found {type(data).__name__}"]
    out, problems = {}, []
    if "tags" in data:
        tags = data["tags"]
        if isinstance(tags, list):
            kept = []
            for tag in tags:
                try:
                    kept.append(protocol.check_tag(tag))
                except ValueError as error:
                    problems.append(f"labels: {error}")
            kept = list(dict.fromkeys(kept))
            if len(kept) > protocol.MAX_TAGS:
                problems.append(f"labels: at most {protocol.MAX_TAGS} tags per run ({len(kept)} given; the first "
                                f"{protocol.MAX_TAGS} are kept)")
            out["tags"] = kept[:protocol.MAX_TAGS]
        else:
            problems.append(f"labels: tags must be a list of strings, found {type(tags).__name__}")
    if "notes" in data:
        try:
            out["notes"] = protocol.check_notes("" if data["notes"] is None else data["notes"])
        except ValueError as error:
            problems.append(f"labels: {error}")
    return out, problems
