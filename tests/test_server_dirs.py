"""`trainui server DIR [DIR ...]` (TensorBoard's --logdir habit): each folder is registered (or
reused), its results ingested, and the server serves them, in one command; a folder that is not
one stops it before anything is registered."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def write_chainer_run(directory: Path, lr: float) -> None:
    directory.mkdir(parents=True)
    (directory / "log").write_text(json.dumps([{"epoch": 1, "iteration": 10, "main/loss": lr}], indent=4))
    (directory / "args").write_text(json.dumps({"lr": lr}))


def test_server_registers_ingests_and_serves_the_folders_given(start_server, tmp_path):
    first, second = tmp_path / "runs", tmp_path / "sweep"
    write_chainer_run(first / "a", 0.1)
    write_chainer_run(second / "b", 0.2)
    write_chainer_run(second / "c", 0.3)
    (tmp_path / "db").mkdir()
    db_url = f"sqlite:///{tmp_path}/db/trainui.db"
    server = start_server(db_url=db_url, extra_args=(str(first), str(second)))
    said = server.log_path.read_text()
    # registered and ingested before the server says it serves
    assert said.index("project 'sweep'") < said.index("trainui serving on"), said
    assert f"registered project 'runs' (id 1) at {first}: 1 result" in said, said
    assert f"registered project 'sweep' (id 2) at {second}: 2 results" in said, said
    _, body = server.api("GET", "projects")
    assert {p["name"]: p["result_count"] for p in body["projects"]} == {"runs": 1, "sweep": 2}
    assert {r["args"]["lr"] for r in server.results(2)} == {0.2, 0.3}
    server.stop()

    write_chainer_run(second / "d", 0.4)  # the same command again: reused, with what is new
    again = start_server(db_url=db_url, extra_args=(str(second),))
    said = again.log_path.read_text()
    assert f"already registered: project 'sweep' (id 2) at {second}: 3 results" in said, said
    _, body = again.api("GET", "projects")
    assert [p["name"] for p in body["projects"]] == ["runs", "sweep"]


def test_a_missing_folder_is_one_line_and_exit_2_before_anything_is_registered(tmp_path):
    (tmp_path / "runs").mkdir()
    env = dict(os.environ, TRAINUI_ROOT=str(tmp_path / "root"))
    env.pop("TRAINUI_DB_URL", None)
    out = subprocess.run([sys.executable, "-m", "trainui.cli", "server", str(tmp_path / "runs"),
                          str(tmp_path / "nope"), "--port", "0"], cwd=REPO, env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 2 and f"not a directory: {tmp_path / 'nope'}" in out.stderr, out.stderr
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "root" / "trainui.db").exists()  # nothing registered, nothing created


def test_two_folders_of_the_same_name_say_how_to_serve_both(tmp_path):
    for side in ("a", "b"):
        write_chainer_run(tmp_path / side / "results" / "run", 0.1)
    env = dict(os.environ, TRAINUI_ROOT=str(tmp_path / "root"))
    env.pop("TRAINUI_DB_URL", None)
    out = subprocess.run([sys.executable, "-m", "trainui.cli", "server", str(tmp_path / "a" / "results"),
                          str(tmp_path / "b" / "results"), "--port", "0"], cwd=REPO, env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 2, out.stderr
    (error,) = [line for line in out.stderr.splitlines() if line.startswith("Error")]
    assert "a project named 'results' exists already" in error and \
        f"trainui project create -d {tmp_path / 'b' / 'results'} -n NAME" in error, out.stderr
    assert "Traceback" not in out.stderr
