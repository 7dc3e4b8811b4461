"""trainui against TensorBoard, from nothing to a whole series served, on the same data.

The same 100k-entry x 5-metric run is written twice: as a Chainer-format `log` for trainui and as
a TensorBoard event file. Each round, alternating, measures the wall time:
- trainui, the README's quick start: `trainui server DIR` into a brand-new database (registers DIR,
  ingests it, serves), until `GET /results/<id>/logs?max_points=100000` returns all 5 series whole;
- trainui in two steps: `trainui project create -d DIR`, then `trainui server`, until the same;
- TensorBoard: `tensorboard --logdir DIR --samples_per_plugin scalars=N` (keep every point, as
  trainui does), until `/data/plugin/scalars/scalars` returns every point of all 5 tags.

Target: trainui in at most half of TensorBoard's time. With ``--baseline REF`` the trainui rounds
also run from that git revision (a temporary worktree), so before and after come from one run:

    python benchmarks/bench_tensorboard.py --baseline 9fc5f1d

Needs `pip install tensorboard`.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
METRICS = ("main/loss", "main/accuracy", "validation/main/loss", "validation/main/accuracy", "lr")


def values(i: int) -> dict:
    x = 1.0 / (1 + i * 1e-4)
    return {"main/loss": x + 0.01 * math.sin(i), "main/accuracy": 1 - x, "validation/main/loss": 1.1 * x,
            "validation/main/accuracy": 1 - 1.1 * x, "lr": 0.1 * 0.5 ** (i // 20000)}


def write_trainui_log(directory: Path, n: int) -> None:
    directory.mkdir(parents=True)
    with open(directory / "log", "w") as f:
        f.write("[" + ",\n".join(json.dumps({"iteration": i, **values(i)}) for i in range(1, n + 1)) + "]")


def write_event_file(directory: Path, n: int) -> None:
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    directory.mkdir(parents=True)
    writer = EventFileWriter(str(directory))
    for i in range(1, n + 1):
        summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=k, simple_value=v)
                                             for k, v in values(i).items()])
        writer.add_event(event_pb2.Event(wall_time=time.time(), step=i, summary=summary))
    writer.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout: float = 300, process: subprocess.Popen | None = None) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server ended (exit status {process.returncode}) before it served the series")
        try:
            if predicate():
                return
        except (requests.RequestException, ValueError, KeyError, IndexError):
            pass
        time.sleep(0.02)
    raise TimeoutError


def children_cpu() -> float:
    """CPU seconds of the ended child processes: what a run cost, whatever else the machine was doing."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def time_trainui(repo: Path, logdir: Path, n: int, work: Path, quick_start: bool) -> tuple[float, float]:
    """Wall time from nothing (a new TRAINUI_ROOT) to every point served, with the trainui of ``repo``,
    and the CPU seconds its processes took (to the end of their shutdown)."""
    root = Path(tempfile.mkdtemp(prefix="root-", dir=work))  # a fresh database every round
    env = dict(os.environ, TRAINUI_ROOT=str(root), TRAINUI_LOG_LEVEL="WARNING", PYTHONPATH=str(repo))
    env.pop("TRAINUI_DB_URL", None)
    port = free_port()
    trainui = [sys.executable, "-m", "trainui.cli"]
    cpu = children_cpu()
    start = time.perf_counter()
    if quick_start:
        command = trainui + ["server", str(logdir), "--port", str(port)]
    else:
        subprocess.run(trainui + ["project", "create", "-d", str(logdir), "-n", "bench"], env=env, check=True,
                       capture_output=True, cwd=repo)
        command = trainui + ["server", "--port", str(port)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=repo)
    api = f"http://127.0.0.1:{port}/api/v1/"
    session = requests.Session()
    try:
        def served():
            (result,) = session.get(api + "projects/1/results", timeout=30).json()["results"]
            series = session.get(api + f"results/{result['id']}/logs?max_points=100000&keys={','.join(METRICS)}",
                                 timeout=60).json()["series"]
            return all(len(series[k]["y"]) == n for k in METRICS)
        wait_until(served, process=server)
        wall = time.perf_counter() - start
    finally:
        stop(server)
        shutil.rmtree(root, ignore_errors=True)
    return wall, children_cpu() - cpu


def time_tensorboard(logdir: Path, n: int) -> tuple[float, float]:
    """TensorBoard keeps ``n`` samples per tag (every point; 0 would mean none are served)."""
    port = free_port()
    cpu = children_cpu()
    start = time.perf_counter()
    board = subprocess.Popen([sys.executable, "-m", "tensorboard.main", "--logdir", str(logdir), "--port", str(port),
                              "--host", "127.0.0.1", "--samples_per_plugin", f"scalars={n}"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    session = requests.Session()
    try:
        def served():
            for tag in METRICS:
                points = session.get(f"http://127.0.0.1:{port}/data/plugin/scalars/scalars",
                                     params={"run": ".", "tag": tag}, timeout=60).json()
                if len(points) != n:
                    return False
            return True
        wait_until(served, process=board)
        wall = time.perf_counter() - start
    finally:
        stop(board)
    return wall, children_cpu() - cpu


def worktree(ref: str, where: Path) -> Path:
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(where), ref], check=True,
                   capture_output=True)
    return where


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--baseline", metavar="REF", help="also time the trainui of this git revision")
    args = parser.parse_args()
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        sys.exit("this benchmark compares with TensorBoard: pip install tensorboard")
    work = Path(tempfile.mkdtemp(prefix="trainui-bench-tb-"))
    trees = {"this tree": REPO}
    try:
        if args.baseline:
            trees = {f"baseline {args.baseline}": worktree(args.baseline, work / "baseline-repo"), **trees}
        write_trainui_log(work / "trainui" / "run", args.entries)
        write_event_file(work / "tensorboard", args.entries)
        flows = {"quick start (`trainui server DIR`)": True, "project create + server": False}
        times: dict[tuple[str, str], list[float]] = {(t, f): [] for t in trees for f in flows}
        theirs = []
        for _ in range(args.rounds):
            for tree, repo in trees.items():
                for flow, quick in flows.items():
                    times[tree, flow].append(time_trainui(repo, work / "trainui", args.entries, work, quick))
            theirs.append(time_tensorboard(work / "tensorboard", args.entries))
        tb, tb_cpu = (statistics.median(t[i] for t in theirs) for i in (0, 1))
        print(f"{args.entries:,} entries x {len(METRICS)} metrics, from nothing (a new database) to every point "
              f"served, median of {args.rounds} alternating rounds (wall time; CPU seconds of the processes):")
        print(f"  TensorBoard (start + load + scalars query): {tb:.2f} s, CPU {tb_cpu:.2f} s  "
              f"[{', '.join(f'{t[0]:.2f}' for t in theirs)}]")
        for (tree, flow), values in times.items():
            mine, mine_cpu = (statistics.median(t[i] for t in values) for i in (0, 1))
            print(f"  trainui, {tree}, {flow}: {mine:.2f} s, CPU {mine_cpu:.2f} s  "
                  f"[{', '.join(f'{t[0]:.2f}' for t in values)}]")
            print(f"      trainui / TensorBoard: {mine / tb:.2f} wall, {mine_cpu / tb_cpu:.2f} CPU  "
                  f"(target <= 0.5: {'met' if mine / tb <= 0.5 else 'MISSED'})")
    finally:
        if args.baseline:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(work / "baseline-repo")],
                           check=False, capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
