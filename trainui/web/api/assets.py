from __future__ import annotations

import io

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
        found = files.asset_file(s, asset_id)
    if isinstance(found, bytes):  # uploaded by a remote job: kept in the database
        response = send_file(io.BytesIO(found), mimetype="image/png", conditional=False, max_age=3600)
    else:
        response = send_file(found, conditional=True, max_age=3600)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
