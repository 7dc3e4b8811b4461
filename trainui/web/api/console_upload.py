"""A remote job's console, shipped in pieces by its uploader and kept by web/remote_console.py in
the layout the console API reads (so ``GET /results/<id>/console`` serves it as a local run's)."""
from __future__ import annotations

from flask import current_app, request

from ... import protocol
from .. import remote_console
from ..errors import BadRequest, HTTPError
from ..responses import json_response
from . import api
from .params import int_arg
from .runs import _run_for_upload


class UnsupportedMediaType(HTTPError):
    status, code = 415, "unsupported_media_type"


@api.post("/results/<id:result_id>/console")
def post_console(result_id: int):
    result = _run_for_upload(result_id)
    rank = int_arg("rank", 0, low=0, high=999_999)
    offset = int_arg("offset", None, low=0, high=protocol.INT64_MAX)
    if offset is None:
        raise BadRequest("'offset' (where the piece starts in the rank's console stream) is required")
    if request.mimetype != "text/plain":
        raise UnsupportedMediaType("a console piece is sent as text/plain; charset=utf-8")
    data = request.get_data(cache=False)
    folder = remote_console.directory(current_app.config["TRAINUI"].data_root, result)
    try:
        held = remote_console.append(folder, rank, offset, data)
    except remote_console.NotText as error:
        raise BadRequest(str(error)) from None
    except remote_console.Gap as gap:
        return json_response({"error": "gap", "received": gap.received, "message": str(gap)}, 409)
    except OSError as error:  # the server's disk: the job keeps the piece and sends it again
        return json_response({"error": "unavailable", "message": f"the console cannot be kept now "
                              f"({error.strerror or error})"}, 503)
    return json_response({"rank": rank, "received": held})
