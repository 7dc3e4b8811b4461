from __future__ import annotations

from flask import request, send_file

from ...store import files
from ..responses import json_response
from . import api
from .params import db


@api.get("/results/<id:result_id>/assets")
def list_assets(result_id: int):
    with db().session() as s:
        return json_response({"assets": files.list_assets(s, result_id, request.args.get("tag"))})


@api.get("/assets/<id:asset_id>/file")
def asset_file(asset_id: int):
    with db().session() as s:
        path = files.asset_file(s, asset_id)
    response = send_file(path, conditional=True, max_age=3600)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
