from __future__ import annotations

from flask import current_app, send_file

from ..auth import may_touch_project
from ..errors import Forbidden
from ..responses import json_response
from .. import remote_console
from . import api
from .assets import inert
from .params import bool_arg, json_body, store


@api.get("/results/<id:result_id>")
def get_result(result_id: int):
    result = store().results.get(result_id, detail=True)
    if not may_touch_project(result["project_id"]):
        raise Forbidden("a job token reads only runs of its own project")
    return json_response({"result": result})


@api.patch("/results/<id:result_id>")
def update_result(result_id: int):
    body = json_body()
    return json_response({"result": store().results.update(result_id, body)})


@api.post("/results/<id:result_id>/tags")
def change_tags(result_id: int):
    body = json_body()
    return json_response({"result": store().results.change_tags(result_id, body.get("add"), body.get("remove"))})


@api.delete("/results/<id:result_id>")
def delete_result(result_id: int):
    """Delete a result with everything stored for it; ``files=true`` deletes its directory too."""
    result = store().results.get(result_id)
    deleted = store().results.delete(result_id, files=bool_arg("files"), force=bool_arg("force"))
    if result.get("source") == "http":  # the console its uploader shipped is the server's own copy
        remote_console.forget(current_app.config["TRAINUI"].data_root, result)
    return json_response({"deleted": deleted})


@api.get("/snapshots/<id:snapshot_id>/file")
def snapshot_file(snapshot_id: int):
    path = store().files.snapshot(snapshot_id)
    return inert(send_file(path, mimetype="application/octet-stream", as_attachment=True, conditional=True))
