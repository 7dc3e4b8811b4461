from __future__ import annotations

from ..responses import json_response
from . import api
from .params import json_body, store


@api.get("/results/<id:result_id>/commands")
def list_commands(result_id: int):
    return json_response({"commands": store().commands.list(result_id)})


@api.post("/results/<id:result_id>/commands")
def post_command(result_id: int):
    """Stored first; ingestion delivers it to the job (woken by the store's change notice)."""
    body = json_body()
    command = store().commands.create(result_id, body)
    return json_response({"command": command}, 201)
