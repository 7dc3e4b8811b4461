"""Server-sent events: one stream per page, telling it *that* something changed; the page fetches
*what* through the usual endpoints (`logs?since=`, the results list, a result's commands).

`GET /stream?project=P` (the project page) or `?result=R` (a result page). Events:
    event: result   data: {"id", "project_id", "entry_count", "status", "updated_at"}
    event: command  data: {"result_id", "command_id", "status"}
    event: assets   data: {"result_id", "count"}       (a result page: its images changed)
The event id is the stream's cursor (a time on the server's clock); a browser that reconnects
sends it back as Last-Event-ID and gets what changed since, looking a few seconds further back
(changes committed late, clocks of other ingesting machines), so a notice may come twice but is
never lost. A comment line every 10 s keeps proxies from closing an idle stream.

Each open stream holds one server thread, so only a few are served at a time; beyond them the
answer is 503 and the page polls instead. A stream ends after a few minutes; the browser
reconnects on its own.
"""
from __future__ import annotations

import threading
import time

import orjson
from flask import Response, current_app, request, stream_with_context

from ...store import ANSWER, COMMAND, Notice
from ..errors import BadRequest
from ..responses import error_response
from . import api
from .params import int_arg, store

LOOK_BACK = 5.0  # seconds before the cursor looked at again on every pass
HEARTBEAT = 10.0
LIFETIME = 300.0
MAX_WAIT = 1.0  # a pass at least this often, whatever the notices say (other processes on SQLite)


def stream_slots(threads: int) -> threading.BoundedSemaphore:
    return threading.BoundedSemaphore(max(1, threads // 3))


@api.get("/stream")
def stream():
    project_id, result_id = int_arg("project", None, 1), int_arg("result", None, 1)
    if (project_id is None) == (result_id is None):
        raise BadRequest("give exactly one of 'project' or 'result'")
    cursor = _cursor(request.headers.get("Last-Event-ID") or request.args.get("since"))
    the_store = store()
    the_store.events.check_scope(project_id, result_id)  # a scope that does not exist is a 404 now, not an empty stream
    slots = current_app.extensions["trainui.streams"]
    if not slots.acquire(blocking=False):
        response = error_response(503, "busy", "too many open streams; poll instead")
        response.headers["Retry-After"] = "10"
        return response

    def events():
        try:
            yield "retry: 2000\n\n"
            yield from _follow(the_store, project_id, result_id, cursor)
        finally:
            slots.release()
    response = Response(stream_with_context(events()), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"  # nginx: pass events on at once
    return response


def _follow(the_store, project_id: int | None, result_id: int | None, cursor: float):
    notice_cursor = the_store.changes.cursor
    seen: dict[tuple, tuple] = {}
    ends, last_sent = time.monotonic() + LIFETIME, time.monotonic()
    commands_only, full_pass_at = False, time.monotonic()
    while time.monotonic() < ends and not the_store.changes.closed:  # closed: the server is stopping
        now = time.time()
        # told only of commands, and a whole pass lately: the commands alone (a command's answer is
        # pushed after one small query); otherwise everything changed since the cursor
        commands_only = commands_only and result_id is not None and time.monotonic() - full_pass_at < MAX_WAIT
        changes = the_store.events.since(cursor - LOOK_BACK, project_id, result_id, commands_only=commands_only)
        if not commands_only:
            cursor, full_pass_at = now, time.monotonic()
        out = []
        for kind, key, state, payload in changes:
            if seen.get((kind, key)) != state:
                seen[(kind, key)] = state
                out.append(f"event: {kind}\ndata: {orjson.dumps(payload).decode()}\n")
        if out:
            yield "".join(f"id: {cursor:.6f}\n{event}\n" for event in out)
            last_sent = time.monotonic()
        elif time.monotonic() - last_sent > HEARTBEAT:
            yield ": still here\n\n"
            last_sent = time.monotonic()
        if len(seen) > 20_000:
            seen.clear()
        notice_cursor, commands_only = _wait_for_news(the_store, notice_cursor, project_id, result_id)


def _wait_for_news(the_store, notice_cursor: int, project_id, result_id) -> tuple[int, bool]:
    """Until a notice about the watched scope arrives, or MAX_WAIT passes; and whether all that
    was told is that commands were posted or answered."""
    deadline = time.monotonic() + MAX_WAIT
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or the_store.changes.closed:
            return notice_cursor, False
        notice_cursor, notices = the_store.changes.wait(notice_cursor, remaining)
        if notices is None:
            return notice_cursor, False
        concerning = [n for n in notices if _concerns(n, project_id, result_id)]
        if concerning:
            return notice_cursor, all(n.kind in (COMMAND, ANSWER) for n in concerning)


def _concerns(notice: Notice, project_id, result_id) -> bool:
    if result_id is not None:
        return notice.result_id == result_id
    return notice.project_id in (None, project_id)


def _cursor(value: str | None) -> float:
    if not value:
        return time.time()
    try:
        return float(value)
    except ValueError:
        raise BadRequest("Last-Event-ID must be the id of an event this stream sent") from None
