"""Metric series for charts: one result's (`/results/<id>/logs`) or several results' in one request
(`/logs?results=`), so a page charting a hundred live runs asks once per tick, not a hundred times.

Answers carry an ETag made of each result's entry count and log generation: a browser that comes
back to a page of finished runs revalidates its cached answer and gets a 304 without the server
decoding a single series."""
from __future__ import annotations

import hashlib

from flask import Response, request

from ...store import metrics
from ...store import results as result_store
from ...store.errors import NotFound
from ..errors import BadRequest
from ..responses import json_response
from . import api
from .params import db, float_arg, int_arg

DEFAULT_MAX_POINTS = 1000
MAX_MAX_POINTS = 100_000
MAX_KEYS = 200
MAX_BATCH_RESULTS = 500


def _version(result: dict | None) -> str:
    return "-" if result is None else f"{result['id']}:{result['entry_count']}:{result['log_generation']}"


def _cached(results: list[dict | None]) -> tuple[str, Response | None]:
    """The ETag of an answer about `results` (None: a missing one), and a 304 when the client has it.
    The URL holds every other input (keys, x, max_points, range, cursors)."""
    etag = hashlib.sha1("|".join(_version(r) for r in results).encode()).hexdigest()[:20]
    if request.if_none_match.contains(etag):
        response = Response(status=304)
        response.set_etag(etag)
        response.headers["Cache-Control"] = "no-cache"
        return etag, response
    return etag, None


def _with_etag(response: Response, etag: str) -> Response:
    response.set_etag(etag)
    response.headers["Cache-Control"] = "no-cache"  # always revalidated: live series change
    return response


def _series_answer(session, result: dict, requested: list[str], x_key: str, max_points: int,
                   x_min: float | None, x_max: float | None, since: int) -> dict:
    """One result's answer; `since` is the cursor of a previous answer (0: a full answer)."""
    result_id = result["id"]
    available = [k for k in result["keys"] if k != x_key]
    keys = [k for k in requested if k != x_key][:MAX_KEYS] if requested else available[:MAX_KEYS]
    cursor = result["entry_count"]
    incremental = since > 0 and since <= cursor and cursor - since <= max_points
    series = metrics.query_series(session, result_id, keys, x_key, max_points, x_min, x_max,
                                  since if incremental else 0, generation=result["log_generation"],
                                  entry_count=cursor)
    return {"cursor": cursor, "incremental": incremental, "series": series}


def _common_args() -> tuple[str, int, float | None, float | None, list[str]]:
    x_key = request.args.get("x") or "iteration"
    max_points = int_arg("max_points", DEFAULT_MAX_POINTS, 2, MAX_MAX_POINTS)
    requested = [k for k in (request.args.get("keys") or "").split(",") if k]
    return x_key, max_points, float_arg("x_min"), float_arg("x_max"), requested


@api.get("/results/<id:result_id>/logs")
def get_logs(result_id: int):
    x_key, max_points, x_min, x_max, requested = _common_args()
    since = int_arg("since", 0, 0)
    with db().session() as s:
        result = result_store.get_result(s, result_id)
        etag, not_modified = _cached([result])
        if not_modified:
            return not_modified
        answer = _series_answer(s, result, requested, x_key, max_points, x_min, x_max, since)
    return _with_etag(json_response({"result_id": result_id, "x": x_key, **answer}), etag)


def _parse_batch(text: str) -> list[tuple[int, int]]:
    """`results=12,13:340` -> [(12, 0), (13, 340)]: result ids, each with an optional since-cursor."""
    pairs = []
    for item in (text or "").split(","):
        if not item:
            continue
        rid, _, since = item.partition(":")
        try:
            pair = (int(rid), int(since) if since else 0)
        except ValueError:
            raise BadRequest("'results' must be result ids, each optionally with ':<cursor>', e.g. 12,13:340") from None
        if pair[0] < 1 or pair[0] > 2**63 - 1 or pair[1] < 0:
            raise BadRequest("'results' holds an id or cursor out of range")
        pairs.append(pair)
    if not pairs:
        raise BadRequest("'results' must name at least one result id")
    if len(pairs) > MAX_BATCH_RESULTS:
        raise BadRequest(f"'results' may name at most {MAX_BATCH_RESULTS} results")
    return list(dict(pairs).items())  # one entry per id, the last cursor wins


@api.get("/logs")
def get_logs_batch():
    """The same answer as `/results/<id>/logs` for each result, keyed by id; a result that does not
    exist is listed under `missing` instead of failing the others (it may have just been removed)."""
    x_key, max_points, x_min, x_max, requested = _common_args()
    pairs = _parse_batch(request.args.get("results"))
    answers, missing = {}, []
    with db().session() as s:
        found = []
        for result_id, _ in pairs:
            try:
                found.append(result_store.get_result(s, result_id))
            except NotFound:
                found.append(None)
        etag, not_modified = _cached(found)
        if not_modified:
            return not_modified
        for (result_id, since), result in zip(pairs, found):
            if result is None:
                missing.append(result_id)
            else:
                answers[str(result_id)] = _series_answer(s, result, requested, x_key, max_points, x_min, x_max, since)
    return _with_etag(json_response({"x": x_key, "results": answers, "missing": missing}), etag)
