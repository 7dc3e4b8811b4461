"""Automations on one real PostgreSQL with two `trainui ingest` workers: the NaN guard fires once,
its restore is delivered and answered once, also when the worker holding the run is SIGKILLed
right after the firing (the other takes the run over and delivers the command)."""
from __future__ import annotations

import math
import subprocess
import sys
import time
from pathlib import Path

from test_scale_out import IngestWorker, lease_holder

REPO = Path(__file__).resolve().parents[2]
JOB = REPO / "tests" / "trainer" / "jobs" / "restore_job.py"


def test_the_nan_guard_fires_once_with_two_workers_one_killed_after_the_firing(fresh_postgres_db, start_server,
                                                                             tmp_path):
    url = fresh_postgres_db
    subprocess.run([sys.executable, "-m", "trainui.cli", "db", "upgrade", "--db", url], check=True, cwd=REPO)
    replica = start_server(db_url=url, extra_args=("--no-ingest",))
    workers = [IngestWorker(url, tmp_path / f"ingest{i}.log") for i in range(2)]
    job = None
    try:
        root = tmp_path / "proj"
        root.mkdir()
        project = replica.create_project(root, "guarded")
        presets = {p["id"]: p for p in replica.api("GET", "rules/presets")[1]["presets"]}
        status, made = replica.api("POST", f"projects/{project['id']}/rules", json=presets["nan-guard"]["definition"])
        assert status == 201, made
        rule_id = made["rule"]["id"]
        job = subprocess.Popen([sys.executable, str(JOB), "--out", str(root / "run"), "--iterations", "50",
                                "--poison-at", "25", "--sleep", "0.1"], cwd=REPO,
                               stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        firing = replica.wait_for(lambda: replica.api("GET", f"rules/{rule_id}/firings")[1]["firings"],
                                  timeout=90, interval=0.01)[0]
        holder = lease_holder(url, firing["result_id"])
        victim = next((w for w in workers if w.proc.pid == holder), None)
        assert victim is not None, "the running job's run is leased to one of the two workers"
        victim.proc.kill()  # SIGKILL right after the firing committed, maybe before it delivered
        assert job.wait(timeout=180) == 0
        rid = firing["result_id"]

        def settled():
            result = replica.api("GET", f"results/{rid}")[1]["result"]
            return result if result["entry_count"] == 50 and result["status"] == "finished" else None
        replica.wait_for(settled, timeout=60)
        time.sleep(1.5)  # more passes of the survivor's loops: nothing may fire or send again
        (firing,) = replica.api("GET", f"rules/{rule_id}/firings")[1]["firings"]
        (command,) = replica.api("GET", f"results/{rid}/commands")[1]["commands"]
        assert firing["command_id"] == command["id"] and command["name"] == "restore"
        assert command["status"] == "SUCCESS" and command["response"]["snapshot"] == "snapshot_iter_20.pt", command
        applied = (root / "run" / ".trainui" / "ranks" / "rank0.jsonl").read_text().splitlines()
        assert sum(command["uid"] in line for line in applied) == 1  # applied once
        _, body = replica.api("GET", f"results/{rid}/logs?keys=main/loss&max_points=1000")
        loss = body["series"]["main/loss"]
        assert loss["x"] == [float(i) for i in range(1, 51)] and all(math.isfinite(y) for y in loss["y"])
    finally:
        if job is not None and job.poll() is None:
            job.kill()
            job.wait()
        for worker in workers:
            worker.stop()
