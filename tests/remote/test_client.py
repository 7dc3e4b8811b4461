"""``trainui.Client`` and `trainui command` against a real server and a real running job."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import trainui
from remote_helpers import kill_tree, start_remote_job, wait_for_remote_run
from trainui.client import ClientError
from trainui.trainer.uploader import sync
from trainui_job_helpers import finish, job_env, read_log, read_rank_records


def test_client_reads_a_100k_entry_series_whole_as_lists_and_arrays(remote, tmp_path):
    out = tmp_path / "laptop" / "long-run"
    with trainui.Run(str(out), args={"lr": 0.1}, progress=False, handle_signals=False) as run:
        for i in range(1, 100_001):
            run.log({"main/loss": 1.0 / i, "main/accuracy": (i % 997) / 997}, iteration=i, epoch=i // 1000)
    report = sync(str(out), remote.url, remote.project, remote.token)
    assert report.entries == 100_000

    client = remote.client()
    assert [p["name"] for p in client.projects()] == [remote.project]
    (result,) = client.results(remote.project)
    assert result["id"] == report.result_id and client.result(result["id"])["entry_count"] == 100_000

    loss = client.series(result["id"], "main/loss")["main/loss"]
    assert len(loss) == 100_000 and not loss.downsampled
    assert loss.x == [float(i) for i in range(1, 100_001)]
    assert loss.y == [1.0 / i for i in range(1, 100_001)]
    x, y = client.arrays(result["id"], ["main/accuracy"])["main/accuracy"]
    assert isinstance(y, np.ndarray) and y.shape == (100_000,)
    np.testing.assert_array_equal(y, [(i % 997) / 997 for i in range(1, 100_001)])

    thinned = client.series(result["id"], ["main/loss"], max_points=1000)["main/loss"]
    assert thinned.downsampled and len(thinned) <= 1000
    client.page_points = 30_000  # fewer points per answer than the series has: read in x ranges
    assert client.series(result["id"], "main/loss")["main/loss"].y == loss.y


def test_client_and_cli_commands_are_answered_by_a_running_job(remote, tmp_path):
    out = tmp_path / "job-host" / "steered"
    job = start_remote_job(remote, out, "--iterations", "1000000", "--sleep", "0.01", "--image-every", "0")
    try:
        rid = wait_for_remote_run(remote, job)["id"]
        client = trainui.Client(remote.url)
        answered = client.command(rid, "adjust_hyperparams", {"lr": 0.02}, timeout=60)
        assert answered["status"] == "SUCCESS" and answered["response"]["hyperparams"][0]["lr"] == 0.02
        assert answered["iteration"] >= 1 and answered["ranks"] == 1

        held = cli("command", str(rid), "adjust_hyperparams", "lr=0.03", "--mode", "hold", "--server", remote.url)
        assert held.returncode == 0 and "adjust_hyperparams: SUCCESS at iteration" in held.stdout, held.stderr
        assert '"mode": "hold"' in held.stdout and '"in_force": 0.03' in held.stdout

        failed = cli("command", str(rid), "no_such_command", "--server", remote.url)
        assert failed.returncode == 1 and "no_such_command: FAILURE" in failed.stdout
        assert "unknown command" in failed.stdout

        evaluated = cli("command", str(rid), "evaluate", "--server", remote.url)
        assert evaluated.returncode == 0 and "evaluate: SUCCESS at iteration" in evaluated.stdout

        stopped = cli("command", str(rid), "stop", "--server", remote.url)
        assert stopped.returncode == 0, stopped.stderr
        assert "stop: SUCCESS at iteration" in stopped.stdout
        finish(job, timeout=60)
    finally:
        kill_tree(job)
    applied = [r["name"] for r in read_rank_records(str(out))[0]]
    assert applied == ["adjust_hyperparams", "adjust_hyperparams", "no_such_command", "evaluate", "stop"]
    assert read_log(str(out))[-1]["lr"] == 0.03


def test_client_and_cli_say_what_went_wrong(remote, tmp_path):
    client = trainui.Client(remote.url, token="not-a-token")
    with pytest.raises(ClientError) as refused:
        client.projects()
    assert refused.value.status == 401
    with pytest.raises(ClientError) as unreachable:
        trainui.Client("http://127.0.0.1:9", timeout=5).projects()
    assert unreachable.value.status is None and "cannot reach" in str(unreachable.value)

    with pytest.raises(TimeoutError, match=f"no running result in project '{remote.project}'"):
        remote.client().wait_for_result(remote.project, status="running", timeout=0.5, interval=0.1)
    with pytest.raises(ClientError, match="no project named 'nope'"):
        remote.client().wait_for_result("nope", timeout=0.5)

    missing = cli("command", "999", "stop", "--server", remote.url)
    assert missing.returncode == 2 and "999" in missing.stderr
    assert cli("command", "1", "adjust_hyperparams", "lr", "--server", remote.url).returncode == 2
    misplaced = cli("command", "1", "stop", "--mode", "hold", "--server", remote.url)
    assert misplaced.returncode == 2 and "--mode is for adjust_hyperparams" in misplaced.stderr


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "trainui.cli", *args], env=job_env(), capture_output=True, text=True,
                          timeout=120)
