"""Tolerant readers for the small files of a result directory. They never raise on bad content:
they return what they could read and a message saying what was wrong, and every value they return
has the type and size the store's columns hold (a job's files may be damaged or foreign)."""
from __future__ import annotations

import json
import os

from .. import protocol
from ..protocol.safe_io import UnsafeFile, open_regular, read_capped
from ..store import records, values

# What is read of a result directory's small files, at most (documented in the README): a file
# larger than this is reported, never read whole into memory on every pass.
MAX_ARGS_BYTES = 4 * 1024 * 1024
MAX_STATUS_BYTES = 1024 * 1024
MAX_ANSWER_BYTES = 1024 * 1024
MAX_CHAINERUI_COMMANDS_BYTES = 4 * 1024 * 1024
ASSETS_READ_BYTES = 4 * 1024 * 1024  # of the asset index per turn; the rest comes next turn
MAX_ASSET_LINE_BYTES = 64 * 1024


def read_args(path: str, root: str | None = None) -> tuple[dict | None, list[str]]:
    """The args object ({} when there is no args file; None when it cannot be read now, so what
    is stored stays), and what was wrong with it."""
    try:
        data = read_capped(path, MAX_ARGS_BYTES, root)
    except FileNotFoundError:
        return {}, []
    except OSError as error:
        return None, [f"cannot read args: {_reason(error)}"]
    if not data.strip():
        return {}, ["args is empty"]
    try:
        value = json.loads(data.decode("utf-8", errors="replace"))
    except (ValueError, RecursionError) as error:
        return {}, [f"args is not valid JSON: {_reason(error)}"]
    return records.args_of(value)


def read_labels(result_dir: str, root: str | None = None) -> tuple[dict, list[str]]:
    """The job's tags and notes (.trainui/labels.json; {} when there is none or it is unreadable)."""
    path = os.path.join(result_dir, protocol.LABELS)
    try:
        data = _small_json(path, protocol.LABELS_MAX_BYTES, root)
    except FileNotFoundError:
        return {}, []
    except (OSError, ValueError, RecursionError) as error:
        return {}, [f"labels: cannot read {protocol.LABELS}: {_reason(error)}"]
    return records.labels_of(data)


def read_status(result_dir: str, root: str | None = None) -> tuple[protocol.JobStatus | None, list[str]]:
    path = os.path.join(result_dir, protocol.STATUS)
    try:
        data = _small_json(path, MAX_STATUS_BYTES, root)
    except FileNotFoundError:
        return None, []
    except (OSError, ValueError, RecursionError) as error:
        return None, [f"cannot read {protocol.STATUS}: {_reason(error)}"]
    try:
        return records.status_of(data)
    except (ValueError, TypeError) as error:
        return None, [f"cannot read {protocol.STATUS}: {error}"]


def read_response(result_dir: str, uid: str, root: str | None = None
                  ) -> tuple[protocol.CommandResponse | None, list[str]]:
    """The job's answer to a command (None when there is none yet, or it is unreadable), and the
    problems found in it."""
    path = protocol.command_outbox_path(result_dir, uid)
    try:
        response, problems = records.answer_of(_small_json(path, MAX_ANSWER_BYTES, root))
    except FileNotFoundError:
        return None, []
    except (OSError, ValueError, RecursionError) as error:
        return None, [f"unreadable answer to command {uid}: {_reason(error)}"]
    response.uid = uid  # the file name is the identity the server waits on
    return response, problems


def is_delivered(result_dir: str, uid: str) -> bool:
    return os.path.exists(protocol.command_inbox_path(result_dir, uid))


def read_asset_records(result_dir: str, offset: int, root: str | None = None) -> tuple[list[dict], int, int, str | None]:
    """New complete lines of assets.jsonl after ``offset``, at most ``ASSETS_READ_BYTES`` of them:
    (records, start, end, problem). The start is 0 when the file was replaced (shorter than the
    offset); a torn last line waits for next time; a line longer than ``MAX_ASSET_LINE_BYTES`` is
    skipped and reported."""
    path = os.path.join(result_dir, protocol.ASSETS_INDEX)
    try:
        with open_regular(path, root) as f:
            if os.fstat(f.fileno()).st_size < offset:
                offset = 0
            f.seek(offset)
            data = f.read(ASSETS_READ_BYTES)
    except FileNotFoundError:
        return [], offset, offset, None
    except OSError as error:
        return [], offset, offset, f"cannot read {protocol.ASSETS_INDEX}: {_reason(error)}"
    end = data.rfind(b"\n")
    if end < 0:
        if len(data) < ASSETS_READ_BYTES:
            return [], offset, offset, None
        end = len(data) - 1  # one line larger than a whole read: skip what was read of it
    records, bad = [], 0
    for line in data[:end].splitlines():
        if not line.strip():
            continue
        try:
            if len(line) > MAX_ASSET_LINE_BYTES:
                raise ValueError("line too long")
            record = protocol.AssetRecord.from_json(json.loads(line))
            fixed, problems = values.repaired(record.to_json(), "asset")
            if problems:
                raise ValueError(problems[0])
            records.append(fixed)
        except (ValueError, RecursionError):
            bad += 1  # one bad line does not hide the others
    problem = f"{bad} unreadable line{'s' if bad != 1 else ''} in {protocol.ASSETS_INDEX}" if bad else None
    return records, offset, offset + end + 1, problem


def read_chainerui_commands(result_dir: str, root: str | None = None) -> list[dict] | None:
    """ChainerUI's `commands` file (a JSON array of {id, name, request, response}) as command rows;
    None when there is no such file.

    Read only: trainui never writes this file (ChainerUI's server and job both rewrote it, which is
    how commands got lost). Unreadable or malformed content yields what could be read.
    """
    try:
        data = json.loads(read_capped(os.path.join(result_dir, protocol.CHAINERUI_COMMANDS),
                                      MAX_CHAINERUI_COMMANDS_BYTES, root).decode("utf-8", errors="replace"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, RecursionError):
        return []
    rows = []
    for item in data if isinstance(data, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"].strip():
            continue
        request = item.get("request") if isinstance(item.get("request"), dict) else {}
        response = item.get("response") if isinstance(item.get("response"), dict) else {}
        status = str(response.get("status") or "").upper()
        body = request.get("body")
        reply = response.get("body")
        rows.append({
            "uid": values.text(f"chainerui-{str(item.get('id'))[:40]}"),
            "name": values.text(item["name"])[:255],
            "body": values.repaired(body, "body")[0] if isinstance(body, dict) else {},
            "status": status if status in (protocol.SUCCESS, protocol.FAILURE) else protocol.CANCELLED,
            "response": values.repaired(reply, "response")[0] if isinstance(reply, dict) else None,
            "iteration": protocol.int64_or_none(response.get("iteration")),
            "epoch": protocol.int64_or_none(response.get("epoch")),
        })
    return rows


def _small_json(path: str, limit: int, root: str | None):
    return json.loads(read_capped(path, limit, root).decode("utf-8"))


def _reason(error: Exception) -> str:
    if isinstance(error, UnsafeFile):
        return str(error)
    if isinstance(error, RecursionError):
        return "nested too deeply"
    if isinstance(error, OSError):
        return error.strerror or str(error)
    return str(error)
