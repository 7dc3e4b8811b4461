"""Tolerant readers for the small files of a result directory. They never raise on bad content:
they return what they could read and a message saying what was wrong, and every value they return
has the type and size the store's columns hold (a job's files may be damaged or foreign)."""
from __future__ import annotations

import json
import os

from .. import protocol


def read_args(path: str) -> tuple[dict | None, str | None]:
    """The args object (None when there is no args file), and what was wrong with it."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return {}, None
    except OSError as error:
        return None, f"cannot read args: {error.strerror or error}"
    if not data.strip():
        return {}, "args is empty"
    try:
        value = json.loads(data.decode("utf-8", errors="replace"))
    except (ValueError, RecursionError) as error:
        return {}, f"args is not valid JSON: {error}"
    if not isinstance(value, dict):
        return {}, f"args must be a JSON object, found {type(value).__name__}"
    return protocol.finite(_without_nul(value)), None


def read_status(result_dir: str) -> tuple[protocol.JobStatus | None, str | None]:
    path = os.path.join(result_dir, protocol.STATUS)
    try:
        return protocol.JobStatus.from_json(protocol.read_json(path)), None
    except FileNotFoundError:
        return None, None
    except (OSError, ValueError, TypeError, RecursionError) as error:
        return None, f"cannot read {protocol.STATUS}: {error}"


def read_response(result_dir: str, uid: str) -> protocol.CommandResponse | str | None:
    """The job's answer to a command, None when there is none yet, or a message if it is unreadable."""
    path = protocol.command_outbox_path(result_dir, uid)
    try:
        response = protocol.CommandResponse.from_json(protocol.read_json(path))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, RecursionError) as error:
        return f"unreadable answer to command {uid}: {error}"
    response.uid = uid  # the file name is the identity the server waits on
    response.body = _without_nul(response.body)
    return response


def is_delivered(result_dir: str, uid: str) -> bool:
    return os.path.exists(protocol.command_inbox_path(result_dir, uid))


def list_snapshots(result_dir: str) -> list[tuple[str, int, int, float]] | None:
    """(name, iteration, size, mtime) of each snapshot file; None when the folder cannot be listed."""
    try:
        entries = list(os.scandir(result_dir))
    except OSError:
        return None
    found = []
    for entry in entries:
        match = protocol.SNAPSHOT_PATTERN.match(entry.name)
        if not match or len(match.group(1)) > 18:  # an iteration beyond a 64-bit column is not ours
            continue
        try:
            if entry.is_file():
                st = entry.stat()
                found.append((entry.name, int(match.group(1)), st.st_size, st.st_mtime))
        except OSError:
            continue
    return found


def read_asset_records(result_dir: str, offset: int) -> tuple[list[dict], int, int, str | None]:
    """New complete lines of assets.jsonl after ``offset``: (records, start, end, problem). The start
    is 0 when the file was replaced (shorter than the offset); a torn last line waits for next time."""
    path = os.path.join(result_dir, protocol.ASSETS_INDEX)
    try:
        with open(path, "rb") as f:
            if os.fstat(f.fileno()).st_size < offset:
                offset = 0
            f.seek(offset)
            data = f.read()
    except FileNotFoundError:
        return [], offset, offset, None
    except OSError as error:
        return [], offset, offset, f"cannot read {protocol.ASSETS_INDEX}: {error.strerror or error}"
    end = data.rfind(b"\n")
    if end < 0:
        return [], offset, offset, None
    records, bad = [], 0
    for line in data[:end].splitlines():
        if not line.strip():
            continue
        try:
            records.append(protocol.AssetRecord.from_json(json.loads(line)).to_json())
        except (ValueError, RecursionError):
            bad += 1  # one bad line does not hide the others
    problem = f"{bad} unreadable line{'s' if bad != 1 else ''} in {protocol.ASSETS_INDEX}" if bad else None
    return records, offset, offset + end + 1, problem


def read_chainerui_commands(result_dir: str) -> list[dict] | None:
    """ChainerUI's `commands` file (a JSON array of {id, name, request, response}) as command rows;
    None when there is no such file.

    Read only: trainui never writes this file (ChainerUI's server and job both rewrote it, which is
    how commands got lost). Unreadable or malformed content yields what could be read.
    """
    try:
        with open(os.path.join(result_dir, protocol.CHAINERUI_COMMANDS), "rb") as f:
            data = json.loads(f.read().decode("utf-8", errors="replace"))
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
            "uid": f"chainerui-{str(item.get('id'))[:40]}".replace("\x00", ""),
            "name": item["name"].replace("\x00", "")[:255],
            "body": protocol.finite(_without_nul(body)) if isinstance(body, dict) else {},
            "status": status if status in (protocol.SUCCESS, protocol.FAILURE) else protocol.CANCELLED,
            "response": protocol.finite(_without_nul(reply)) if isinstance(reply, dict) else None,
            "iteration": protocol.int64_or_none(response.get("iteration")),
            "epoch": protocol.int64_or_none(response.get("epoch")),
        })
    return rows


def _without_nul(value):
    """NUL characters removed from every string (PostgreSQL cannot store them)."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_without_nul(str(k)): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    return value
