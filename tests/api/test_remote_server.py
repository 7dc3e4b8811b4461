"""The server's side of remote jobs, spoken to as an uploader would over HTTP: runs opened once,
entries applied once whatever is retried, gaps refused, commands long-polled and answered, images
kept in the database; and the roles of tokens, checked on every endpoint that writes."""
from __future__ import annotations

import os
import struct
import subprocess
import sys
import threading
import time
import zlib

import requests

from trainui import protocol

RUN_UID = "0123456789abcdef0123456789abcdef"


def png(width=2, height=2) -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def status(state="running", heartbeat_interval=2.0) -> dict:
    return protocol.JobStatus(status=state, pid=1234, host="gpu-node-7", started_at=time.time(),
                              heartbeat_at=time.time(), heartbeat_interval=heartbeat_interval, world_size=2,
                              commands=["take_snapshot", "adjust_hyperparams", "stop", "evaluate"]).to_json()


def entries(first, last):
    return [{"iteration": i, "main/loss": 1.0 / i} for i in range(first, last)]


def test_a_remote_run_over_http(trainui_server):
    api = trainui_server.api_url
    opened = requests.post(api + "runs", json={"project": "cloud", "run_uid": RUN_UID, "host": "gpu-node-7",
                                               "path": "/scratch/run1"}, timeout=10)
    assert opened.status_code == 201, opened.text
    result = opened.json()["result"]
    assert result["source"] == "http" and result["entry_count"] == 0 and result["name"] == "gpu-node-7:run1"
    again = requests.post(api + "runs", json={"project": "cloud", "run_uid": RUN_UID}, timeout=10)
    assert again.status_code == 200 and again.json()["result"]["id"] == result["id"]
    batches = api + f"results/{result['id']}/batches"

    first = {"log": {"first_entry": 0, "entries": entries(1, 6)}, "args": {"lr": 0.1}, "status": status()}
    assert requests.post(batches, json=first, timeout=10).json()["entry_count"] == 5
    assert requests.post(batches, json=first, timeout=10).json()["entry_count"] == 5  # a retry stores nothing twice
    overlap = {"log": {"first_entry": 3, "entries": entries(4, 11)}}
    assert requests.post(batches, json=overlap, timeout=10).json()["entry_count"] == 10
    gap = requests.post(batches, json={"log": {"first_entry": 20, "entries": entries(21, 23)}}, timeout=10)
    assert gap.status_code == 409 and gap.json()["error"] == "gap" and gap.json()["entry_count"] == 10
    _, logs = trainui_server.api("GET", f"results/{result['id']}/logs?keys=main/loss")
    assert logs["series"]["main/loss"]["x"] == [float(i) for i in range(1, 11)]

    # A command posted through the API reaches a waiting long poll at once, and its answer comes back in a batch.
    polled = {}

    def poll():
        started = time.monotonic()
        polled["answer"] = requests.get(api + f"results/{result['id']}/commands/pending?wait=20", timeout=30).json()
        polled["took"] = time.monotonic() - started
    waiter = threading.Thread(target=poll)
    waiter.start()
    time.sleep(0.5)
    code, posted = trainui_server.api("POST", f"results/{result['id']}/commands",
                                      json={"name": "adjust_hyperparams", "body": {"lr": 0.01}})
    assert code == 201, posted
    waiter.join()
    (record,) = polled["answer"]["commands"]
    assert record["uid"] == posted["command"]["uid"] and polled["took"] < 15
    answer = protocol.CommandResponse(uid=record["uid"], name=record["name"], status="SUCCESS", iteration=10,
                                      epoch=0, body={"lr": 0.01}, ranks=2).to_json()
    done = requests.post(batches, json={"answers": [answer], "status": status(),
                                        "snapshots": [{"name": "snapshot_iter_10.pt", "iteration": 10, "size": 99,
                                                       "mtime": time.time()}]}, timeout=10)
    assert done.status_code == 200 and done.json()["pending"] == 0
    _, commands = trainui_server.api("GET", f"results/{result['id']}/commands")
    (command,) = commands["commands"]
    assert command["status"] == "SUCCESS" and command["ranks"] == 2 and command["iteration"] == 10

    # Images are kept in the database and served like any other.
    uploaded = requests.post(api + f"results/{result['id']}/assets?tag=samples&step=10&iteration=10", data=png(),
                             headers={"Content-Type": "image/png"}, timeout=10)
    assert uploaded.status_code == 201, uploaded.text
    assert requests.get(api + uploaded.json()["asset"]["url"], timeout=10).content == png()
    not_png = requests.post(api + f"results/{result['id']}/assets?tag=x&step=1", data=b"GIF89a", timeout=10)
    assert not_png.status_code == 400
    _, detail = trainui_server.api("GET", f"results/{result['id']}")
    assert [s["name"] for s in detail["result"]["snapshots"]] == ["snapshot_iter_10.pt"]
    assert detail["result"]["asset_tags"] == ["samples"] and detail["result"]["args"] == {"lr": 0.1}

    # A job that goes silent is shown as crashed, and what it never answered is cancelled.
    requests.post(batches, json={"status": status(heartbeat_interval=0.5)}, timeout=10)
    assert trainui_server.api("POST", f"results/{result['id']}/commands", json={"name": "stop"})[0] == 201
    trainui_server.wait_for(lambda: trainui_server.api("GET", f"results/{result['id']}")[1]["result"]["status"]
                            == "crashed", timeout=20)
    _, commands = trainui_server.api("GET", f"results/{result['id']}/commands")
    assert [c["status"] for c in commands["commands"]] == ["SUCCESS", "CANCELLED"]


def test_uploads_with_bad_fields_are_refused_with_a_reason(trainui_server):
    api = trainui_server.api_url
    result = requests.post(api + "runs", json={"project": "cloud", "run_uid": RUN_UID}, timeout=10).json()["result"]
    batches = api + f"results/{result['id']}/batches"
    for bad in ({"log": {"first_entry": -1, "entries": []}}, {"log": {"first_entry": 0, "entries": "x"}},
                {"status": {"status": "running", "pid": "x"}}, {"snapshots": [{"name": "evil", "iteration": 1}]},
                {"answers": [{"uid": 1}]}, {"surprise": 1}, {"args": [1]}):
        response = requests.post(batches, json=bad, timeout=10)
        assert response.status_code == 400 and response.json()["message"], (bad, response.text)
    for bad_run in ({"project": "cloud", "run_uid": "short"}, {"project": "", "run_uid": RUN_UID},
                    {"project": "cloud", "run_uid": RUN_UID, "name": 5}):
        assert requests.post(api + "runs", json=bad_run, timeout=10).status_code in (400, 422)


def make_token(server, role, project=None) -> str:
    env = dict(os.environ, TRAINUI_ROOT=str(server.root))
    env.pop("TRAINUI_DB_URL", None)
    out = subprocess.run([sys.executable, "-m", "trainui.cli", "token", "create", "--role", role]
                         + (["--project", project] if project else []), env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_every_write_refuses_a_viewer_and_a_job_token_outside_its_project(trainui_server, tmp_path):
    api = trainui_server.api_url
    (tmp_path / "files").mkdir()
    file_project = trainui_server.create_project(tmp_path / "files", "files")
    mine = requests.post(api + "runs", json={"project": "mine", "run_uid": RUN_UID}, timeout=10).json()["result"]
    theirs = requests.post(api + "runs", json={"project": "theirs", "run_uid": RUN_UID}, timeout=10).json()["result"]
    viewer, job = make_token(trainui_server, "viewer"), make_token(trainui_server, "job", "mine")
    operator = make_token(trainui_server, "operator")

    def call(token, method, path, **kwargs):
        return requests.request(method, api + path, headers={"Authorization": f"Bearer {token}"}, timeout=10,
                                **kwargs).status_code
    spec = requests.get(api + "openapi.json", timeout=10).json()
    writes = [(method.upper(), path) for path, ops in spec["paths"].items() for method in ops
              if method in ("post", "patch", "delete")]
    assert len(writes) == 18  # every POST, PATCH and DELETE of the API
    ids = {"project_id": file_project["id"], "result_id": theirs["id"], "asset_id": 1, "snapshot_id": 1, "rule_id": 1,
           "view_id": 1}
    for method, path in writes:
        concrete = path.format(**ids)
        assert call(viewer, method, concrete, json={}) == 403, (method, path)
        assert call(job, method, concrete, json={"project": "theirs", "run_uid": RUN_UID}) == 403, (method, path)
    assert call(viewer, "GET", f"results/{theirs['id']}/commands/pending") == 403
    assert call(job, "GET", f"results/{theirs['id']}/commands/pending") == 403
    assert call(job, "GET", f"results/{theirs['id']}") == 403
    assert call(job, "GET", "projects") == 403  # a job token reads nothing but its own runs

    # what each may do
    assert call(viewer, "GET", "projects") == 200 and call(viewer, "GET", f"results/{theirs['id']}/logs") == 200
    assert call(job, "POST", "runs", json={"project": "mine", "run_uid": "f" * 32}) == 201
    assert call(job, "POST", f"results/{mine['id']}/batches",
                json={"log": {"first_entry": 0, "entries": entries(1, 3)}}) == 200
    assert call(job, "GET", f"results/{mine['id']}") == 200
    assert call(operator, "PATCH", f"results/{theirs['id']}", json={"name": "renamed"}) == 200
    assert call(operator, "POST", f"results/{theirs['id']}/batches", json={}) == 403  # operators steer, jobs ship
    assert call("not-a-token", "GET", "projects") == 401


def test_a_shared_viewer_link_is_read_only(trainui_server):
    viewer = make_token(trainui_server, "viewer")
    browser = requests.Session()
    assert browser.get(trainui_server.url + f"?token={viewer}", timeout=10).status_code == 200
    assert browser.get(trainui_server.api_url + "projects", timeout=10).status_code == 200  # the cookie carries it
    assert browser.post(trainui_server.api_url + "projects", json={"path": "/tmp"}, timeout=10).status_code == 403


def test_no_token_off_loopback_is_401(start_server):
    server = start_server(extra_args=("--host", "0.0.0.0", "--token", "admin-secret"))
    url = server.api_url.replace("0.0.0.0", "127.0.0.1")
    for method, path in (("GET", "projects"), ("POST", "runs"), ("POST", "results/1/batches"),
                         ("GET", "results/1/commands/pending"), ("POST", "results/1/commands")):
        assert requests.request(method, url + path, json={}, timeout=10).status_code == 401, (method, path)
    assert requests.get(url + "projects", headers={"Authorization": "Bearer admin-secret"}, timeout=10).status_code == 200
