"""Small promises of the API and the CLI that were not kept: the x key asked for as a series, the
event stream in the OpenAPI document (every route is), what `token create` says to do with a token
of each role, and the warning that `--token` shows in `ps`."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]


def test_the_x_key_asked_for_by_name_is_a_series_too(trainui_server, tmp_path):
    run = tmp_path / "p" / "r"
    run.mkdir(parents=True)
    (run / "log").write_text(json.dumps([{"iteration": i * 10, "loss": 1.0 / (i + 1)} for i in range(5)]))
    project = trainui_server.create_project(tmp_path / "p")
    rid = trainui_server.wait_for(lambda: trainui_server.results(project["id"]))[0]["id"]
    trainui_server.wait_for(lambda: trainui_server.results(project["id"])[0]["entry_count"] == 5)
    status, body = trainui_server.api("GET", f"results/{rid}/logs?keys=iteration&x=iteration")
    assert status == 200, body
    assert body["series"]["iteration"]["x"] == body["series"]["iteration"]["y"] == [0.0, 10.0, 20.0, 30.0, 40.0]
    _, default = trainui_server.api("GET", f"results/{rid}/logs")
    assert list(default["series"]) == ["loss"]  # by default, every key but x


def test_every_api_route_is_in_the_openapi_document(trainui_server):
    from trainui.web import IdConverter
    from trainui.web.api import api

    documented = requests.get(trainui_server.api_url + "openapi.json", timeout=5).json()["paths"]
    assert "get" in documented["/stream"]
    import flask

    app = flask.Flask("routes")
    app.url_map.converters["id"] = IdConverter
    app.register_blueprint(api, url_prefix="/api/v1")
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.rule == "/api/v1/openapi.json":
            continue
        path = rule.rule[len("/api/v1"):].replace("<id:", "{").replace(">", "}")
        assert path in documented, path
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in documented[path], (method, path)


def _cli(*args, root):
    env = dict(os.environ, TRAINUI_ROOT=str(root))
    env.pop("TRAINUI_DB_URL", None)
    return subprocess.run([sys.executable, "-m", "trainui.cli", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=60)


def test_token_create_says_what_the_token_of_each_role_is_for(tmp_path):
    said, tmp_path, root = {}, tmp_path / "runs", tmp_path / "data"
    for role in ("viewer", "operator", "admin"):
        out = _cli("token", "create", "--role", role, root=root)
        assert out.returncode == 0, out.stderr
        said[role] = out.stderr
    (tmp_path / "remote").mkdir(parents=True)
    assert _cli("project", "create", "-d", str(tmp_path / "remote"), "-n", "remote", "--no-ingest",
                root=root).returncode == 0
    out = _cli("token", "create", "--role", "job", "--project", "remote", root=root)
    assert out.returncode == 0, out.stderr
    said["job"] = out.stderr
    assert "never changes anything" in said["viewer"] and "?token=" in said["viewer"]
    assert "steers runs" in said["operator"] and "viewer" not in said["operator"]
    assert "Full access" in said["admin"] and "viewer" not in said["admin"]
    assert "TRAINUI_TOKEN=" in said["job"] and "?token=" not in said["job"], said["job"]


def test_the_token_flag_says_it_shows_in_ps():
    out = subprocess.run([sys.executable, "-m", "trainui.cli", "server", "--help"], cwd=REPO, capture_output=True,
                         text=True, timeout=60)
    text = " ".join(out.stdout.split())
    assert "visible to every user of this machine in `ps`" in text and "$TRAINUI_ADMIN_TOKEN" in text


def test_a_method_not_allowed_says_which_are(trainui_server):
    response = requests.request("TRACE", trainui_server.api_url + "projects", timeout=5)
    assert response.status_code == 405 and set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}
