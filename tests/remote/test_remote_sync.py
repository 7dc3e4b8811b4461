"""`trainui sync` of runs recorded offline or left behind, and jobs restarted into their directory:
the server ends with exactly the entries of the local log, in one run, however often it is shipped."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from remote_helpers import (kill_tree, local_entries, remote_results, server_entries, start_remote_job,
                            wait_for_remote_run)
from trainui_job_helpers import (api_post_command, api_wait_command, finish, job_env, quickstart_argv, read_log,
                                 wait_for_log)


def trainui_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "trainui.cli", *args], env=env or job_env(), capture_output=True,
                          text=True, timeout=300)


def offline_env() -> dict:
    env = job_env()
    for name in ("TRAINUI_SERVER", "TRAINUI_PROJECT", "TRAINUI_TOKEN"):
        env.pop(name, None)
    return env


def what_the_server_holds(remote, result_id: int) -> dict:
    status, body = remote.server.api("GET", f"results/{result_id}")
    assert status == 200, body
    result = body["result"]
    status, assets = remote.server.api("GET", f"results/{result_id}/assets")
    assert status == 200, assets
    return {
        "results": [(r["id"], r["name"]) for r in remote_results(remote)],
        "fields": {k: result[k] for k in ("id", "status", "args", "entry_count", "keys", "last_values", "hyperparams",
                                          "iteration", "epoch", "asset_tags")},
        "snapshots": [(s["name"], s["iteration"], s["size"]) for s in result["snapshots"]],
        "assets": sorted((a["tag"], a["step"]) for a in assets["assets"]),
        "entries": server_entries(remote, result_id),
    }


def test_sync_of_an_offline_run_twice_gives_what_once_gives(remote, tmp_path):
    out = tmp_path / "laptop" / "offline-run"
    job = subprocess.Popen(quickstart_argv(out, "--iterations", "300", "--log-every", "5", "--image-every", "100",
                                           "--snapshot-every", "100"),
                           env=offline_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    finish(job, timeout=120)
    assert not os.path.exists(out / ".trainui" / "upload.json")  # recorded without any server

    ship = ("sync", str(out), "--server", remote.url, "--project", remote.project, "--token", remote.token)
    first = trainui_cli(*ship)
    assert first.returncode == 0, first.stderr
    assert "holds 60 entries (60 shipped now)" in first.stdout
    (run,) = remote_results(remote)
    once = what_the_server_holds(remote, run["id"])
    assert once["entries"] == local_entries(out)
    assert once["fields"]["status"] == "finished" and once["fields"]["args"]["iterations"] == 300
    assert [s[0] for s in once["snapshots"]] == ["snapshot_iter_100.pt", "snapshot_iter_200.pt",
                                                 "snapshot_iter_300.pt"]
    assert once["assets"] == [("hidden_weights", 100), ("hidden_weights", 200), ("hidden_weights", 300)]

    second = trainui_cli(*ship)
    assert second.returncode == 0, second.stderr
    assert "holds 60 entries (0 shipped now)" in second.stdout
    assert what_the_server_holds(remote, run["id"]) == once


def test_sync_ships_the_rest_of_a_run_whose_upload_fell_behind(remote, tmp_path):
    out = tmp_path / "job-host" / "fell-behind"
    job = start_remote_job(remote, out, "--iterations", "1000000", "--sleep", "0.01", "--log-every", "1",
                           "--image-every", "0")
    try:
        run = wait_for_remote_run(remote, job, min_entries=20)
        remote.server.kill()  # from here on nothing reaches the server
        shipped = len(read_log(str(out)))
        wait_for_log(str(out), shipped + 100, timeout=60, job=job)
    finally:
        kill_tree(job)  # SIGKILL: no final flush; the directory is all there is
    remote.server.start()
    local = local_entries(out)
    assert len(local) > shipped

    # no --server/--project: the directory remembers where it was shipped (and as which run)
    done = trainui_cli("sync", str(out), "--token", remote.token)
    assert done.returncode == 0, done.stderr
    assert f"result {run['id']} " in done.stdout
    assert [r["id"] for r in remote_results(remote)] == [run["id"]]
    assert server_entries(remote, run["id"]) == local


def test_a_job_restarted_from_its_snapshot_continues_its_run_without_doubling_entries(remote, tmp_path):
    out = tmp_path / "job-host" / "resumed"
    args = ("--iterations", "1000000", "--sleep", "0.005", "--log-every", "1", "--image-every", "0",
            "--snapshot-every", "50")
    job = start_remote_job(remote, out, *args)
    try:
        run = wait_for_remote_run(remote, job, min_entries=130)  # snapshots at 50, 100; killed past them
    finally:
        kill_tree(job)
    before = read_log(str(out))
    assert before[-1]["iteration"] > 100

    job = start_remote_job(remote, out, *args, "--resume", "latest")
    try:
        wait_for_log(str(out), before[-1]["iteration"] + 50, timeout=90, job=job)
        stop = api_wait_command(remote.server, run["id"], api_post_command(remote.server, run["id"], "stop")["id"])
        assert stop["status"] == "SUCCESS"
        finish(job, timeout=60)
    finally:
        kill_tree(job)

    assert [r["id"] for r in remote_results(remote)] == [run["id"]]  # the same run, continued
    local = local_entries(out)
    iterations = [x for x, _ in local]
    assert iterations == sorted(set(iterations))  # replayed steps went aside: each iteration once
    assert iterations[-1] > before[-1]["iteration"] + 40
    assert server_entries(remote, run["id"]) == local


def test_a_refused_token_does_not_stop_training(remote, tmp_path):
    out = tmp_path / "job-host" / "refused"
    env = remote.job_env(TRAINUI_PROJECT="not-my-project")  # the job token is bound to another project
    job = start_remote_job(remote, out, "--iterations", "200", "--image-every", "0", env=env)
    _, stderr = finish(job, timeout=120)
    assert "refused the upload" in stderr and "403" in stderr
    assert read_log(str(out))[-1]["iteration"] == 200
    assert remote_results(remote) == []


def test_a_fresh_run_into_the_same_directory_is_a_new_server_run(remote, tmp_path):
    out = tmp_path / "job-host" / "again"
    for _ in range(2):  # the second, without --resume, goes beside the first: again-2, a run of its own
        finish(start_remote_job(remote, out, "--iterations", "100", "--image-every", "0"), timeout=120)
    first, second = remote_results(remote)
    assert (first["name"], second["name"]) == ("again", "again-2") and first["id"] != second["id"]
    assert (first["entry_count"], second["entry_count"]) == (10, 10)
    beside = tmp_path / "job-host" / "again-2"
    assert server_entries(remote, first["id"]) == local_entries(out)
    assert server_entries(remote, second["id"]) == local_entries(beside)
    identities = {json.loads((d / ".trainui" / "upload.json").read_text())["run_uid"] for d in (out, beside)}
    assert len(identities) == 2  # each directory keeps its own run identity
