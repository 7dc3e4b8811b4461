from __future__ import annotations

from ...store import Invalid
from ..responses import json_response
from . import api
from .params import bool_arg, json_body, store


@api.get("/projects")
def list_projects():
    return json_response({"projects": store().projects.list()})


@api.post("/projects")
def create_project():
    body = json_body()
    name = body.get("name")
    if name is not None and not isinstance(name, str):
        raise Invalid("'name' must be a string")
    project = store().projects.create(body.get("path"), name)
    return json_response({"project": project}, 201)


@api.get("/projects/<id:project_id>")
def get_project(project_id: int):
    return json_response({"project": store().projects.get(project_id)})


@api.patch("/projects/<id:project_id>")
def rename_project(project_id: int):
    body = json_body()
    return json_response({"project": store().projects.rename(project_id, body.get("name"))})


@api.delete("/projects/<id:project_id>")
def delete_project(project_id: int):
    store().projects.delete(project_id)
    return json_response({}, 204)


@api.get("/projects/<id:project_id>/results")
def list_results(project_id: int):
    results = store().results.list(project_id, bool_arg("include_unregistered"))
    return json_response({"results": results})
