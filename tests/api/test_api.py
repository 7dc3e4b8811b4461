"""The REST API against a real server process, on SQLite and on PostgreSQL."""
import json

import pytest


@pytest.fixture
def server(start_server, db_url):
    return start_server(db_url=db_url)


def make_result(root, name, n=50, args=None, extra=None):
    run = root / name
    run.mkdir(parents=True)
    entries = [{"epoch": i // 10, "iteration": i, "main/loss": 1.0 / i, "elapsed_time": i * 0.5, **(extra or {})}
               for i in range(1, n + 1)]
    (run / "log").write_text(json.dumps(entries, indent=4))
    (run / "args").write_text(json.dumps(args or {"lr": 0.1}))
    return run


def ingested(server, project_id, count=1):
    """Wait until ``count`` results are listed with all their log entries read."""
    def ready():
        results = server.results(project_id)
        done = len(results) == count and all(r["entry_count"] and not r["ingest_error"] for r in results)
        return done and results
    return server.wait_for(ready)


def test_projects_results_and_logs(server, tmp_path):
    root = tmp_path / "proj"
    make_result(root, "a", args={"lr": 0.1, "opt": "sgd"})
    make_result(root, "b", n=2000, args={"lr": 0.01, "opt": "adam"})
    project = server.create_project(root, "demo")
    results = ingested(server, project["id"], 2)
    by_name = {r["name"]: r for r in results}
    assert by_name["a"]["args"] == {"lr": 0.1, "opt": "sgd"}
    assert by_name["b"]["last_values"]["iteration"] == 2000
    status, body = server.api("GET", "projects")
    assert status == 200 and body["projects"][0]["result_count"] == 2

    rid = by_name["b"]["id"]
    status, logs = server.api("GET", f"results/{rid}/logs?keys=main/loss&max_points=100")
    loss = logs["series"]["main/loss"]
    assert status == 200 and loss["downsampled"] and len(loss["x"]) <= 100 and loss["total"] == 2000
    assert max(loss["y"]) == 1.0  # the bucket maximum keeps the first, highest point
    status, zoom = server.api("GET", f"results/{rid}/logs?keys=main/loss&x_min=100&x_max=149&max_points=1000")
    assert zoom["series"]["main/loss"]["x"] == [float(i) for i in range(100, 150)]
    status, by_time = server.api("GET", f"results/{rid}/logs?keys=main/loss&x=elapsed_time&max_points=5000")
    assert by_time["series"]["main/loss"]["x"][:2] == [0.5, 1.0]


def test_spike_survives_downsampling(server, tmp_path):
    root = tmp_path / "proj"
    run = root / "spiky"
    run.mkdir(parents=True)
    entries = [{"iteration": i, "loss": 1.0} for i in range(10000)]
    entries[7777]["loss"] = 1000.0
    entries[1234]["loss"] = -5.0
    (run / "log").write_text(json.dumps(entries))
    project = server.create_project(root)
    (result,) = server.wait_for(lambda: [r for r in server.results(project["id"]) if r["entry_count"] == 10000])
    _, body = server.api("GET", f"results/{result['id']}/logs?keys=loss&max_points=50")
    ys = body["series"]["loss"]["y"]
    assert len(ys) <= 50 and 1000.0 in ys and -5.0 in ys


def test_incremental_cursor(server, tmp_path):
    root = tmp_path / "proj"
    run = make_result(root, "live", n=10)
    project = server.create_project(root)
    (result,) = ingested(server, project["id"])
    _, first = server.api("GET", f"results/{result['id']}/logs?keys=main/loss")
    assert first["cursor"] == 10 and not first["incremental"]
    with open(run / "log", "rb+") as f:
        f.seek(-2, 2)
        f.write(b',\n{"iteration": 11, "main/loss": 0.01}\n]')
    server.wait_for(lambda: server.results(project["id"])[0]["entry_count"] == 11)
    _, more = server.api("GET", f"results/{result['id']}/logs?keys=main/loss&since={first['cursor']}")
    assert more["incremental"] and more["series"]["main/loss"] == {"x": [11.0], "y": [0.01], "total": 1,
                                                                    "downsampled": False,
                                                                    "nonfinite": {"x": [], "value": []}}


def test_rename_unregister_restore(server, tmp_path):
    root = tmp_path / "proj"
    make_result(root, "r")
    project = server.create_project(root)
    (result,) = ingested(server, project["id"])
    assert server.api("PATCH", f"results/{result['id']}", json={"name": "renamed"})[1]["result"]["name"] == "renamed"
    server.api("PATCH", f"results/{result['id']}", json={"unregistered": True})
    assert server.results(project["id"]) == []
    _, all_results = server.api("GET", f"projects/{project['id']}/results?include_unregistered=1")
    assert all_results["results"][0]["unregistered"] is True
    server.api("PATCH", f"results/{result['id']}", json={"unregistered": False})
    assert server.results(project["id"])[0]["name"] == "renamed"
    assert server.api("PATCH", f"projects/{project['id']}", json={"name": "new"})[1]["project"]["name"] == "new"
    assert server.api("DELETE", f"projects/{project['id']}")[0] == 204
    assert server.api("GET", f"projects/{project['id']}")[0] == 404


ERROR_CASES = [
    ("GET", "projects/999", None, 404),
    ("GET", "results/999", None, 404),
    ("GET", "results/999/logs", None, 404),
    ("GET", "results/999/commands", None, 404),
    ("POST", "results/999/commands", {"name": "stop"}, 404),
    ("GET", "assets/999/file", None, 404),
    ("GET", "nonexistent", None, 404),
    ("POST", "projects", None, 400),
    ("POST", "projects", [1, 2], 400),
    ("POST", "projects", {"path": 5}, 422),
    ("POST", "projects", {"path": "/definitely/not/here"}, 404),  # names a folder that is not there
    ("POST", "projects", {"path": "/tmp/\u0000x"}, 400),  # found by the fuzzer: a NUL byte was a 500
    ("PATCH", "projects/1", {"name": "a\u0000b"}, 400),
    ("GET", "results/1/logs?keys=a%00b", None, 400),
    ("POST", "projects", {"path": "/tmp", "name": ["x"]}, 422),
    ("PATCH", "projects/1", {"name": ""}, 422),
    ("DELETE", "projects", None, 405),
]


def test_errors_have_one_shape(server):
    import requests

    for method, path, payload, status in ERROR_CASES:
        if payload is None and method == "POST":
            response = requests.post(server.api_url + path, data="{not json", timeout=10,
                                     headers={"Content-Type": "application/json"})
            code, body = response.status_code, response.json()
        else:
            code, body = server.api(method, path, json=payload)
        assert code == status, (method, path, payload)
        assert set(body) == {"error", "message"} and body["message"]


def test_bad_query_parameters(server, tmp_path):
    root = tmp_path / "proj"
    make_result(root, "r")
    project = server.create_project(root)
    (result,) = ingested(server, project["id"])
    for query in ("max_points=abc", "max_points=1", "max_points=10000000", "x_min=nan", "x_max=zz", "since=-1"):
        code, body = server.api("GET", f"results/{result['id']}/logs?{query}")
        assert code == 400 and body["error"] == "bad_request", query
    code, body = server.api("GET", f"results/{result['id']}/logs?x=no-such-key")
    assert code == 200 and all(s["x"] == [] for s in body["series"].values())


def test_duplicate_project_is_a_conflict(server, tmp_path):
    (tmp_path / "p").mkdir()
    server.create_project(tmp_path / "p", "one")
    assert server.api("POST", "projects", json={"path": str(tmp_path / "p"), "name": "two"})[0] == 409
    (tmp_path / "q").mkdir()
    assert server.api("POST", "projects", json={"path": str(tmp_path / "q"), "name": "one"})[0] == 409


def test_commands_need_a_running_job(server, tmp_path):
    root = tmp_path / "proj"
    make_result(root, "done")
    project = server.create_project(root)
    (result,) = ingested(server, project["id"])
    code, body = server.api("POST", f"results/{result['id']}/commands", json={"name": "stop"})
    assert code == 409 and "not running" in body["message"]
    for bad in ({"name": 3}, {"name": "x", "body": [1]}, {"name": "x", "schedule": {"key": "hour", "value": 1}},
                {"name": "x", "schedule": {"key": "iteration", "value": -1}}):
        assert server.api("POST", f"results/{result['id']}/commands", json=bad)[0] == 422, bad
