"""The README's "Tags and notes" blocks, run as written against a real server: the Python block's
run arrives with its tags and notes, and the shell block's `trainui result` lines change them."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from trainui_job_helpers import job_env

REPO = Path(__file__).resolve().parents[2]
HEADING = "## Tags and notes"


def readme_blocks(language: str) -> list[str]:
    readme = (REPO / "README.md").read_text()
    start = readme.index(HEADING)
    section = readme[start:readme.index("\n## ", start + 1)]
    return re.findall(rf"```{language}\n(.*?)```", section, re.S)


def test_the_readme_tags_and_notes_blocks_do_what_they_say(trainui_server, tmp_path):
    pytest.importorskip("torch")
    (tmp_path / "results").mkdir()
    project = trainui_server.create_project(tmp_path / "results", "results")
    (python_block,), (shell_block,) = readme_blocks("python"), readme_blocks("bash")
    (tmp_path / "labelled.py").write_text(python_block)
    env = job_env()
    bin_dir = tmp_path / "bin"  # `trainui` and `python` as an installed trainui has them
    bin_dir.mkdir()
    (bin_dir / "trainui").write_text(f"#!/bin/sh\nexec {sys.executable} -m trainui.cli \"$@\"\n")
    (bin_dir / "python").write_text(f"#!/bin/sh\nexec {sys.executable} \"$@\"\n")
    for tool in bin_dir.iterdir():
        tool.chmod(0o755)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    done = subprocess.run([sys.executable, "labelled.py"], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    result = trainui_server.wait_for(lambda: next((r for r in trainui_server.results(project["id"])
                                                   if r["status"] == "finished"), None), timeout=30)
    assert result["tags"] == ["baseline", "lr:0.1"] and result["notes_excerpt"] == "## Why"

    script = shell_block.replace("http://localhost:5000", trainui_server.url.rstrip("/"))
    done = subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=180,
                          env=dict(env, TRAINUI_SERVER=trainui_server.url.rstrip("/")))  # for the default server
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.splitlines()[0] == "baseline lr:0.1 best"  # as its comment says
    shown = trainui_server.api("GET", f"results/{result['id']}")[1]["result"]
    assert shown["tags"] == ["baseline", "best"] and shown["notes"] == "**Best** so far"
