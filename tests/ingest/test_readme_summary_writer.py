"""The README's SummaryWriter block, run as written inside a registered folder while a real server
runs: its scalars and its two images show up as one read-only result named as the README says."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch.utils.tensorboard")
REPO = Path(__file__).resolve().parents[2]
HEADING = "## Runs you already log with TensorBoard's `SummaryWriter`"


def readme_block() -> str:
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index(HEADING):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_readme_summary_writer_block_is_a_live_result(trainui_server, tmp_path):
    (tmp_path / "results").mkdir()
    project = trainui_server.create_project(tmp_path / "results", "my-project")
    (tmp_path / "sw.py").write_text(readme_block())
    done = subprocess.run([sys.executable, "sw.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, OMP_NUM_THREADS="1"))
    assert done.returncode == 0, done.stderr[-3000:]
    result = trainui_server.wait_for(lambda: next((r for r in trainui_server.results(project["id"])
                                                   if r["entry_count"] == 100), None), timeout=30)
    assert result["name"] == "tensorboard/exp1" and result["tensorboard"] is True and not result["ingest_error"]
    rid = result["id"]
    loss = trainui_server.api("GET", f"results/{rid}/logs?keys=train/loss&max_points=1000")[1]["series"]["train/loss"]
    assert loss["x"] == list(range(1, 101)) and loss["y"][0] > loss["y"][-1]
    assets = trainui_server.wait_for(lambda: trainui_server.api("GET", f"results/{rid}/assets")[1]["assets"]
                                     if len(trainui_server.api("GET", f"results/{rid}/assets")[1]["assets"]) == 2
                                     else None, timeout=30)
    assert [(a["tag"], a["step"]) for a in assets] == [("samples/noise", 50), ("samples/noise", 100)]
    status, body = trainui_server.api("POST", f"results/{rid}/commands", json={"name": "stop"})
    assert status == 409
