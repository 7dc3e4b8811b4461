"""Steering real jobs through a real server: torchrun with 2 ranks, concurrency, crashes."""
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

torch = pytest.importorskip("torch")

REPO = Path(__file__).resolve().parents[2]
QUICKSTART = REPO / "examples" / "quickstart" / "train.py"


def start_job(out, *extra, ranks=1, iterations=1_000_000, sleep=0.01):
    args = [str(QUICKSTART), "--out", str(out), "--iterations", str(iterations), "--sleep", str(sleep),
            "--no-progress", "--log-every", "5", *extra]
    if ranks > 1:
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(ranks),
               *args]
    else:
        cmd = [sys.executable, *args]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    return subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)


def running_result(server, project_id):
    def find():
        results = server.results(project_id)
        return results and results[0]["status"] == "running" and results[0]
    return server.wait_for(find, timeout=60)


def command_done(server, result_id, command_id, timeout=30):
    def done():
        _, body = server.api("GET", f"results/{result_id}/commands")
        (command,) = [c for c in body["commands"] if c["id"] == command_id]
        return command["status"] != "PENDING" and command
    return server.wait_for(done, timeout=timeout)


def post(server, result_id, name, body=None, schedule=None):
    payload = {"name": name, "body": body or {}}
    if schedule:
        payload["schedule"] = schedule
    status, answer = server.api("POST", f"results/{result_id}/commands", json=payload)
    assert status == 201, answer
    return answer["command"]


def rank_records(out, rank):
    path = Path(out) / ".trainui" / "ranks" / f"rank{rank}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_torchrun_job_applies_lr_snapshot_and_stop_on_both_ranks(trainui_server, tmp_path):
    root = tmp_path / "proj"
    out = root / "ddp"
    root.mkdir()
    project = trainui_server.create_project(root)
    job = start_job(out, ranks=2)
    try:
        result = running_result(trainui_server, project["id"])
        assert trainui_server.api("GET", f"results/{result['id']}")[1]["result"]["world_size"] == 2

        lr = command_done(trainui_server, result["id"],
                          post(trainui_server, result["id"], "adjust_hyperparams", {"lr": 0.0123})["id"])
        assert lr["status"] == "SUCCESS" and lr["ranks"] == 2 and lr["iteration"] is not None
        snap = command_done(trainui_server, result["id"],
                            post(trainui_server, result["id"], "take_snapshot")["id"])
        assert snap["status"] == "SUCCESS" and snap["ranks"] == 2
        stop = command_done(trainui_server, result["id"], post(trainui_server, result["id"], "stop")["id"])
        assert stop["status"] == "SUCCESS" and stop["ranks"] == 2
        assert job.wait(timeout=60) == 0, job.stdout.read().decode()[-3000:]
    finally:
        if job.poll() is None:
            os.killpg(job.pid, signal.SIGKILL)

    # Each rank's own record: the new lr from the same iteration, stop at the same iteration.
    records = {rank: {r["uid"]: r for r in rank_records(out, rank)} for rank in (0, 1)}
    for command in (lr, stop):
        its = {rank: records[rank][command["uid"]]["iteration"] for rank in (0, 1)}
        assert its[0] == its[1] == command["iteration"], its
    for rank in (0, 1):
        groups = records[rank][lr["uid"]]["hyperparams"]
        assert all(g["lr"] == pytest.approx(0.0123) for g in groups)

    snapshot_path = Path(out) / os.path.basename(snap["response"]["path"])
    state = torch.load(snapshot_path, map_location="cpu", weights_only=False)
    assert state["iteration"] == snap["iteration"] and "model" in state and "optimizer" in state
    trainui_server.wait_for(lambda: trainui_server.results(project["id"])[0]["status"] in ("stopped", "finished"))
    logged = json.loads((Path(out) / "log").read_text())  # still a valid JSON array at the end
    assert logged[-1]["iteration"] <= stop["iteration"]


def test_200_concurrent_commands_each_answered_exactly_once(trainui_server, tmp_path):
    root = tmp_path / "proj"
    out = root / "busy"
    root.mkdir()
    project = trainui_server.create_project(root)
    job = start_job(out)
    try:
        result = running_result(trainui_server, project["id"])
        posted, errors = [], []

        def poster(offset):
            for i in range(offset, 200, 8):
                status, body = trainui_server.api(
                    "POST", f"results/{result['id']}/commands",
                    json={"name": "adjust_hyperparams", "body": {"lr": 0.01 + i * 1e-5}})
                (posted if status == 201 else errors).append(body)

        threads = [threading.Thread(target=poster, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors and len(posted) == 200

        def all_answered():
            _, body = trainui_server.api("GET", f"results/{result['id']}/commands")
            return all(c["status"] != "PENDING" for c in body["commands"]) and body["commands"]
        commands = trainui_server.wait_for(all_answered, timeout=60)
        assert len(commands) == 200 and all(c["status"] == "SUCCESS" for c in commands)
        uids = [r["uid"] for r in rank_records(out, 0)]
        assert sorted(uids) == sorted(c["uid"] for c in commands)  # none lost, none applied twice
        outbox = list((Path(out) / ".trainui" / "commands" / "outbox").glob("*.json"))
        assert len(outbox) == 200
    finally:
        os.killpg(job.pid, signal.SIGKILL)
        job.wait()


def test_killed_job_is_crashed_and_its_commands_cancelled(trainui_server, tmp_path):
    root = tmp_path / "proj"
    root.mkdir()
    project = trainui_server.create_project(root)
    job = start_job(root / "doomed")
    result = running_result(trainui_server, project["id"])
    later = post(trainui_server, result["id"], "take_snapshot", schedule={"key": "iteration", "value": 10**9})
    os.killpg(job.pid, signal.SIGKILL)
    job.wait()
    killed_at = time.time()
    # Documented bound: 3 heartbeats (6 s) + one polling pass; same host: the dead pid is seen at once.
    trainui_server.wait_for(lambda: trainui_server.results(project["id"])[0]["status"] == "crashed", timeout=10)
    print(f"crash seen after {time.time() - killed_at:.2f} s")
    cancelled = command_done(trainui_server, result["id"], later["id"])
    assert cancelled["status"] == "CANCELLED" and "never applied" in cancelled["response"]["message"]
    assert trainui_server.api("POST", f"results/{result['id']}/commands", json={"name": "stop"})[0] == 409


def test_job_that_ends_normally_is_finished(trainui_server, tmp_path):
    root = tmp_path / "proj"
    root.mkdir()
    project = trainui_server.create_project(root)
    job = start_job(root / "short", "--image-every", "10", iterations=30, sleep=0)
    assert job.wait(timeout=120) == 0, job.stdout.read().decode()[-2000:]
    trainui_server.wait_for(lambda: trainui_server.results(project["id"]) and
                            trainui_server.results(project["id"])[0]["status"] == "finished", timeout=15)
    # The images the job recorded are ingested and served as PNG files.
    rid = trainui_server.results(project["id"])[0]["id"]
    assets = trainui_server.wait_for(lambda: trainui_server.api("GET", f"results/{rid}/assets")[1]["assets"])
    image = requests.get(trainui_server.api_url + assets[0]["url"], timeout=10)
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG\r\n\x1a\n")
