"""JSON responses through orjson: fast, and NaN/Infinity (numpy included) become null.

A value stored before the store checked what it takes in (an integer beyond 64 bits, a lone
surrogate, nesting too deep for orjson) is repaired here, where it would otherwise make every
later read of it a 500: the answer carries it replaced (store.values.servable), and the log says so."""
from __future__ import annotations

import logging

import orjson
from flask import Response

from ..store import values

_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS
log = logging.getLogger("trainui.web")


def json_response(payload, status: int = 200) -> Response:
    try:
        body = orjson.dumps(payload, option=_OPTIONS)
    except TypeError as error:
        log.warning("an answer held a stored value JSON cannot carry as it is (%s); sent repaired", error)
        body = orjson.dumps(values.servable(payload), option=_OPTIONS)
    return Response(body, status=status, mimetype="application/json")


def error_response(status: int, error: str, message: str) -> Response:
    return json_response({"error": error, "message": message}, status)
