from __future__ import annotations

import logging

from ... import protocol
from ...store import commands as store
from ..responses import json_response
from . import api
from .params import db, json_body

log = logging.getLogger("trainui.web")


@api.get("/results/<id:result_id>/commands")
def list_commands(result_id: int):
    with db().session() as s:
        return json_response({"commands": store.list_commands(s, result_id)})


@api.post("/results/<id:result_id>/commands")
def post_command(result_id: int):
    body = json_body()
    with db().session(write=True) as s:
        command, record, result_dir = store.create_command(s, result_id, body)
    try:  # stored first: if this write fails, ingestion delivers it on its next pass
        protocol.deliver_command(result_dir, record)
    except OSError as error:
        log.warning("command %s stored but not yet delivered to %s: %s", record.uid, result_dir, error)
    return json_response({"command": command}, 201)
