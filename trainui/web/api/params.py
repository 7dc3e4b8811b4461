"""Parsing of request bodies and query parameters; bad input is a 400 with a message, never a 500."""
from __future__ import annotations

import math

from flask import current_app, request

from ..errors import BadRequest


def db():
    return current_app.extensions["trainui.db"]


def json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    if _has_nul(body):
        raise BadRequest("text in the request must not contain NUL characters")
    return body


def reject_nul_in_query() -> None:
    """PostgreSQL cannot store a NUL character and file paths cannot hold one: refuse it at the door."""
    if any("\x00" in k or "\x00" in v for k, v in request.args.items(multi=True)):
        raise BadRequest("query parameters must not contain NUL characters")


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


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
