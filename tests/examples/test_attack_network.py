"""The attack network example (issue 5), run for real: torchrun with 2 ranks, a real server, a real lr command.

One ``--smoke`` run (about 1.5 minutes on 2 cores) is shared by the module: the first test starts
the server, steers the run while it trains and checks what the server ingested; the others read
the finished result directory. The small unit tests at the bottom need no run.
"""
from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "attack_network"
RUN_TIMEOUT = 600  # seconds; about 90 on an idle 2-core machine
NEW_LR = 0.00123


class SmokeRun:
    """The background ``torchrun ... --smoke`` job and where it writes."""

    def __init__(self, project: Path):
        self.project = project
        project.mkdir(parents=True, exist_ok=True)
        self.out = project / "attack"
        self.stdout_path = project.parent / "attack_stdout.txt"
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
               str(EXAMPLE / "train.py"), "--out", str(self.out), "--smoke"]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
        with open(self.stdout_path, "wb") as stdout:
            self.proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=stdout, stderr=subprocess.STDOUT,
                                         start_new_session=True)

    def wait(self) -> str:
        try:
            code = self.proc.wait(timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.stop()
            pytest.fail(f"smoke run did not finish in {RUN_TIMEOUT}s:\n{self.output()[-3000:]}")
        assert code == 0, f"smoke run failed ({code}):\n{self.output()[-5000:]}"
        return self.output()

    def output(self) -> str:
        return self.stdout_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 9)
            self.proc.wait()

    def log(self) -> list[dict]:
        return json.loads((self.out / "log").read_text())

    def baselines(self) -> dict:
        return json.loads((self.out / "baselines.json").read_text())

    def rank_records(self, rank: int) -> list[dict]:
        path = self.out / ".trainui" / "ranks" / f"rank{rank}.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    run = SmokeRun(tmp_path_factory.mktemp("attack") / "project")
    yield run
    run.stop()


def test_two_rank_run_is_ingested_and_applies_lr_on_both_ranks_at_one_iteration(smoke_run, trainui_server):
    """Acceptance 1 (ingestion) and 3 (an lr command applied by both ranks at the same iteration)."""
    project = trainui_server.create_project(smoke_run.project, "attack_network")

    def attack_result():
        if smoke_run.proc.poll() is not None:  # ended before it could be steered: say why now
            pytest.fail(f"smoke run ended ({smoke_run.proc.returncode}) before the result was running:\n"
                        + smoke_run.output()[-3000:])
        return next((r for r in trainui_server.results(project["id"])
                     if r["name"] == "attack" and r["status"] == "running"), None)

    result = trainui_server.wait_for(attack_result, timeout=RUN_TIMEOUT, interval=0.5)  # classifiers train first
    status, answer = trainui_server.api("POST", f"results/{result['id']}/commands",
                                        json={"name": "adjust_hyperparams", "body": {"lr": NEW_LR}})
    assert status == 201, answer
    command = answer["command"]
    smoke_run.wait()

    def answered():
        _, body = trainui_server.api("GET", f"results/{result['id']}/commands")
        found = [c for c in body["commands"] if c["id"] == command["id"] and c["status"] != "PENDING"]
        return found and found[0]

    applied = trainui_server.wait_for(answered, timeout=30, interval=0.2)
    assert applied["status"] == "SUCCESS", applied
    assert applied["ranks"] == 2
    records = [[r for r in smoke_run.rank_records(rank) if r["uid"] == command["uid"]] for rank in (0, 1)]
    assert all(len(r) == 1 for r in records), records
    (rank0,), (rank1,) = records
    assert rank0["iteration"] == rank1["iteration"] == applied["iteration"]
    assert rank0["status"] == rank1["status"] == "SUCCESS"
    assert rank0["hyperparams"][0]["lr"] == rank1["hyperparams"][0]["lr"] == pytest.approx(NEW_LR)
    later = [e for e in smoke_run.log() if e.get("iteration", 0) > applied["iteration"] and "main/loss" in e]
    assert later and all(e["lr"] == pytest.approx(NEW_LR) for e in later)

    def finished_with_final_values():
        results = {r["name"]: r for r in trainui_server.results(project["id"])}
        attack = results.get("attack")
        done = attack and attack["status"] == "finished" and "final/speedup_vs_mi_fgsm" in attack["last_values"]
        return done and results

    results = trainui_server.wait_for(finished_with_final_values, timeout=60, interval=0.2)
    last = results["attack"]["last_values"]
    assert last["iteration"] == 100
    assert last["final/speedup_vs_mi_fgsm"] == pytest.approx(smoke_run.baselines()["speedup"]["ratio"])
    classifier_runs = [r for name, r in results.items() if name.startswith("classifier_")]
    assert len(classifier_runs) == 3, sorted(results)
    for run in classifier_runs:
        assert run["status"] == "finished"
        assert run["last_values"]["validation/main/accuracy"] >= 0.8


def test_classifiers_are_accurate_and_the_attack_succeeds(smoke_run):
    """Acceptance 1: clean accuracy >= 0.8; success >= 0.5 at eps 0.2 and >= 0.9 at eps 0.3 on each target."""
    smoke_run.wait()
    rows = smoke_run.baselines()["rows"]
    assert {r["classifier"] for r in rows} == {"cnn", "wide_cnn", "mlp"}
    for row in rows:
        assert row["clean_accuracy"] >= 0.8, row
    for row in rows:
        if row["method"] == "attack network" and not row["held_out"]:
            assert row["success"]["0.2"] >= 0.5, row
            assert row["success"]["0.3"] >= 0.9, row
    final = smoke_run.log()[-1]
    assert final["final/attack_network/success/eps0.3"] >= 0.9
    evaluated = [e for e in smoke_run.log() if "validation/transfer_success/eps0.3" in e]
    assert evaluated[-1]["validation/success/eps0.3"] >= 0.9


def test_final_table_shows_the_attack_network_at_least_5x_faster_than_mi_fgsm(smoke_run):
    """Acceptance 2, read from the printed table and from baselines.json (the same rows)."""
    output = smoke_run.wait()
    assert "MI-FGSM (10 it.)" in output and "I-FGSM (10 it.)" in output and "FGSM" in output
    summary = smoke_run.baselines()["summary"]
    ratio = summary["attack network"]["images_per_sec"] / summary["MI-FGSM (10 it.)"]["images_per_sec"]
    assert ratio >= 5, json.dumps(summary, indent=1)
    line = next(l for l in output.splitlines() if l.startswith("attack network: "))
    assert float(line.split("attack network: ")[1].split("x")[0]) >= 5
    for method in summary.values():
        assert set(method["success"]) == {"0.1", "0.2", "0.3"}


def test_bound_is_checked_on_every_batch_and_figures_are_logged(smoke_run):
    smoke_run.wait()
    log = smoke_run.log()
    training = [e for e in log if "main/loss" in e]
    # cumulative over both ranks: 100 iterations x 2 ranks x 3 epsilon heads
    assert training[-1]["main/bound_checked_batches"] == 100 * 2 * 3
    assert all(0 < e["main/max_delta_ratio"] <= 1 + 1e-4 for e in training)
    keys = set().union(*log)
    for key in ("lr", "main/images_per_sec", "main/success/cnn/eps0.2", "main/success/wide_cnn/eps0.2",
                "main/delta_ratio/eps0.3", "validation/clean_accuracy/mlp", "validation/transfer_success/eps0.2",
                "final/mi_fgsm_10/images_per_sec", "final/fgsm/success/eps0.3", "final/i_fgsm_10/success/eps0.3"):
        assert key in keys, key
    assets = [json.loads(l) for l in (smoke_run.out / ".trainui" / "assets.jsonl").read_text().splitlines() if l]
    assert {a["tag"] for a in assets} == {"triplet_eps0.1", "triplet_eps0.2", "triplet_eps0.3"}
    assert all((smoke_run.out / a["path"]).is_file() for a in assets)


# --- unit tests of the example's parts (no run needed) --------------------------------------

@pytest.fixture(scope="module")
def example_modules():
    """The example's modules, imported by their script-style names and forgotten afterwards
    (generic names such as ``images`` must not shadow another test's modules)."""
    names = ("attack_net", "images", "baselines")
    before = set(sys.modules)
    sys.path.insert(0, str(EXAMPLE))
    try:
        yield {name: importlib.import_module(name) for name in names}
    finally:
        sys.path.remove(str(EXAMPLE))
        for name in set(sys.modules) - before:
            if name in names:
                del sys.modules[name]


def test_perturbation_is_bounded_by_construction_even_for_huge_outputs(example_modules):
    attack_net = example_modules["attack_net"]
    net = attack_net.AttackNetwork(channels=3, epsilons=[0.05, 0.3], width=4, depth=2)
    with torch.no_grad():
        for head in net.heads:
            head.bias.fill_(1e4)  # tanh saturates: delta is exactly +eps before the clip
    x = torch.rand(2, 3, 32, 24)  # fully convolutional: any size divisible by 4
    for eps, x_adv in zip(net.epsilons, net(x, torch.zeros_like(x))):
        assert x_adv.shape == x.shape
        assert attack_net.check_linf_bound(x, x_adv, eps) == pytest.approx(1.0, abs=1e-4)
    with pytest.raises(AssertionError, match="bound violated"):
        attack_net.check_linf_bound(x, (x + 0.31).clamp(0, 1), 0.3)


def test_baselines_stay_within_epsilon(example_modules):
    baselines = example_modules["baselines"]
    classifier = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 3))
    x, labels = torch.rand(5, 1, 4, 4), torch.tensor([0, 1, 2, 0, 1])
    for attack in baselines.baseline_attacks(iterations=4).values():
        x_adv = attack(classifier, x, labels, 0.1)
        assert float((x_adv - x).abs().max()) <= 0.1 + 1e-6
        assert float(x_adv.min()) >= 0 and float(x_adv.max()) <= 1


def test_data_directory_of_labelled_images(example_modules, tmp_path):
    from PIL import Image

    for label in ("cat", "dog"):
        (tmp_path / label).mkdir()
        for i in range(5):
            Image.new("RGB", (20, 12), (i * 40, 100, 200)).save(tmp_path / label / f"{i}.png")
    (tmp_path / "dog" / "notes.txt").write_text("not an image")
    split = example_modules["images"].load_images(str(tmp_path), size=16, channels=3, test_fraction=0.2)
    assert split.class_names == ["cat", "dog"]
    assert split.train_x.shape == (8, 3, 16, 16) and split.test_x.shape == (2, 3, 16, 16)
    assert 0 <= float(split.train_x.min()) and float(split.train_x.max()) <= 1
