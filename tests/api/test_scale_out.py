"""Scale-out on one real PostgreSQL: two `trainui server --no-ingest` replicas and two
`trainui ingest` workers. Clients of either replica see the same data; an ingest worker killed in
the middle of a 200k-entry log is taken over within seconds, every entry stored once; a command
posted to either replica reaches the job once."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy

REPO = Path(__file__).resolve().parents[2]
N = 200_000


class IngestWorker:
    def __init__(self, db_url: str, log_path: Path):
        self.log_path = log_path
        # small turns (256 KB of log each), so that the 200k-entry log is still being read when a
        # worker is killed, also on a quiet machine
        env = dict(os.environ, PYTHONUNBUFFERED="1", TRAINUI_INGEST_CHUNK_KB="256")
        self.proc = subprocess.Popen([sys.executable, "-m", "trainui.cli", "ingest", "--db", db_url,
                                      "--poll-interval", "0.5"], cwd=REPO, env=env,
                                     stdout=open(log_path, "ab"), stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while "trainui ingesting" not in log_path.read_text(errors="replace"):
            assert self.proc.poll() is None and time.time() < deadline, log_path.read_text(errors="replace")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def lease_holder(db_url: str, result_id: int) -> int | None:
    """The process id of the ingest worker holding ``result_id``'s lease (from its application_name)."""
    engine = sqlalchemy.create_engine(db_url)
    try:
        with engine.connect() as c:
            name = c.execute(sqlalchemy.text(
                "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE l.locktype = 'advisory' AND l.objsubid = 2 AND l.objid = :id AND l.granted"),
                {"id": result_id}).scalar()
    finally:
        engine.dispose()
    return int(name.rsplit("-", 1)[1]) if name else None


def test_replicas_and_ingest_workers_share_one_postgres(fresh_postgres_db, start_server, tmp_path):
    url = fresh_postgres_db
    subprocess.run([sys.executable, "-m", "trainui.cli", "db", "upgrade", "--db", url], check=True, cwd=REPO)
    replicas = [start_server(db_url=url, extra_args=("--no-ingest",)) for _ in range(2)]
    workers = [IngestWorker(url, tmp_path / f"ingest{i}.log") for i in range(2)]
    job = None
    try:
        root = tmp_path / "proj"
        (root / "big").mkdir(parents=True)
        with open(root / "big" / "log", "w") as f:
            f.write("[" + ",".join(json.dumps({"iteration": i, "loss": i * 0.5}) for i in range(N)) + "]")
        job = subprocess.Popen([sys.executable, str(REPO / "examples" / "quickstart" / "train.py"), "--out",
                                str(root / "live"), "--iterations", "100000", "--sleep", "0.02", "--no-progress"],
                               cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        project = replicas[0].create_project(root, "shared")

        def by_name(replica):
            return {r["name"]: r for r in replica.results(project["id"])}
        big = replicas[1].wait_for(lambda: (by_name(replicas[1]).get("big") or {}).get("entry_count")
                                   and by_name(replicas[1])["big"], timeout=60, interval=0.01)
        holder = replicas[1].wait_for(lambda: lease_holder(url, big["id"]), timeout=10, interval=0.01)
        victim = next(w for w in workers if w.proc.pid == holder)
        survivor = next(w for w in workers if w is not victim)
        victim.proc.kill()  # SIGKILL in the middle of the log
        killed_at, count_at_kill = time.time(), by_name(replicas[0])["big"]["entry_count"]
        assert count_at_kill < N
        replicas[0].wait_for(lambda: by_name(replicas[0])["big"]["entry_count"] > count_at_kill, timeout=10,
                             interval=0.05)
        took_over_in = time.time() - killed_at
        # the survivor holds the lease now, or has read the rest already and let it go
        assert lease_holder(url, big["id"]) in (survivor.proc.pid, None)
        replicas[1].wait_for(lambda: by_name(replicas[1])["big"]["entry_count"] == N, timeout=120, interval=0.2)
        for low in (0, N // 2):
            _, body = replicas[low // (N // 2)].api(
                "GET", f"results/{big['id']}/logs?keys=loss&max_points={N // 2}&x_min={low}&x_max={low + N // 2 - 1}")
            assert body["series"]["loss"]["x"] == [float(i) for i in range(low, low + N // 2)]  # each entry once

        # Both replicas answer the same thing.
        live = replicas[0].wait_for(lambda: (by_name(replicas[0]).get("live") or {}).get("status") == "running"
                                    and by_name(replicas[0])["live"], timeout=60)
        assert {k: (v["entry_count"] > 0, v["status"]) for k, v in by_name(replicas[0]).items()} == \
            {k: (v["entry_count"] > 0, v["status"]) for k, v in by_name(replicas[1]).items()}

        # A command through each replica reaches the job exactly once.
        uids = []
        for replica, lr in zip(replicas, (0.02, 0.03)):
            status, body = replica.api("POST", f"results/{live['id']}/commands",
                                       json={"name": "adjust_hyperparams", "body": {"lr": lr}})
            assert status == 201, body
            uids.append(body["command"]["uid"])
        for replica in replicas:
            replica.wait_for(lambda: [c["status"] for c in replica.api("GET", f"results/{live['id']}/commands")[1]
                                      ["commands"]] == ["SUCCESS", "SUCCESS"], timeout=30)
        applied = [json.loads(line)["uid"] for line in
                   (root / "live" / ".trainui" / "ranks" / "rank0.jsonl").read_text().splitlines()]
        assert sorted(applied) == sorted(uids)  # once each
        # the worker that delivered a command recorded its answer once and withdrew its inbox file
        answered = replicas[0].api("GET", f"results/{live['id']}/commands")[1]["commands"]
        replicas[0].wait_for(lambda: not any((root / "live" / ".trainui" / "commands" / "inbox" / f"{u}.json").exists()
                                             for u in uids), timeout=10)
        time.sleep(1.5)  # more passes of both workers' delivery loops and pollers
        assert replicas[1].api("GET", f"results/{live['id']}/commands")[1]["commands"] == answered
        print(f"ingestion went on {took_over_in:.2f} s after its worker was killed")
    finally:
        if job is not None and job.poll() is None:
            job.kill()
            job.wait()
        for worker in workers:
            worker.stop()
