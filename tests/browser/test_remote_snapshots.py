"""Issue 19, point 7: a run shipped over HTTP keeps its snapshots on the job's machine (they are not
uploaded). The API says where (host and path there) and its download answers a 404 that says so;
the result page shows the place instead of a link that answers 404. A run the server reads from
disk still links its snapshots."""
from __future__ import annotations

import socket

import pytest
import requests

import trainui
from trainui.trainer.uploader import sync

torch = pytest.importorskip("torch")


def record_with_a_snapshot(out, iterations=5):
    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with trainui.Run(str(out), args={"lr": 0.1}, model=model, optimizer=optimizer, progress=False,
                     handle_signals=False) as run:
        for i in range(1, iterations + 1):
            run.log({"main/loss": 1.0 / i}, iteration=i)
            run.step(iteration=i)
        return run.snapshot()


def test_a_remote_run_s_snapshot_says_where_it_is_and_links_nowhere(trainui_server, page, tmp_path):
    out = tmp_path / "job-host" / "remote-run"
    path = record_with_a_snapshot(out)
    report = sync(str(out), trainui_server.url.rstrip("/"), "shipped", None)
    assert report.entries == 5

    status, body = trainui_server.api("GET", f"results/{report.result_id}")
    assert status == 200, body
    (snap,) = body["result"]["snapshots"]
    assert snap["location"] == "job" and snap["host"] == socket.gethostname() and snap["job_path"] == path, snap
    assert body["result"]["job_directory"] == str(out)
    download = requests.get(trainui_server.api_url + f"snapshots/{snap['id']}/file", timeout=10)
    assert download.status_code == 404 and download.json()["error"] == "not_found", download.text
    assert f"on the job's machine ({socket.gethostname()}) at {path}" in download.json()["message"]

    page.goto(f"{trainui_server.url}results/{report.result_id}")
    cell = page.locator(".snapshots-table .snapshot-remote")
    cell.wait_for()
    assert f"on the job's machine ({socket.gethostname()}) at {path}" in cell.inner_text()
    assert page.locator(".snapshots-table a").count() == 0  # no link to a 404
    assert page.locator(".result-path").inner_text() == \
        f"shipped over HTTP; its files are on the job's machine ({socket.gethostname()}) at {out}"

    local = tmp_path / "local"
    local_path = record_with_a_snapshot(local / "run")
    project = trainui_server.create_project(local, "local")
    (result,) = trainui_server.wait_for(lambda: trainui_server.results(project["id"]), timeout=20)
    snaps = trainui_server.wait_for(
        lambda: trainui_server.api("GET", f"results/{result['id']}")[1]["result"]["snapshots"], timeout=20)
    assert snaps[0]["location"] == "server" and "job_path" not in snaps[0]
    page.goto(f"{trainui_server.url}results/{result['id']}")
    page.locator(".snapshots-table a.snapshot-link").wait_for()
    got = requests.get(trainui_server.api_url + f"snapshots/{snaps[0]['id']}/file", timeout=10)
    assert got.status_code == 200 and got.content == open(local_path, "rb").read()
    assert page.recorder.errors == []
