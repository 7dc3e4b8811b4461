"""The README's tour script, run as written: alone, and under `torchrun --nproc_per_node=2`, it
writes a valid `log` with every iteration once; without its process group, torchrun's processes
stop before training with a message that says what to call, and write nothing."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
REPO = Path(__file__).resolve().parents[2]


def tour_script() -> str:
    readme = (REPO / "README.md").read_text()
    tour = readme[readme.index("## A short tour"):]
    return re.search(r"```python\n(.*?)```", tour, re.S).group(1)


def run(tmp_path: Path, script: str, ranks: int) -> subprocess.CompletedProcess:
    (tmp_path / "tour.py").write_text(script)
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1")
    command = [sys.executable, "tour.py"] if ranks == 1 else [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(ranks), "tour.py"]
    return subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("ranks", [1, 2])
def test_the_tour_runs_as_written(tmp_path, ranks):
    out = run(tmp_path, tour_script(), ranks)
    assert out.returncode == 0, out.stderr[-3000:]
    result = tmp_path / "results" / "tour"
    entries = json.loads((result / "log").read_text())  # a valid JSON array
    assert [e["iteration"] for e in entries] == list(range(1, 301))  # every iteration once
    status = json.loads((result / ".trainui" / "status.json").read_text())
    assert status["status"] == "finished" and status["world_size"] == ranks
    assert "double_batch" in status["commands"]  # registered before the loop: available all along
    assert json.loads((result / "args").read_text()) == {"lr": 0.05, "batch_size": 32}


def test_torchrun_without_a_process_group_stops_before_training_with_the_fix(tmp_path):
    script = tour_script()  # as if written without a thought for torchrun: no process group, no DDP
    without = script.replace('distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1', "distributed = False")
    assert without != script
    out = run(tmp_path, without, 2)
    assert out.returncode != 0
    assert "torch.distributed.init_process_group" in out.stderr and "before trainui.Run" in out.stderr
    assert not (tmp_path / "results" / "tour" / "log").exists()  # nothing written, nothing corrupted


def test_the_tour_alone_then_under_torchrun_gives_two_results(tmp_path):
    """As the tour suggests: `python tour.py`, then `torchrun --nproc_per_node=2 tour.py`. The second
    run is a result of its own (results/tour-2, said on stderr), not 300 replayed entries behind the
    first run's curves under a world size of 2."""
    assert run(tmp_path, tour_script(), 1).returncode == 0
    first = (tmp_path / "results" / "tour" / "log").read_bytes()
    second = run(tmp_path, tour_script(), 2)
    assert second.returncode == 0, second.stderr[-3000:]
    assert "this run writes to results/tour-2" in second.stderr
    tour, again = tmp_path / "results" / "tour", tmp_path / "results" / "tour-2"
    assert (tour / "log").read_bytes() == first and not (tour / ".trainui" / "log.replayed.jsonl").exists()
    assert json.loads((tour / ".trainui" / "status.json").read_text())["world_size"] == 1
    assert [e["iteration"] for e in json.loads((again / "log").read_text())] == list(range(1, 301))
    assert json.loads((again / ".trainui" / "status.json").read_text())["world_size"] == 2
