"""Runs shipped over HTTP by a remote job's uploader: thin handlers (size check, type check, the
same batch type and store call as the file reader). See the OpenAPI document for the shapes."""
from __future__ import annotations

import threading
import time

from flask import current_app, g, request

from ... import protocol
from ...store import COMMAND, Conflict
from ..auth import may_touch_project
from ..errors import BadRequest, Forbidden
from ..responses import json_response
from . import api
from .params import float_arg, int_arg, json_body, store
from .uploads import parse_batch

MAX_WAIT = 30.0
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
AS_FILES = ("log", "args", "labels", "status", "answers")  # a batch's copies of the job's files: read as files are


def long_poll_slots(threads: int) -> threading.BoundedSemaphore:
    """Each waiting long poll holds a server thread: at most a quarter of them wait at a time."""
    return threading.BoundedSemaphore(max(1, threads // 4))


@api.post("/runs")
def create_run():
    body = json_body()
    principal = g.principal
    if principal.role == "job":
        own = store().projects.get(principal.project_id)["name"]
        if body.get("project") != own:
            raise Forbidden("a job token creates runs in its own project only")
    for field in ("name", "host", "path"):
        if body.get(field) is not None and not isinstance(body[field], str):
            raise BadRequest(f"'{field}' must be a string")
    result, created = store().runs.open(body.get("project"), body.get("run_uid"), body.get("name"),
                                        body.get("host") or "", body.get("path") or "",
                                        create_project=principal.role != "job")
    return json_response({"result": result}, 201 if created else 200)


@api.post("/results/<id:result_id>/batches")
def post_batch(result_id: int):
    _run_for_upload(result_id)  # (the body's size is checked before: web.limits)
    # a batch the document forbids is a 400, as every refused batch has always been (uploads.py)
    outcome = store().runs.upload(result_id, parse_batch(json_body(AS_FILES, BadRequest)))
    if outcome["gap"]:
        return json_response({"error": "gap", "entry_count": outcome["entry_count"],
                              "message": f"the server holds {outcome['entry_count']} entries of this run: "
                                         "send the entries from that index on"}, 409)
    return json_response({"entry_count": outcome["entry_count"], "status": outcome["status"],
                          "pending": outcome["pending"]})


@api.post("/results/<id:result_id>/assets")
def post_asset(result_id: int):
    _run_for_upload(result_id)
    tag = request.args.get("tag") or ""
    step = int_arg("step", None, 0, protocol.INT64_MAX)
    if not tag.strip() or step is None:
        raise BadRequest("'tag' and 'step' are required query parameters")
    data = request.get_data(cache=False)
    if not data.startswith(PNG_MAGIC):
        raise BadRequest("the body must be a PNG image")
    record = protocol.AssetRecord(tag=tag[:255], step=step, path=protocol.asset_path(tag, step),
                                  iteration=int_arg("iteration", None, -protocol.INT64_MAX, protocol.INT64_MAX),
                                  epoch=int_arg("epoch", None, -protocol.INT64_MAX, protocol.INT64_MAX),
                                  created_at=time.time()).to_json()
    asset = store().files.add_uploaded_asset(result_id, record, data)
    return json_response({"asset": asset}, 201)


@api.get("/results/<id:result_id>/commands/pending")
def pending_commands(result_id: int):
    """Long poll: the run's PENDING commands as soon as there are any, or none after ``wait`` s.
    When too many polls wait already, the answer comes at once with ``retry_after``."""
    _run_for_upload(result_id)
    wait = min(MAX_WAIT, max(0.0, float_arg("wait") or 0.0))
    changes = store().changes
    cursor = changes.cursor
    records = store().runs.pending(result_id)
    if records or wait == 0:
        return json_response({"commands": records})
    slots = current_app.extensions["trainui.long_polls"]
    if not slots.acquire(blocking=False):
        return json_response({"commands": [], "retry_after": 1.0})
    try:
        deadline = time.monotonic() + wait
        asked_at = time.monotonic()
        while not records and time.monotonic() < deadline and not changes.closed:
            # woken by the notice of a command posted here (or relayed by PostgreSQL: the notice the
            # delivery loop of file jobs follows too), else each second: a command posted through
            # another process on SQLite is seen within a second. Other results' notices cost nothing.
            cursor, notices = changes.wait(cursor, timeout=min(1.0, max(0.0, deadline - time.monotonic())))
            if (notices and time.monotonic() < asked_at + 1.0
                    and not any(n.kind == COMMAND and n.result_id == result_id for n in notices)):
                continue
            asked_at = time.monotonic()
            records = store().runs.pending(result_id)
    finally:
        slots.release()
    return json_response({"commands": records})


def _run_for_upload(result_id: int) -> dict:
    result = store().results.get(result_id)
    if not may_touch_project(result["project_id"]):
        raise Forbidden("a job token works only on runs of its own project")
    if result["source"] != "http":
        raise Conflict(f"result {result_id} is read from its directory by this server; it takes no uploads")
    return result
