from __future__ import annotations

from ...store import commands as store
from ..responses import json_response
from . import api
from .params import db, json_body


@api.get("/results/<id:result_id>/commands")
def list_commands(result_id: int):
    with db().session() as s:
        return json_response({"commands": store.list_commands(s, result_id)})


@api.post("/results/<id:result_id>/commands")
def post_command(result_id: int):
    """Stored first; ingestion delivers it to the job (woken by the store's change notice)."""
    body = json_body()
    with db().session(write=True) as s:
        command = store.create_command(s, result_id, body)
    return json_response({"command": command}, 201)
