"""Issue 24's acceptance, end to end with nobody at the keyboard: a real server, the NaN-guard
preset on the project, a real job (alone and under torchrun --nproc_per_node=2) whose loss goes
NaN at iteration 25. The rule fires once, its restore brings back snapshot 20 with the lr halved on
every rank, the job finishes finite, the server's series holds each iteration once, and the
replayed history after the rewind fires nothing again. The firing is an event on the run's curves."""
from __future__ import annotations

import math
import os
import sys

import pytest

import trainui
from trainui_job_helpers import api_running_result, finish, start_job

pytestmark = pytest.mark.slow
JOB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "jobs", "restore_job.py")


def argv(out, nproc):
    script = [JOB, "--out", out, "--iterations", "50", "--poison-at", "25", "--sleep", "0.08"]
    if nproc == 1:
        return [sys.executable, *script]
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}", *script]


@pytest.mark.parametrize("nproc", [1, 2])
def test_the_nan_guard_restores_a_job_with_its_lr_halved_and_it_finishes_finite(tmp_path, trainui_server, nproc):
    project_dir = tmp_path / "project"
    project_dir.mkdir()
    project = trainui_server.create_project(project_dir, "guarded")
    presets = {p["id"]: p for p in trainui_server.api("GET", "rules/presets")[1]["presets"]}
    status, made = trainui_server.api("POST", f"projects/{project['id']}/rules", json=presets["nan-guard"]["definition"])
    assert status == 201, made
    rule = made["rule"]
    assert rule["action"] == {"kind": "command", "name": "restore", "body": {"multiply": {"lr": 0.5}}}

    out = str(project_dir / "run")
    job = start_job(argv(out, nproc))
    result = api_running_result(trainui_server, project["id"], out, timeout=90)
    finish(job, timeout=240)

    client = trainui.Client(trainui_server.url)

    def settled():
        loss = client.series(result["id"], ["main/loss"])["main/loss"]
        return loss if len(loss) == 50 and loss.x[-1] == 50 else None

    loss = trainui_server.wait_for(settled, timeout=60)
    assert loss.x == list(range(1, 51)) and all(math.isfinite(y) for y in loss.y)
    (firing,) = trainui_server.api("GET", f"rules/{rule['id']}/firings")[1]["firings"]  # once: the replay fired nothing
    assert firing["x"] == 25.0 and firing["outcome"] == "sent", firing
    assert firing["command_status"] == "SUCCESS", firing
    response = firing["command_response"]
    assert response["snapshot"] == "snapshot_iter_20.pt" and response["iteration"] == 20, response
    assert response["hyperparams"][0]["lr"] == pytest.approx(0.05)
    commands = trainui_server.api("GET", f"results/{result['id']}/commands")[1]["commands"]
    assert [c["name"] for c in commands] == ["restore"] and commands[0]["ranks"] == nproc
    lr = client.series(result["id"], ["lr"])["lr"]
    assert lr.y[19] == pytest.approx(0.1) and lr.y[20] == pytest.approx(0.05)
    events = trainui_server.api("GET", f"results/{result['id']}/events")[1]["events"]
    assert any(e["kind"] == "automation" and e["iteration"] == 25 for e in events), events
