"""Under load: 20 API clients polling while 10 jobs append 1,000 entries/s in all, for 60 s.

The jobs are real trainer-library jobs (``trainui.Run``, without torch): they write their log,
a heartbeat every 2 s and the answers to commands, which the clients post now and then.
Targets: no error, p99 request latency under 200 ms over at least 1,000 requests, no entry lost
(every entry written is counted by the server at the end) and every command answered once.
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.common import entry, summary  # noqa: E402
from benchmarks.server_process import Server  # noqa: E402


def job(out: str, rate: float, seconds: float, written) -> None:
    """A training loop at ``rate`` reports per second: log() and step() every iteration."""
    import trainui

    with trainui.Run(out, args={"rate": rate}, progress=False) as run:
        run.command("ping", lambda body: {"pong": body.get("n")})
        i, start = 1, time.time()
        while time.time() - start < seconds:
            run.log(entry(i), iteration=i)
            run.step(iteration=i)
            written.value = i
            i += 1
            time.sleep(max(0.0, start + (i - 1) / rate - time.time()))


def client(server: Server, project_id: int, stop: threading.Event, latencies: list, errors: list,
           commands: list, post_until: float) -> None:
    session = requests.Session()
    cursors: dict[int, int] = {}
    next_command = time.time() + random.uniform(2, 6)
    while not stop.is_set():
        try:
            t = time.perf_counter()
            response = server.get(f"projects/{project_id}/results", session)
            latencies.append(time.perf_counter() - t)
            if response.status_code != 200:
                errors.append(response.status_code)
                continue
            result = random.choice(response.json()["results"])
            since = cursors.get(result["id"], 0)
            t = time.perf_counter()
            response = server.get(f"results/{result['id']}/logs?max_points=1000&since={since}", session)
            latencies.append(time.perf_counter() - t)
            if response.status_code != 200:
                errors.append(response.status_code)
                continue
            cursors[result["id"]] = response.json()["cursor"]
            if time.time() > next_command and time.time() < post_until and result["status"] == "running":
                next_command = time.time() + random.uniform(3, 6)
                t = time.perf_counter()
                response = session.post(server.api + f"results/{result['id']}/commands", timeout=30,
                                        json={"name": "ping", "body": {"n": len(commands)}})
                latencies.append(time.perf_counter() - t)
                if response.status_code != 201:
                    errors.append(response.status_code)
                else:
                    commands.append((result["id"], response.json()["command"]["id"]))
        except requests.RequestException as error:
            errors.append(repr(error))
        time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--jobs", type=int, default=10)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--rate", type=float, default=1000, help="entries per second over all jobs")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="trainui-bench-"))
    (work / "project").mkdir()
    server = Server(work / "server")
    try:
        pid = server.post("projects", {"path": str(work / "project"), "name": "load"}).json()["project"]["id"]
        written = [mp.Value("l", 0) for _ in range(args.jobs)]
        jobs = [mp.Process(target=job, args=(str(work / "project" / f"job{j}"), args.rate / args.jobs, args.seconds, w))
                for j, w in enumerate(written)]
        for p in jobs:
            p.start()
        while sum(r["status"] == "running" for r in server.get(f"projects/{pid}/results").json()["results"]) < args.jobs:
            time.sleep(0.1)
        stop, latencies, errors, commands = threading.Event(), [], [], []
        post_until = time.time() + args.seconds - 5  # a command posted as a job ends would be cancelled
        clients = [threading.Thread(target=client, args=(server, pid, stop, latencies, errors, commands, post_until))
                   for _ in range(args.clients)]
        for c in clients:
            c.start()
        for p in jobs:
            p.join()
        stop.set()
        for c in clients:
            c.join()
        total = sum(w.value for w in written)
        deadline = time.time() + 30
        while time.time() < deadline:
            listed = server.get(f"projects/{pid}/results").json()["results"]
            counted = sum(r["entry_count"] for r in listed)
            if counted >= total and all(r["status"] == "finished" for r in listed):
                break
            time.sleep(0.2)
        statuses = {}
        for result_id in {rid for rid, _ in commands}:
            for c in server.get(f"results/{result_id}/commands").json()["commands"]:
                statuses[c["id"]] = (c["status"], c["response"])
        answered = sum(1 for _, cid in commands if statuses.get(cid, ("",))[0] == "SUCCESS")
        print(f"{args.jobs} trainer jobs wrote {total} entries in {args.seconds:.0f} s ({total / args.seconds:.0f}/s) "
              f"with heartbeats; {args.clients} clients made {len(latencies)} requests, {len(commands)} of them commands")
        print(f"request latency: {summary(latencies)}   (target p99 < 200 ms over >= 1,000 requests)")
        print(f"errors: {len(errors)} {errors[:5]}   (target 0)")
        print(f"entries counted by the server: {counted} of {total} written   (target: all)")
        print(f"commands answered SUCCESS: {answered} of {len(commands)}   (target: all, each once)")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
