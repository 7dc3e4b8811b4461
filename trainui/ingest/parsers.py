"""Tolerant readers for the small files of a result directory. They never raise on bad content:
they return what they could read and a message saying what was wrong."""
from __future__ import annotations

import json
import math
import os

from .. import protocol


def numeric(value) -> float | None:
    """The value as a float when it is a number (NaN and infinities kept as floats), else None."""
    kind = type(value)
    if kind is float or kind is int:
        return float(value)
    if kind is bool:
        return float(value)
    return None


def shown_value(value: float) -> float | str:
    """A metric's value for JSON: non-finite numbers become "NaN", "Infinity" or "-Infinity"."""
    if math.isfinite(value):
        return value
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


def json_safe(value):
    """NaN and infinities become None so that the value can be stored in JSON columns and sent."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_safe(v) for v in value]
    return value


def read_args(path: str) -> tuple[dict, str | None]:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return {}, None
    except OSError as error:
        return {}, f"cannot read args: {error.strerror or error}"
    if not data.strip():
        return {}, "args is empty"
    try:
        value = json.loads(data.decode("utf-8", errors="replace"))
    except ValueError as error:
        return {}, f"args is not valid JSON: {error}"
    if not isinstance(value, dict):
        return {}, f"args must be a JSON object, found {type(value).__name__}"
    return json_safe(value), None


def read_status(result_dir: str) -> tuple[protocol.JobStatus | None, str | None]:
    path = os.path.join(result_dir, protocol.STATUS)
    try:
        return protocol.JobStatus.from_json(protocol.read_json(path)), None
    except FileNotFoundError:
        return None, None
    except (OSError, ValueError, TypeError) as error:
        return None, f"cannot read {protocol.STATUS}: {error}"


def read_response(result_dir: str, uid: str) -> protocol.CommandResponse | str | None:
    """The job's answer to a command, None when there is none yet, or a message if it is unreadable."""
    path = protocol.command_outbox_path(result_dir, uid)
    try:
        return protocol.CommandResponse.from_json(protocol.read_json(path))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        return f"unreadable response: {error}"


def list_snapshots(result_dir: str) -> list[tuple[str, int, int, float]]:
    found = []
    try:
        entries = list(os.scandir(result_dir))
    except OSError:
        return found
    for entry in entries:
        match = protocol.SNAPSHOT_PATTERN.match(entry.name)
        if not match:
            continue
        try:
            st = entry.stat()
        except OSError:
            continue
        if entry.is_file():
            found.append((entry.name, int(match.group(1)), st.st_size, st.st_mtime))
    return found


def read_asset_records(result_dir: str, offset: int) -> tuple[list[dict], int]:
    """New complete lines of assets.jsonl after ``offset``; a torn last line waits for next time."""
    path = os.path.join(result_dir, protocol.ASSETS_INDEX)
    try:
        with open(path, "rb") as f:
            if os.fstat(f.fileno()).st_size < offset:
                offset = 0
            f.seek(offset)
            data = f.read()
    except OSError:
        return [], offset
    end = data.rfind(b"\n")
    if end < 0:
        return [], offset
    records = []
    for line in data[:end].splitlines():
        try:
            raw = json.loads(line)
            records.append({"tag": str(raw["tag"])[:255], "step": int(raw["step"]), "path": str(raw["path"]),
                            "kind": str(raw.get("kind", "image"))[:32],
                            "iteration": _int(raw.get("iteration")), "epoch": _int(raw.get("epoch")),
                            "created_at": float(raw.get("created_at") or 0)})
        except (ValueError, KeyError, TypeError):
            continue  # one bad line does not hide the others
    return records, offset + end + 1


def _int(value):
    try:
        return None if value is None or isinstance(value, bool) else int(value)
    except (TypeError, ValueError):
        return None


def read_chainerui_commands(result_dir: str) -> list[dict]:
    """ChainerUI's `commands` file (a JSON array of {id, name, request, response}) as command rows.

    Read only: trainui never writes this file (ChainerUI's server and job both rewrote it, which is
    how commands got lost). Unreadable or malformed content yields what could be read.
    """
    try:
        with open(os.path.join(result_dir, protocol.CHAINERUI_COMMANDS), "rb") as f:
            data = json.loads(f.read().decode("utf-8", errors="replace"))
    except (OSError, ValueError):
        return []
    rows = []
    for item in data if isinstance(data, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue
        request = item.get("request") if isinstance(item.get("request"), dict) else {}
        response = item.get("response") if isinstance(item.get("response"), dict) else {}
        status = str(response.get("status") or "").upper()
        body = request.get("body")
        rows.append({
            "uid": f"chainerui-{item.get('id')}",
            "name": item["name"][:255],
            "body": json_safe(body) if isinstance(body, dict) else {},
            "status": status if status in (protocol.SUCCESS, protocol.FAILURE) else protocol.CANCELLED,
            "response": json_safe(response.get("body")) if isinstance(response.get("body"), dict) else None,
            "iteration": _int(response.get("iteration")),
            "epoch": _int(response.get("epoch")),
        })
    return rows
