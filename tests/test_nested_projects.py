"""Issue 19, point 2: registering a folder inside a registered one moves the results below it to the
new project, in the same transaction; the CLI's printed count, `project list`, the API and (see
tests/browser/test_rerun_display.py) the projects page say the same."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def cli(tmp_path, *args, root=None):
    env = dict(os.environ, TRAINUI_ROOT=str(root or tmp_path / "root"))
    env.pop("TRAINUI_DB_URL", None)
    return subprocess.run([sys.executable, "-m", "trainui.cli", *args], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)


def write_run(directory: Path, loss: float = 1.0) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "log").write_text(json.dumps([{"iteration": 1, "main/loss": loss}]))


def test_the_issue_s_steps_give_the_inner_project_its_result(tmp_path):
    write_run(tmp_path / "nest" / "ex" / "run1")
    outer = cli(tmp_path, "project", "create", "-d", "nest", "-n", "outer")
    assert outer.returncode == 0 and "1 result ingested" in outer.stdout, outer.stderr
    inner = cli(tmp_path, "project", "create", "-d", "nest/ex", "-n", "inner")
    assert inner.returncode == 0 and "1 result ingested" in inner.stdout, inner.stderr
    listed = {line.split()[1]: line for line in cli(tmp_path, "project", "list").stdout.splitlines()}
    assert " 1 result " in listed["inner"] and " 0 results " in listed["outer"], listed
    assert "1 results" not in "".join(listed.values())


def test_registering_a_folder_inside_a_registered_one_moves_its_results_at_once(trainui_server, tmp_path):
    nest = tmp_path / "nest"
    write_run(nest / "ex" / "run1")
    write_run(nest / "ex" / "named")
    write_run(nest / "other")
    outer = trainui_server.create_project(nest, "outer")
    trainui_server.wait_for(lambda: len(trainui_server.results(outer["id"])) == 3, timeout=30)
    by_name = {r["name"]: r for r in trainui_server.results(outer["id"])}
    status, _ = trainui_server.api("PATCH", f"results/{by_name['ex/named']['id']}", json={"name": "my name"})
    assert status == 200

    inner = trainui_server.create_project(nest / "ex", "inner")
    assert inner["result_count"] == 2  # the answer already counts what moved
    moved = {r["name"]: r for r in trainui_server.results(inner["id"])}
    assert set(moved) == {"run1", "my name"}  # named after its path in the new project; a given name kept
    assert moved["run1"]["id"] == by_name["ex/run1"]["id"]  # the same result, its data with it
    assert [r["name"] for r in trainui_server.results(outer["id"])] == ["other"]
    _, body = trainui_server.api("GET", "projects")
    counts = {p["name"]: p["result_count"] for p in body["projects"]}
    assert counts == {"outer": 1, "inner": 2}

    write_run(nest / "ex" / "run2")  # a later run lands in the inner project, beside the moved ones
    trainui_server.wait_for(lambda: "run2" in {r["name"] for r in trainui_server.results(inner["id"])}, timeout=30)
    time.sleep(1.5)  # a few polling passes: nothing goes back to the outer project
    assert [r["name"] for r in trainui_server.results(outer["id"])] == ["other"]
    _, body = trainui_server.api("GET", f"results/{moved['run1']['id']}/logs?keys=main/loss")
    assert body["series"]["main/loss"]["y"] == [1.0]


def test_registering_an_outer_folder_later_leaves_the_inner_project_s_results(trainui_server, tmp_path):
    nest = tmp_path / "nest"
    write_run(nest / "ex" / "run1")
    inner = trainui_server.create_project(nest / "ex", "inner")
    trainui_server.wait_for(lambda: trainui_server.results(inner["id"]), timeout=30)
    outer = cli(tmp_path, "project", "create", "-d", str(nest), "-n", "outer", root=trainui_server.root)
    assert outer.returncode == 0 and "0 results ingested" in outer.stdout, outer.stdout + outer.stderr
    assert [r["name"] for r in trainui_server.results(inner["id"])] == ["run1"]
