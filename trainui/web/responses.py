"""JSON responses through orjson: fast, and NaN/Infinity (numpy included) become null."""
from __future__ import annotations

import orjson
from flask import Response

_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def json_response(payload, status: int = 200) -> Response:
    return Response(orjson.dumps(payload, option=_OPTIONS), status=status, mimetype="application/json")


def error_response(status: int, error: str, message: str) -> Response:
    return json_response({"error": error, "message": message}, status)
