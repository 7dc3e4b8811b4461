"""Parsing of request bodies and query parameters; bad input is a 400 with a message, never a 500."""
from __future__ import annotations

import math

from flask import current_app, request

from ...store import values
from ...store import Invalid
from ..errors import BadRequest
from . import openapi
from .schema_check import violation


API_PREFIX = "/api/v1"  # where web.create_app mounts this blueprint


def store():
    """The app's store: every call on it is one transaction of its own."""
    return current_app.extensions["trainui.store"]


def json_body(as_files: tuple[str, ...] = (), mismatch: type[Exception] = Invalid) -> dict:
    """The request's JSON object, every value in it one the store can hold and serve back (else a
    400 naming the field: store.values), and matching the body its route documents in the OpenAPI
    document (else ``mismatch``, a 422, naming the field): the document is the one statement of what
    a body takes. The members named in ``as_files`` are what a job's files hold (an upload's log,
    args, status, answers): they are checked as the file reader checks them."""
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
    schema = openapi.request_schema(_documented_rule(), request.method)
    problem = schema and violation(body, schema, openapi.SCHEMAS)
    if problem:
        raise mismatch(problem)
    return body


def _documented_rule() -> str:
    """The route as the document names it: without the prefix the app mounts the API at."""
    return request.url_rule.rule.removeprefix(API_PREFIX)


def reject_nul_in_query() -> None:
    """PostgreSQL cannot store a NUL character and file paths cannot hold one: refuse it at the door."""
    if any("\x00" in k or "\x00" in v for k, v in request.args.items(multi=True)):
        raise BadRequest("query parameters must not contain NUL characters")


def check_documented_query() -> None:
    """Each query parameter the route documents is what the document says (type, range, pattern),
    else a 400 naming it. An empty value counts as absent where the document allows it (as the
    handlers read it)."""
    if request.url_rule is None:
        return
    for parameter in openapi.query_parameters(_documented_rule(), request.method):
        name, schema = parameter["name"], parameter["schema"]
        given = [raw for raw in request.args.getlist(name) if raw != "" or not parameter.get("allowEmptyValue")]
        if not given and parameter.get("required"):
            raise BadRequest(f"'{name}' is required: {parameter.get('description') or schema.get('type')}")
        for raw in given:
            problem = violation(_query_value(name, raw, schema["type"]), schema, openapi.SCHEMAS, name)
            if problem:
                raise BadRequest(problem)


def _query_value(name: str, raw: str, kind: str):
    """A query parameter's text as the JSON value the document describes (a 400 if it is none)."""
    try:
        if kind == "integer":
            return int(raw)
        if kind == "number":
            value = float(raw)
            if not math.isnan(value):  # an infinite range end is an open one
                return value
        elif kind == "boolean":
            return BOOLEANS[raw.lower()]
        else:
            return raw
    except (ValueError, KeyError):
        pass
    raise BadRequest(f"'{name}' must be {'an' if kind == 'integer' else 'a'} {kind}") from None


BOOLEANS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


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
    """true/1/yes or false/0/no (absent or empty: false); anything else is a 400, not a silent false."""
    raw = request.args.get(name, "")
    if raw == "":
        return False
    if raw.lower() not in BOOLEANS:
        raise BadRequest(f"'{name}' must be true or false (1 or 0)")
    return BOOLEANS[raw.lower()]
