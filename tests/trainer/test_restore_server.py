"""``restore`` through a real server: the NaN a job logs reaches the server's series, one ``restore``
posted through the API rewinds the job, and afterwards the server's series holds each iteration once
with the re-run values (the job's rewritten ``log`` is read again as a replaced file), all finite."""
from __future__ import annotations

import math
import os
import sys

import pytest

import trainui
from trainui_job_helpers import api_post_command, api_running_result, api_wait_command, finish, start_job

pytestmark = pytest.mark.slow
JOB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "jobs", "restore_job.py")


def test_restore_through_the_api_leaves_one_point_per_iteration_on_the_server(tmp_path, trainui_server):
    project_dir = tmp_path / "project"
    project_dir.mkdir()
    project = trainui_server.create_project(project_dir, "restore")
    out = str(project_dir / "run")
    job = start_job([sys.executable, JOB, "--out", out, "--iterations", "50", "--poison-at", "25", "--sleep", "0.08"])
    result = api_running_result(trainui_server, project["id"], out, timeout=60)
    client = trainui.Client(trainui_server.url)

    def nan_seen():  # a NaN point, or (a log that writes NaN as null) a loss that stops while lr goes on
        series = client.series(result["id"], ["main/loss", "lr"])
        loss, lr = series.get("main/loss"), series.get("lr")
        if not (loss and lr and loss.x and lr.x):
            return False
        return any(math.isnan(y) for y in loss.y) or max(lr.x) > max(loss.x) + 1

    trainui_server.wait_for(nan_seen, timeout=60)
    command = api_post_command(trainui_server, result["id"], "restore", {"multiply": {"lr": 0.5}})
    answered = api_wait_command(trainui_server, result["id"], command["id"], timeout=60)
    finish(job, timeout=120)
    assert answered["status"] == "SUCCESS", answered
    assert answered["response"]["snapshot"] == "snapshot_iter_20.pt", answered

    def settled():
        series = client.series(result["id"], ["main/loss", "lr"])
        loss = series["main/loss"]
        return len(loss) == 50 and loss.x[-1] == 50 and series

    series = trainui_server.wait_for(settled, timeout=60)
    assert series["main/loss"].x == list(range(1, 51))  # one point per iteration, the abandoned ones gone
    assert all(math.isfinite(y) for y in series["main/loss"].y)
    assert series["lr"].y[19] == pytest.approx(0.1) and series["lr"].y[20] == pytest.approx(0.05)
