"""Metric series for charts: one result's (`/results/<id>/logs`) or several results' in one request
(`/logs?results=`), so a page charting a hundred live runs asks once per tick, not a hundred times.

Full answers carry an ETag made of each result's entry count and log generation: a browser that
comes back to a page of finished runs revalidates its cached answer and gets a 304 without the
server decoding a single series. Increments (`since`) are never asked twice: they are not stored."""
from __future__ import annotations

import hashlib

from flask import Response, request

from ...store import NotFound
from ..errors import BadRequest
from ..responses import json_response
from . import api
from .params import float_arg, int_arg, store

DEFAULT_MAX_POINTS = 1000
MAX_MAX_POINTS = 100_000
MAX_BATCH_RESULTS = 500


def _versions(result_ids: list[int]) -> list[str]:
    """Each result's identity, entry count and log generation ("-": no such result), in one session."""
    # created_at too: SQLite may give a deleted result's id to a new one
    return [f"{result_id}:{result['created_at']}:{result['entry_count']}:{result['log_generation']}"
            if result is not None else "-" for result_id, result in zip(result_ids, store().results.versions(result_ids))]


def _etag(result_ids: list[int]) -> tuple[str, Response | None]:
    """The ETag of an answer about `result_ids`, and a 304 when the client holds it already. The
    URL holds every other input (keys, x, max_points, range, cursors). Read before the series:
    entries written meanwhile make the stored ETag older than the answer, never newer."""
    etag = hashlib.sha1("|".join(_versions(result_ids)).encode()).hexdigest()[:20]
    if request.if_none_match.contains(etag):
        return etag, _revalidate(Response(status=304), etag)
    return etag, None


def _revalidate(response: Response, etag: str | None) -> Response:
    if etag is None:
        response.headers["Cache-Control"] = "no-store"
        return response
    response.set_etag(etag)
    response.headers["Cache-Control"] = "no-cache"  # always revalidated: live series change
    return response


def _query() -> dict:
    return {"x_key": request.args.get("x") or "iteration",
            "max_points": int_arg("max_points", DEFAULT_MAX_POINTS, 2, MAX_MAX_POINTS),
            "x_min": float_arg("x_min"), "x_max": float_arg("x_max")}


def _keys() -> list[str]:
    return [k for k in (request.args.get("keys") or "").split(",") if k]


@api.get("/results/<id:result_id>/logs")
def get_logs(result_id: int):
    query, keys, since = _query(), _keys(), int_arg("since", 0, 0)
    etag, not_modified = _etag([result_id]) if not since else (None, None)
    if not_modified:
        return not_modified
    return _revalidate(json_response(store().series.read(result_id, keys, since=since, **query)), etag)


def _parse_batch(text: str | None) -> list[tuple[int, int]]:
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
    """The answer of `/results/<id>/logs` for each result, keyed by id; a result that does not
    exist is listed under `missing` instead of failing the others (it may have just been removed)."""
    query, keys = _query(), _keys()
    pairs = _parse_batch(request.args.get("results"))
    full = not any(since for _, since in pairs)
    etag, not_modified = _etag([rid for rid, _ in pairs]) if full else (None, None)
    if not_modified:
        return not_modified
    answers, missing = {}, []
    for result_id, since in pairs:
        try:
            answer = store().series.read(result_id, keys, since=since, **query)
        except NotFound:
            missing.append(result_id)
            continue
        answers[str(result_id)] = {k: answer[k] for k in ("cursor", "incremental", "series")}
    return _revalidate(json_response({"x": query["x_key"], "results": answers, "missing": missing}), etag)
