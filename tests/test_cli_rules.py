"""`trainui rule ...` against a real server: a preset added and listed, a backtest on a run the
trainer wrote, its firings, and a mistake as one line with exit status 2."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def rule_cli(server, tmp_path, *args):
    env = dict(os.environ, TRAINUI_SERVER=server.url.rstrip("/"))
    return subprocess.run([sys.executable, "-m", "trainui.cli", "rule", *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)


def test_rules_from_the_command_line(trainui_server, tmp_path):
    import trainui

    root = tmp_path / "results"
    run = trainui.Run(str(root / "spiky"), args={"lr": 0.1}, progress=False, handle_signals=False)
    for i, loss in enumerate([1.0, 0.5, 0.2, 3.0, 0.2, 0.1, 2.0], start=1):
        run.log({"main/loss": loss}, iteration=i)
    run.close()
    project = trainui_server.create_project(root, name="cli-rules")
    trainui_server.wait_for(lambda: trainui_server.results(project["id"])
                            and trainui_server.results(project["id"])[0]["entry_count"] == 7)

    tested = rule_cli(trainui_server, tmp_path, "backtest", "cli-rules", "--preset", "loss-spike")
    assert tested.returncode == 0, tested.stderr
    assert "fires at 4, 7" in tested.stdout and "2 firing(s) on 1 of 1 run(s)" in tested.stdout

    added = rule_cli(trainui_server, tmp_path, "add", "cli-rules", "--preset", "nan-guard", "--key", "main/loss",
                     "--dry-run")
    assert added.returncode == 0, added.stderr
    assert "when nan on main/loss (every run): command restore [dry run]" in added.stdout
    rule_id = int(added.stdout.split()[1].rstrip(":"))
    listed = rule_cli(trainui_server, tmp_path, "list", str(project["id"]))
    assert listed.stdout.count("rule ") == 1 and "NaN guard on main/loss" in listed.stdout
    assert "has not fired" in rule_cli(trainui_server, tmp_path, "firings", str(rule_id)).stdout
    assert "[disabled, dry run]" in rule_cli(trainui_server, tmp_path, "disable", str(rule_id)).stdout

    bad = rule_cli(trainui_server, tmp_path, "add", "cli-rules", "--json", '{"name": "x", "condition": {"kind": "nan"}}')
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "'action'" in bad.stderr, bad.stderr
    neither = rule_cli(trainui_server, tmp_path, "add", "cli-rules")
    assert neither.returncode == 2 and "--preset" in neither.stderr
    assert "deleted" in rule_cli(trainui_server, tmp_path, "delete", str(rule_id)).stdout
    assert "no rules" in rule_cli(trainui_server, tmp_path, "list", "cli-rules").stdout


def test_the_hang_alarm_preset_with_a_webhook(trainui_server, tmp_path):
    (tmp_path / "runs").mkdir()
    project = trainui_server.create_project(tmp_path / "runs", name="hang")
    added = rule_cli(trainui_server, tmp_path, "add", "hang", "--preset", "hang-alarm", "--notify",
                     "https://hooks.slack.com/services/T/B/SECRET")
    assert added.returncode == 0, added.stderr
    assert "when silent (every run): notify https://hooks.slack.com/…" in added.stdout and "SECRET" not in added.stdout
    (rule,) = trainui_server.api("GET", f"projects/{project['id']}/rules")[1]["rules"]
    assert rule["condition"] == {"kind": "silent", "seconds": 600.0}
