"""The README's "Automations" section as written, against a real server: its shell block (the
preset backtested, added, listed, its firings) and its Python block, in order; only the server's
address is the test's. Then the rules are checked to be what the section says."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parent.parent


def section_blocks(language: str) -> list[str]:
    readme = (REPO / "README.md").read_text()
    start = readme.index("## Automations")
    end = readme.index("\n## ", start + 1)
    return re.findall(rf"```{language}\n(.*?)```", readme[start:end], re.S)


def test_the_automations_section_runs_as_written(trainui_server, tmp_path):
    root = tmp_path / "my-project"
    (root / "run").mkdir(parents=True)
    (root / "run" / "log").write_text(json.dumps([{"iteration": i, "main/loss": v} for i, v in
                                                  enumerate([1.0, 0.5, float("nan"), 0.4], start=1)],
                                                 allow_nan=True))
    project = trainui_server.create_project(root, "my-project")
    trainui_server.wait_for(lambda: trainui_server.results(project["id"]))
    env = dict(os.environ, TRAINUI_SERVER=trainui_server.url.rstrip("/"))
    (shell,) = section_blocks("bash")
    outputs = []
    for line in shell.splitlines():
        command = line.split("#", 1)[0].strip()
        if not command:
            continue
        assert command.startswith("trainui "), command
        done = subprocess.run([sys.executable, "-m", "trainui.cli", *command.split()[1:]], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, (command, done.stderr)
        outputs.append(done.stdout)
    assert "1 firing(s) on 1 of 1 run(s)" in outputs[0]  # the NaN at iteration 3
    assert "NaN guard on main/loss" in outputs[2] and "has not fired" in outputs[3]

    (python,) = section_blocks("python")
    code = python.replace('"http://127.0.0.1:5000"', repr(trainui_server.url.rstrip("/")))
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    rules = trainui_server.api("GET", f"projects/{project['id']}/rules")[1]["rules"]
    assert [r["name"] for r in rules] == ["NaN guard on main/loss", "lr down on a plateau", "hung?"]
    assert rules[2]["action"]["url"] == "https://hooks.slack.com/…"  # the secret, masked
