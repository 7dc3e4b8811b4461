"""The same poison values through every write endpoint and every file kind, on SQLite and
PostgreSQL: a value the store cannot hold and serve back is refused at the door (a 4xx naming the
field) or, in a file a job wrote, replaced and shown as the result's ingest error with what came
before it kept; every later read answers 200. Before this, an integer beyond 64 bits, a lone
surrogate or deep nesting was stored and every read after it answered 500."""
from __future__ import annotations

import json
import time
import uuid

import pytest
import requests

# JSON text, as a hostile client or file would spell it
POISON = {
    "integer beyond 64 bits": "1180591620717411303424",
    "negative integer beyond 64 bits": "-1180591620717411303424",
    "uuid4().int": str(uuid.UUID(int=2**127 + 12345).int),
    "lone surrogate": '"\\ud800"',
    "NUL character": '"a\\u0000b"',
    "NaN": "NaN",
    "Infinity": "-Infinity",
    "nesting 300 deep": "[" * 300 + "]" * 300,
}
POISON_IDS = list(POISON)


def send(server, method, path, text):
    return requests.request(method, server.api_url + path, data=text.encode(), timeout=30,
                            headers={"Content-Type": "application/json"})


def every_read(server, project_id: int, result_id: int, remote: bool = True) -> dict:
    """Every read the dashboard and a job (of a remote run) make of a project and its result: each
    must answer 200."""
    paths = ["projects", f"projects/{project_id}", f"projects/{project_id}/results", f"results/{result_id}",
             f"results/{result_id}/commands", f"results/{result_id}/logs?keys=loss", f"results/{result_id}/assets",
             "openapi.json"] + ([f"results/{result_id}/commands/pending?wait=0"] if remote else [])
    answers = {}
    for path in paths:
        response = requests.get(server.api_url + path, timeout=30)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
        answers[path] = response.json()
    return answers


def running_remote_run(server, project="remote") -> dict:
    status, body = server.api("POST", "runs", json={"project": project, "run_uid": uuid.uuid4().hex})
    assert status in (200, 201), body
    result = body["result"]
    status, body = server.api("POST", f"results/{result['id']}/batches", json={
        "log": {"first_entry": 0, "entries": [{"iteration": 1, "loss": 1.0}]},
        "status": {"status": "running", "pid": 1, "heartbeat_at": time.time(), "started_at": time.time()}})
    assert status == 200, body
    return result


@pytest.mark.parametrize("poison", POISON_IDS)
def test_every_write_endpoint_refuses_a_poison_value_naming_the_field(start_server, db_url, tmp_path, poison):
    server = start_server(db_url=db_url)
    value = POISON[poison]
    result = running_remote_run(server)
    rid, pid = result["id"], result["project_id"]
    (tmp_path / "folder").mkdir()
    door = [  # (method, path, body, the field the answer must name)
        ("POST", f"results/{rid}/commands", '{"name": "set", "body": {"k": %s}}' % value, "body"),
        ("POST", f"results/{rid}/commands", '{"name": %s, "body": {}}' % value, "name"),
        ("POST", f"results/{rid}/commands", '{"name": "set", "schedule": %s}' % value, "schedule"),
        ("PATCH", f"results/{rid}", '{"name": %s}' % value, "name"),
        ("PATCH", f"projects/{pid}", '{"name": %s}' % value, "name"),
        ("POST", "projects", '{"path": "%s", "name": %s}' % (tmp_path / "folder", value), "name"),
        ("POST", "projects", '{"path": %s}' % value, "path"),
        ("POST", "runs", '{"project": "remote", "run_uid": "%s", "name": %s}' % (uuid.uuid4().hex, value), "name"),
        ("POST", "runs", '{"project": "remote", "run_uid": "%s", "host": %s}' % (uuid.uuid4().hex, value), "host"),
        ("POST", f"results/{rid}/batches", '{"snapshots": [{"name": "snapshot_iter_1", "iteration": %s}]}' % value,
         "snapshot"),
    ]
    for method, path, text, field in door:
        response = send(server, method, path, text)
        assert 400 <= response.status_code < 500, (method, path, response.status_code, response.text[:300])
        assert field in response.json()["message"], (path, field, response.json())
    every_read(server, pid, rid)
    assert server.api("GET", f"results/{rid}/commands")[1]["commands"] == []


@pytest.mark.parametrize("poison", POISON_IDS)
def test_a_poison_value_in_an_upload_is_replaced_and_shown_as_the_ingest_error(start_server, db_url, poison):
    """A job resends a refused batch, so one odd value in what it read from its own files would hold
    up the whole run: the batch is taken with the value replaced, and the result says what."""
    server = start_server(db_url=db_url)
    value = POISON[poison]
    result = running_remote_run(server)
    rid = result["id"]
    text = ('{"log": {"first_entry": 1, "entries": [{"iteration": 2, "loss": 0.5, "bad": %s}]}, '
            '"args": {"lr": 0.1, "seed": %s}, "status": {"status": "running", "pid": 1, "heartbeat_at": %f, '
            '"hyperparams": [{"lr": 0.1, "seed": %s}]}}' % (value, value, time.time(), value))
    response = send(server, "POST", f"results/{rid}/batches", text)
    assert response.status_code == 200, response.text[:300]
    reads = every_read(server, result["project_id"], rid)
    shown = reads[f"results/{rid}"]["result"]
    assert shown["entry_count"] == 2 and shown["args"]["lr"] == 0.1
    assert reads[f"results/{rid}/logs?keys=loss"]["series"]["loss"]["y"] == [1.0, 0.5]
    if poison in SILENT:  # what Chainer writes and trainui always read so: NaN as null, NUL dropped
        assert shown["args"]["seed"] == SILENT[poison]
    else:
        assert "args.seed" in (shown["ingest_error"] or "") and "status" in shown["ingest_error"], shown


SILENT = {"NaN": None, "Infinity": None, "NUL character": "ab"}
FILE_KINDS = {  # file -> its text, holding the poison after something good
    "args": lambda v: '{"lr": 0.1, "seed": %s}' % v,
    "log": lambda v: '[{"iteration": 1, "loss": 1.0}, {"iteration": 2, "loss": 2.0, "x": %s}]' % v,
    "log key": lambda v: '[{"iteration": 1, "loss": 1.0}, {"iteration": 2, %s: 1}]' % (
        v if v.startswith('"') else '"k"'),
    ".trainui/status.json": lambda v: '{"status": "running", "pid": 1, "heartbeat_at": %f, "message": %s}' % (
        time.time(), v),
    ".trainui/assets.jsonl": lambda v: '{"tag": "ok", "step": 1, "path": "a.png"}\n'
                                       '{"tag": %s, "step": 2, "path": "b.png"}\n' % v,
}


@pytest.mark.parametrize("poison", POISON_IDS)
def test_a_poison_value_in_every_file_kind_is_an_ingest_error_and_keeps_what_came_before(start_server, db_url,
                                                                                        tmp_path, poison):
    server = start_server(db_url=db_url)
    project_dir = tmp_path / "project"
    for kind, text_of in FILE_KINDS.items():
        directory = project_dir / kind.replace("/", "_").replace(" ", "_").lstrip(".")
        (directory / ".trainui").mkdir(parents=True)
        if kind not in ("log", "log key"):
            (directory / "log").write_text('[{"iteration": 1, "loss": 1.0}]')
        (directory / kind.split(" ")[0]).write_text(text_of(POISON[poison]))
    project = server.create_project(project_dir)
    results = server.wait_for(lambda: (lambda r: r if len(r) == len(FILE_KINDS) and all(
        x["entry_count"] >= 1 for x in r) else None)(server.results(project["id"])), timeout=30)
    for result in results:
        every_read(server, project["id"], result["id"], remote=False)
        logs = requests.get(server.api_url + f"results/{result['id']}/logs?keys=loss", timeout=10).json()
        assert logs["series"]["loss"]["y"][0] == 1.0, (result["name"], logs)  # the entries before it are kept
    by_name = {r["name"]: r for r in results}
    damaged = {name for name, r in by_name.items() if r["ingest_error"]}
    assert damaged >= DAMAGED_FILES.get(poison, {"args", "trainui_status.json", "trainui_assets.jsonl"}), {
        n: r["ingest_error"] for n, r in by_name.items()}
    if poison in SILENT:
        assert by_name["args"]["args"]["seed"] == SILENT[poison]


DAMAGED_FILES = {  # which results must show an ingest error (the rest: the default of the test)
    "lone surrogate": {"args", "log_key", "trainui_status.json", "trainui_assets.jsonl"},
    "NUL character": {"log_key", "trainui_assets.jsonl"},
    "NaN": {"trainui_assets.jsonl"},
    "Infinity": {"trainui_assets.jsonl"},
}


def test_a_log_nested_too_deeply_is_an_ingest_error_with_the_entries_before_it_kept(start_server, db_url, tmp_path):
    server = start_server(db_url=db_url)
    directory = tmp_path / "project" / "deep"
    directory.mkdir(parents=True)
    deep = "[" * 100_000 + "]" * 100_000
    (directory / "log").write_text('[{"iteration": 1, "loss": 1.0}, {"iteration": 2, "loss": 0.5}, '
                                   '{"iteration": 3, "loss": %s}, {"iteration": 4, "loss": 0.1}]' % deep)
    project = server.create_project(tmp_path / "project")
    result = server.wait_for(lambda: (lambda r: r[0] if r and r[0]["ingest_error"] else None)(
        server.results(project["id"])), timeout=20)
    assert "nested" in result["ingest_error"] and result["entry_count"] == 2, result
    every_read(server, project["id"], result["id"], remote=False)


def test_values_stored_before_the_check_are_served_repaired(start_server, db_url):
    """A database written by an earlier version may hold what the store now refuses: every read still
    answers, and the job's poll still delivers its commands."""
    server = start_server(db_url=db_url)
    result = running_remote_run(server)
    rid = result["id"]
    status, body = server.api("POST", f"results/{rid}/commands", json={"name": "set", "body": {"k": 1}})
    assert status == 201, body
    import sqlalchemy

    engine = sqlalchemy.create_engine(db_url or f"sqlite:///{server.root / 'trainui.db'}")
    deep = "[" * 300 + "]" * 300
    with engine.begin() as conn:
        conn.execute(sqlalchemy.text("UPDATE commands SET body = :b WHERE result_id = :r"),
                     {"b": '{"k": 1180591620717411303424}', "r": rid})
        conn.execute(sqlalchemy.text("UPDATE results SET args = :a WHERE id = :r"),
                     {"a": '{"seed": %d, "deep": %s}' % (uuid.UUID(int=2**127).int, deep), "r": rid})
    engine.dispose()
    reads = every_read(server, result["project_id"], rid)
    assert reads[f"results/{rid}/commands/pending?wait=0"]["commands"][0]["name"] == "set"
    assert "seed" in reads[f"results/{rid}"]["result"]["args"]
