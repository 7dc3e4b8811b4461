"""Issue 10 (examples): every example runs from a fresh clone, exactly as its README says.

The README smoke blocks run verbatim in a clone with no ``shared/`` beside it (see conftest.py),
each example's ``torchrun`` command first, in the clone's still empty ``results/`` (issue 19: the
attack network's torchrun smoke failed without the classifiers a single-process run had cached);
each run must log metrics, write only under the git-ignored ``results/``, and be registrable
with an already running server through the README's own ``trainui project create`` line.
"""
from __future__ import annotations

import json
import math
import re
import subprocess
from pathlib import Path

import pytest

from clone_helpers import REPO, project_create_lines, smoke_blocks, torchrun_first

pytest.importorskip("torch")

EXAMPLES = ("quickstart", "attack_network", "gnn")


def read_log(path: Path) -> list[dict]:
    return json.loads((path / "log").read_text())


def finite(entry: dict, key: str) -> bool:
    return isinstance(entry.get(key), (int, float)) and math.isfinite(entry[key])


def test_quickstart_learns_from_a_clone_in_one_process_and_under_torchrun(fresh_clone):
    fresh_clone.run_smoke("quickstart")
    for name in ("mlp", "mlp-ddp"):
        log = read_log(fresh_clone.root / "results" / "quickstart" / name)
        assert log[-1]["iteration"] == 60, name
        assert all(finite(e, "main/loss") and finite(e, "validation/main/accuracy") for e in log), name
        # learns visibly in 60 iterations: validation accuracy far above chance (0.1)
        assert log[-1]["validation/main/accuracy"] >= 0.6, log[-1]
    args = json.loads((fresh_clone.root / "results" / "quickstart" / "mlp-ddp" / "args").read_text())
    assert args["out"] == "results/quickstart/mlp-ddp"


def test_attack_network_runs_from_a_clone_alone_and_under_torchrun(fresh_clone):
    output = fresh_clone.run_smoke("attack_network")
    project = fresh_clone.root / "results" / "attack_network"
    for name in ("attack", "attack-ddp"):
        log = read_log(project / name)
        training = [e for e in log if "main/loss" in e]
        assert training and all(finite(e, "main/loss") for e in training), name
        assert any(k.startswith("validation/transfer/") for k in log[-2]), log[-2]
        evaluation = json.loads((project / name / "evaluation.json").read_text())
        assert {row["setting"] for row in evaluation["rows"]} == {"white-box", "transfer"}
    # the classifiers are results of the same project, trained once, from an empty cache, by the
    # torchrun command that ran first (each rank its share), and reused by the single-process run
    classifiers = sorted(p.name for p in project.iterdir() if p.name.startswith("classifier_"))
    assert len(classifiers) == 4, classifiers
    first = fresh_clone.torchrun_outputs["attack_network"]
    assert first.count("training classifier") == 4 and "2 rank(s)" in first, first[-3000:]
    assert output.count("training classifier") == 4, output[-3000:]
    for name in classifiers:
        assert all(finite(e, "main/loss") for e in read_log(project / name) if "main/loss" in e), name
        assert (project / name / "classifier.pt").is_file(), name


@pytest.mark.parametrize("data", ["qm9", "tox21"])
@pytest.mark.parametrize("model", ["nfp", "ggnn", "weave", "schnet"])
def test_every_gnn_model_runs_from_a_clone_on_the_bundled_data(fresh_clone, model, data):
    fresh_clone.run_smoke("gnn")
    path = fresh_clone.root / "results" / "gnn" / f"{data}_{model}_smoke"
    log = read_log(path)
    epochs = [e for e in log if "main/loss" in e]
    key = "validation/main/homo_mae_eV" if data == "qm9" else "validation/main/roc_auc_mean"
    assert epochs and all(finite(e, "main/loss") and finite(e, key) for e in epochs), epochs
    final = "test/main/homo_mae_eV" if data == "qm9" else "test/main/roc_auc_mean"
    assert finite(log[-1], final), log[-1]
    args = json.loads((path / "args").read_text())
    assert args["data"] == [data] and args["smoke"] is True
    assert all(f.startswith(str(fresh_clone.root / "examples" / "gnn" / "data")) for f in args["data_files"])


def test_gnn_runs_under_torchrun_from_a_clone(fresh_clone):
    fresh_clone.run_smoke("gnn")
    path = fresh_clone.root / "results" / "gnn" / "qm9_nfp_ddp"
    assert json.loads((path / "args").read_text())["world_size"] == 2
    assert finite(read_log(path)[-1], "test/main/homo_mae_eV")


@pytest.mark.parametrize("example", EXAMPLES)
def test_each_example_s_torchrun_command_ran_first_and_the_others_after_it(fresh_clone, example):
    fresh_clone.run_smoke(example)
    (command,) = [c for block in smoke_blocks(fresh_clone.readme(example)) for c in torchrun_first(block)[0]]
    out = fresh_clone.root / command.split("--out ")[1].split()[0]
    ended = json.loads((out / ".trainui" / "status.json").read_text())
    assert ended["status"] == "finished" and ended["world_size"] == 2, ended
    later = [p for p in (fresh_clone.root / "results" / example).glob("*/.trainui/status.json")
             if p.parent.parent != out and not p.parent.parent.name.startswith("classifier_")]
    assert later, "the single-process smoke runs wrote results too"
    for status in later:
        assert json.loads(status.read_text())["started_at"] >= ended["ended_at"], status


def test_readme_registration_works_with_a_running_server_and_finds_every_run(fresh_clone, trainui_server):
    """The README's `trainui project create` line, run while a server runs: no second server needed."""
    for example in EXAMPLES:
        fresh_clone.run_smoke(example)
        lines = project_create_lines(fresh_clone.readme(example))
        assert len(lines) == 1, lines
        proc = fresh_clone.bash(lines[0], timeout=300, TRAINUI_ROOT=str(trainui_server.root))
        assert proc.returncode == 0, proc.stdout + proc.stderr
    _, body = trainui_server.api("GET", "projects")
    projects = {Path(p["path"]).resolve(): p for p in body["projects"]}
    expected = {fresh_clone.root / "results" / example for example in EXAMPLES}
    assert set(projects) == {p.resolve() for p in expected}, projects
    assert len({p["name"] for p in projects.values()}) == len(EXAMPLES)  # distinct directories and names
    for path, project in projects.items():
        on_disk = {p.parent.name for p in path.glob("*/log")}

        def ingested():
            names = {r["name"] for r in trainui_server.results(project["id"])}
            return names >= on_disk and names

        trainui_server.wait_for(ingested, timeout=120, interval=0.5)


def test_runs_write_only_git_ignored_files_in_the_clone(fresh_clone):
    for example in EXAMPLES:
        fresh_clone.run_smoke(example)
    status = subprocess.run(["git", "status", "--porcelain", "--ignored=no"], cwd=fresh_clone.root,
                            capture_output=True, text=True, check=True).stdout
    assert status == "", status
    assert (fresh_clone.root / "results").is_dir()


def test_no_example_points_outside_the_repository():
    """READMEs, docstrings and defaults may not use the test-only ../shared/data folder."""
    offenders = [str(p.relative_to(REPO)) for p in (REPO / "examples").rglob("*")
                 if p.is_file() and p.suffix in (".py", ".md") and re.search(r"shared/data", p.read_text())]
    assert offenders == []
