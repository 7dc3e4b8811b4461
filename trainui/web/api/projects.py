from __future__ import annotations

from ...store import projects as store
from ...store import results as result_store
from ...store.errors import Invalid
from ..responses import json_response
from . import api
from .params import bool_arg, db, json_body


@api.get("/projects")
def list_projects():
    with db().session() as s:
        return json_response({"projects": store.list_projects(s)})


@api.post("/projects")
def create_project():
    body = json_body()
    name = body.get("name")
    if name is not None and not isinstance(name, str):
        raise Invalid("'name' must be a string")
    with db().session(write=True) as s:
        project = store.create_project(s, body.get("path"), name)
    return json_response({"project": project}, 201)


@api.get("/projects/<id:project_id>")
def get_project(project_id: int):
    with db().session() as s:
        return json_response({"project": store.get_project(s, project_id)})


@api.patch("/projects/<id:project_id>")
def rename_project(project_id: int):
    body = json_body()
    with db().session(write=True) as s:
        return json_response({"project": store.rename_project(s, project_id, body.get("name"))})


@api.delete("/projects/<id:project_id>")
def delete_project(project_id: int):
    with db().session(write=True) as s:
        store.delete_project(s, project_id)
    return json_response({}, 204)


@api.get("/projects/<id:project_id>/results")
def list_results(project_id: int):
    with db().session() as s:
        results = result_store.list_results(s, project_id, bool_arg("include_unregistered"))
    return json_response({"results": results})
