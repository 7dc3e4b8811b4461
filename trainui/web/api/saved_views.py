"""Saved views of a project's page: list, save, open, rename or replace, delete. A body's shape
(the state's fields, their types and bounds) is the OpenAPI document's ``ViewState``; a body that
does not match it is a 400 naming the field."""
from __future__ import annotations

from ..errors import BadRequest
from ..responses import json_response
from . import api
from .params import json_body, store


@api.get("/projects/<id:project_id>/views")
def list_views(project_id: int):
    return json_response({"views": store().views.list(project_id)})


@api.post("/projects/<id:project_id>/views")
def create_view(project_id: int):
    body = json_body(mismatch=BadRequest)
    return json_response({"view": store().views.create(project_id, body["name"], body["state"])}, 201)


@api.get("/projects/<id:project_id>/views/<id:view_id>")
def get_view(project_id: int, view_id: int):
    return json_response({"view": store().views.get(project_id, view_id)})


@api.patch("/projects/<id:project_id>/views/<id:view_id>")
def update_view(project_id: int, view_id: int):
    body = json_body(mismatch=BadRequest)
    return json_response({"view": store().views.update(project_id, view_id, body)})


@api.delete("/projects/<id:project_id>/views/<id:view_id>")
def delete_view(project_id: int, view_id: int):
    store().views.delete(project_id, view_id)
    return json_response({}, 204)
