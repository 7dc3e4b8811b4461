"""Parsing of request bodies and query parameters; bad input is a 400 with a message, never a 500."""
from __future__ import annotations

import math

from flask import current_app, request

from ...store import values
from ..errors import BadRequest


def store():
    """The app's store: every call on it is one transaction of its own."""
    return current_app.extensions["trainui.store"]


def json_body(as_files: tuple[str, ...] = ()) -> dict:
    """The request's JSON object, every value in it one the store can hold and serve back (else a
    400 naming the field: store.values). The members named in ``as_files`` are what a job's files
    hold (an upload's log, args, status, answers): they are checked as the file reader checks them."""
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        raise BadRequest(f"the request body is nested too deeply (at most {values.MAX_DEPTH} levels)") from None
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    try:
        for key, value in body.items():
            values.check(key, "body")
            if key not in as_files:
                values.check(value, key)
    except values.Unstorable as error:
        raise BadRequest(str(error)) from None
    return body


def reject_nul_in_query() -> None:
    """PostgreSQL cannot store a NUL character and file paths cannot hold one: refuse it at the door."""
    if any("\x00" in k or "\x00" in v for k, v in request.args.items(multi=True)):
        raise BadRequest("query parameters must not contain NUL characters")


def int_arg(name: str, default: int | None = None, low: int | None = None, high: int | None = None) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"'{name}' must be an integer") from None
    if (low is not None and value < low) or (high is not None and value > high):
        raise BadRequest(f"'{name}' must be between {low} and {high}")
    return value


def float_arg(name: str) -> float | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        raise BadRequest(f"'{name}' must be a number") from None
    if math.isnan(value):
        raise BadRequest(f"'{name}' must be a number")
    return value


def bool_arg(name: str) -> bool:
    return request.args.get(name, "").lower() in ("1", "true", "yes")
