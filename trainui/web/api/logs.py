from __future__ import annotations

from flask import request

from ...store import metrics
from ...store import results as result_store
from ..responses import json_response
from . import api
from .params import db, float_arg, int_arg

DEFAULT_MAX_POINTS = 1000
MAX_MAX_POINTS = 100_000
MAX_KEYS = 200


@api.get("/results/<id:result_id>/logs")
def get_logs(result_id: int):
    x_key = request.args.get("x") or "iteration"
    max_points = int_arg("max_points", DEFAULT_MAX_POINTS, 2, MAX_MAX_POINTS)
    x_min, x_max = float_arg("x_min"), float_arg("x_max")
    since = int_arg("since", 0, 0)
    requested = [k for k in (request.args.get("keys") or "").split(",") if k]
    with db().session() as s:
        result = result_store.get_result(s, result_id)
        available = [k for k in result["keys"] if k != x_key]
        keys = [k for k in requested if k != x_key][:MAX_KEYS] if requested else available[:MAX_KEYS]
        cursor = result["entry_count"]
        incremental = since > 0 and since <= cursor and cursor - since <= max_points
        series = metrics.query_series(s, result_id, keys, x_key, max_points, x_min, x_max,
                                      since if incremental else 0, generation=result["log_generation"],
                                      entry_count=cursor)
    return json_response({"result_id": result_id, "x": x_key, "cursor": cursor, "incremental": incremental,
                          "series": series})
