"""The OpenAPI document is the API's one check of request bodies and documented query parameters
(fast tier): what the document forbids is refused with the field named, what it allows is taken,
and the document uses no keyword the check would ignore."""
from __future__ import annotations

import json
import re

import pytest

from trainui import Run
from trainui.web.api import openapi
from trainui.web.api.schema_check import KEYWORDS, keywords_in, violation


def test_every_request_schema_uses_only_keywords_the_check_knows():
    used = set()
    for schema in openapi.REQUEST_SCHEMAS.values():
        used |= keywords_in(schema, openapi.SCHEMAS)
    for item in openapi.PATHS.values():
        for operation in item.values():
            for parameter in operation.get("parameters", ()) if isinstance(operation, dict) else ():
                used |= keywords_in(parameter["schema"], openapi.SCHEMAS)
    assert used and used <= KEYWORDS, used - KEYWORDS


def test_every_json_body_route_has_a_documented_body(app):
    routes = [(rule.rule.removeprefix("/api/v1"), method) for rule in app.flask.url_map.iter_rules()
              if rule.rule.startswith("/api/v1/") for method in rule.methods & {"POST", "PATCH", "PUT"}]
    assert routes
    for route, method in routes:
        if (route, method) in (("/results/<id:result_id>/assets", "POST"), ("/results/<id:result_id>/console", "POST")):
            continue  # a PNG, console text: not JSON
        assert openapi.request_schema(route, method) is not None, (route, method)


def test_not_blank_means_what_str_strip_keeps():
    spaces = "".join(c for c in map(chr, range(0x3001)) if c.isspace())
    pattern = re.compile(openapi.NOT_BLANK)
    assert all(not pattern.search(c * 3) for c in spaces)
    assert all(pattern.search(f"{c}x{c}") for c in spaces)
    assert not pattern.search("a\x00b") and not pattern.search("")


def test_the_check_names_the_field():
    schema = openapi.REQUEST_SCHEMAS[("/results/{result_id}/commands", "post")]
    assert violation({"name": "stop"}, schema, openapi.SCHEMAS) is None
    assert violation({"name": "x", "body": {"a": [1, {"b": None}]}}, schema, openapi.SCHEMAS) is None
    assert "'schedule.value'" in violation({"name": "x", "schedule": {"key": "epoch", "value": 2**63}}, schema,
                                           openapi.SCHEMAS)
    assert "'nmae'" in violation({"name": "x", "nmae": "y"}, schema, openapi.SCHEMAS)
    assert "'body.a[0]'" in violation({"name": "x", "body": {"a": [2**64]}}, schema, openapi.SCHEMAS)


@pytest.fixture
def project(app, tmp_path):
    root = tmp_path / "project"
    run = Run(str(root / "run"), args={"lr": 0.1}, progress=False, handle_signals=False, poll_interval=0,
              flush_interval=0)
    run.log({"loss": 1.0}, iteration=1)
    project_id = app.api("POST", "projects", json={"path": str(root), "name": "p"})[1]["project"]["id"]
    result_id = app.ingest(project_id, root / "run")
    yield project_id, result_id
    run.close()


@pytest.mark.parametrize("method, path, payload, status, named", [
    ("POST", "projects", {"path": "/tmp", "nmae": "typo"}, 422, "'nmae'"),  # an unknown field is not ignored
    ("POST", "projects", {"path": ""}, 422, "'path'"),
    ("POST", "projects", {"path": "/tmp", "name": "  "}, 422, "'name'"),
    ("PATCH", "projects/{project}", {}, 422, "'name'"),
    ("PATCH", "projects/{project}", {"name": "\t"}, 422, "'name'"),
    ("PATCH", "results/{result}", {"name": "x", "colour": "red"}, 422, "'colour'"),
    ("PATCH", "results/{result}", {"unregistered": "yes"}, 422, "'unregistered'"),
    ("POST", "runs", {"project": "", "run_uid": "00000000"}, 422, "'project'"),
    ("POST", "runs", {"project": "p", "run_uid": "short"}, 422, "'run_uid'"),
    ("POST", "results/{result}/commands", {"name": "note", "body": None}, 422, "'body'"),
    ("POST", "results/{result}/commands", {"name": "note", "body": {"k": 1}, "when": 3}, 422, "'when'"),
    ("POST", "results/{result}/commands", {"name": "note", "schedule": {"key": "epoch", "value": 1, "x": 0}},
     422, "'x'"),
])
def test_a_body_the_document_forbids_is_refused_naming_the_field(app, project, method, path, payload, status,
                                                                named):
    project_id, result_id = project
    code, body = app.api(method, path.format(project=project_id, result=result_id), json=payload)
    assert code == status and named in body["message"], (code, body)
    assert app.api("GET", f"projects/{project_id}")[1]["project"]["name"] == "p"
    assert app.api("GET", f"results/{result_id}/commands")[1]["commands"] == []


@pytest.mark.parametrize("query, named", [
    ("logs?results=", "'results'"), ("logs", "'results'"), ("logs?results=1,,2", "'results'"),
    ("logs?results={result}&max_points=1.5", "'max_points'"), ("logs?results={result}&x_min=soon", "'x_min'"),
    ("projects/{project}/results?include_unregistered=null", "'include_unregistered'"),
    ("results/{result}/logs?since=-1", "'since'"),
])
def test_a_query_the_document_forbids_is_a_400_naming_the_parameter(app, project, query, named):
    project_id, result_id = project
    code, body = app.api("GET", query.format(project=project_id, result=result_id))
    assert code == 400 and named in body["message"], (code, body)


def test_what_the_document_allows_is_taken(app, project):
    project_id, result_id = project
    assert app.api("PATCH", f"results/{result_id}", json={"unregistered": True})[0] == 200
    for flag in ("1", "true"):  # the page sends 1, the Python client true
        code, body = app.api("GET", f"projects/{project_id}/results?include_unregistered={flag}")
        assert code == 200 and [r["id"] for r in body["results"]] == [result_id], body
    assert app.api("GET", f"projects/{project_id}/results?include_unregistered=0")[1]["results"] == []
    code, body = app.api("GET", f"logs?results={result_id}:0&keys=loss&max_points=2&x_min=&x_max=")  # empty: absent
    assert code == 200 and body["results"][str(result_id)]["series"]["loss"]["y"] == [1.0], body
    code, body = app.api("POST", "runs", json={"project": "remote", "run_uid": "abcdefgh", "name": "", "host": None})
    assert code == 201, body
    assert app.api("POST", "runs", json={"project": "remote", "run_uid": "abcdefgh"})[0] == 200  # opened already
    assert json.loads(app.client.get("/api/v1/openapi.json").data)["paths"]["/runs"]["post"]["responses"]["200"]
