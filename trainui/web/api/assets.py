"""A result's assets: listed, and served inert.

Anything in a result directory may have been written by someone other than the viewer, and an
asset is served from the dashboard's own origin: an ``.svg`` or ``.html`` listed in
``.trainui/assets.jsonl`` and opened through the UI ran its script with the viewer's rights (it
posted a command). So every file is served with ``Content-Security-Policy: sandbox`` (no script,
an origin of its own) and ``nosniff``; only raster images are shown inline; SVG keeps its type, so
that an ``<img>`` draws it (an image runs no script), but is a download when opened; everything
else is a download of unknown type.
"""
from __future__ import annotations

import io
import mimetypes
import os

from flask import request, send_file

from ..responses import json_response
from . import api
from .params import store

RASTER_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "image/avif"}
SVG = "image/svg+xml"
INERT = "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'"


@api.get("/results/<id:result_id>/assets")
def list_assets(result_id: int):
    return json_response({"assets": store().files.assets(result_id, request.args.get("tag"))})


@api.get("/assets")
def assets_across():
    """One image tag across several runs in one request (the project page's image grid), not one
    request per run."""
    raw = request.args.get("results") or ""
    result_ids = list(dict.fromkeys(int(part) for part in raw.split(",")))  # the document's pattern held
    return json_response(store().files.across(result_ids, request.args.get("tag") or None))


@api.get("/assets/<id:asset_id>/file")
def asset_file(asset_id: int):
    found = store().files.asset(asset_id)
    if isinstance(found, bytes):  # uploaded by a remote job (a PNG, checked then): kept in the database
        return inert(send_file(io.BytesIO(found), mimetype="image/png", conditional=False, max_age=3600))
    kind = mimetypes.guess_type(found)[0] or ""
    if kind in RASTER_TYPES:
        return inert(send_file(found, mimetype=kind, conditional=True, max_age=3600))
    return inert(send_file(found, mimetype=SVG if kind == SVG else "application/octet-stream", as_attachment=True,
                           download_name=os.path.basename(found), conditional=True, max_age=3600))


def inert(response):
    """A file from a result directory, as the browser must treat it: never as a page of this site."""
    response.headers["Content-Security-Policy"] = INERT
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
