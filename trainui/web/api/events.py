"""The events of a result (commands its job applied, resumes), for the markers on its charts."""
from __future__ import annotations

from ..responses import json_response
from . import api
from .params import store


@api.get("/results/<id:result_id>/events")
def list_events(result_id: int):
    return json_response({"events": store().results.events(result_id)})
