from __future__ import annotations

from flask import request

from ...store.logs import read_logs
from ..responses import json_response
from . import api
from .params import db, float_arg, int_arg

DEFAULT_MAX_POINTS = 1000
MAX_MAX_POINTS = 100_000


@api.get("/results/<id:result_id>/logs")
def get_logs(result_id: int):
    keys = [k for k in (request.args.get("keys") or "").split(",") if k]
    return json_response(read_logs(
        db(), result_id, keys, x_key=request.args.get("x") or "iteration",
        max_points=int_arg("max_points", DEFAULT_MAX_POINTS, 2, MAX_MAX_POINTS),
        x_min=float_arg("x_min"), x_max=float_arg("x_max"), since=int_arg("since", 0, 0)))
