from __future__ import annotations

from flask import send_file

from ...store import files
from ...store import results as store
from ..auth import may_touch_project
from ..errors import Forbidden
from ..responses import json_response
from . import api
from .assets import inert
from .params import db, json_body


@api.get("/results/<id:result_id>")
def get_result(result_id: int):
    with db().session() as s:
        result = store.get_result(s, result_id, detail=True)
    if not may_touch_project(result["project_id"]):
        raise Forbidden("a job token reads only runs of its own project")
    return json_response({"result": result})


@api.patch("/results/<id:result_id>")
def update_result(result_id: int):
    body = json_body()
    with db().session(write=True) as s:
        return json_response({"result": store.update_result(s, result_id, body)})


@api.get("/snapshots/<id:snapshot_id>/file")
def snapshot_file(snapshot_id: int):
    with db().session() as s:
        path = files.snapshot_file(s, snapshot_id)
    return inert(send_file(path, mimetype="application/octet-stream", as_attachment=True, conditional=True))
