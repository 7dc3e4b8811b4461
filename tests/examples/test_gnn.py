"""The molecule GNN example (issue 6), run for real on the data that ships with it.

The smoke runs are the README's own smoke block, run once per session in a fresh clone (see
conftest.py and test_fresh_clone.py); the tests here read what those runs wrote. The server
test registers the folder holding them; the torchrun test steers a 2-rank job through a real
server; the full-QM9 test reads every molecule of the qm9pack package where it is installed.
"""
from __future__ import annotations

import csv
import gzip
import importlib
import importlib.util
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("rdkit")

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "gnn"
RUN_TIMEOUT = 600  # seconds per run; smoke runs take 10 to 40 on an idle 2-core machine
HARTREE_EV = 27.211386
QM9 = ("qm9", ("nfp", "ggnn", "weave", "schnet"))
TOX21 = ("tox21", ("nfp", "ggnn", "weave", "schnet"))
QM9_FILE = EXAMPLE / "data" / "qm9_5k.csv.gz"


def _env() -> dict:
    return dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))


@pytest.fixture(scope="module")
def molgnn():
    sys.path.insert(0, str(EXAMPLE))
    try:
        yield importlib.import_module("molgnn")
    finally:
        sys.path.remove(str(EXAMPLE))


@pytest.fixture(scope="module")
def feature_cache(tmp_path_factory, molgnn):
    """Featurize the smoke subset of QM9 once for the runs of this module that are not the README's."""
    from molgnn import data, presets

    cache = tmp_path_factory.mktemp("gnn_cache")
    data.load(data.resolve_sources(["qm9"]), cache_dir=str(cache), seed=0, limit=presets.SMOKE[("qm9", "nfp")]["limit"])
    return cache


class SmokeRuns:
    """The README smoke runs' logs, in the fresh clone's results/gnn."""

    def __init__(self, clone):
        self.clone = clone
        self.project = clone.root / "results" / "gnn"

    def get(self, data: str, model: str) -> list[dict]:
        self.clone.run_smoke("gnn")
        return json.loads((self.project / f"{data}_{model}_smoke" / "log").read_text())

    def all(self) -> dict[str, list[dict]]:
        self.clone.run_smoke("gnn")
        return {p.parent.name: json.loads(p.read_text()) for p in sorted(self.project.glob("*/log"))}


@pytest.fixture(scope="module")
def smoke_runs(fresh_clone):
    return SmokeRuns(fresh_clone)


def _homo_mean_absolute_deviation(path: Path) -> float:
    """MAE of the mean predictor over the whole file, read independently of the example's code."""
    with gzip.open(path, "rt", newline="") as f:
        homo = [float(row["HOMO_au"]) * HARTREE_EV for row in csv.DictReader(f)]
    mean = sum(homo) / len(homo)
    return sum(abs(h - mean) for h in homo) / len(homo)


@pytest.mark.parametrize("model", QM9[1])
def test_qm9_model_beats_the_mean_predictor_by_25_percent(model, smoke_runs):
    log = smoke_runs.get(QM9[0], model)
    epochs, final = log[:-1], log[-1]
    baseline = final["validation/baseline/homo_mae_eV"]
    # The logged baseline is what predicting the training mean costs, in eV (not Hartree); the
    # validation split is a few hundred molecules, so it only roughly matches the whole file's.
    assert baseline == pytest.approx(_homo_mean_absolute_deviation(QM9_FILE), rel=0.2)
    assert epochs[-1]["validation/main/homo_mae_eV"] <= 0.75 * baseline, epochs[-1]
    assert final["test/main/homo_mae_eV"] <= 0.75 * final["test/baseline/homo_mae_eV"], final
    for entry in epochs:
        for key in ("main/loss", "validation/main/loss", "lr", "molecules_per_sec", "epoch", "iteration"):
            assert math.isfinite(entry[key]), (key, entry)
    assert [e["epoch"] for e in epochs] == list(range(1, len(epochs) + 1))
    assert epochs[-1]["main/loss"] < epochs[0]["main/loss"]


@pytest.mark.parametrize("model", TOX21[1][:2])
def test_tox21_model_reaches_mean_roc_auc_065(model, smoke_runs):
    log = smoke_runs.get(TOX21[0], model)
    last = log[-2]
    assert last["validation/main/roc_auc_mean"] >= 0.65, last
    assert 0.5 < last["validation/main/roc_auc_pooled"] <= 1.0
    per_task = [k for k in last if k.startswith("validation/main/roc_auc/")]
    assert len(per_task) == 12 and "validation/main/roc_auc/SR-p53" in per_task
    assert log[-1]["test/main/roc_auc_mean"] >= 0.6


@pytest.mark.parametrize("model", TOX21[1])
def test_tox21_smoke_reports_every_task_for_every_model(model, smoke_runs):
    """WeaveNet and SchNet smoke runs are too small to learn much; they must run and report all tasks."""
    log = smoke_runs.get(TOX21[0], model)
    per_task = [k for k in log[-2] if k.startswith("validation/main/roc_auc/")]
    assert len(per_task) == 12
    assert 0.0 <= log[-1]["test/main/roc_auc_mean"] <= 1.0


def test_server_ingests_every_smoke_result_with_its_last_values(smoke_runs, trainui_server):
    runs = smoke_runs.all()
    project = trainui_server.create_project(smoke_runs.project, "gnn")

    def all_finished():
        results = {r["name"]: r for r in trainui_server.results(project["id"])}
        ready = all(name in results and results[name]["status"] == "finished"
                    and results[name]["last_values"].get("iteration") == log[-1]["iteration"]
                    and any(k.startswith("test/main/") for k in results[name]["last_values"])
                    for name, log in runs.items())
        return ready and results

    results = trainui_server.wait_for(all_finished, timeout=60)
    for name, log in runs.items():
        last = results[name]["last_values"]
        key = "test/main/homo_mae_eV" if name.startswith("qm9") else "test/main/roc_auc_mean"
        assert last[key] == pytest.approx(log[-1][key]), name
        assert results[name]["args"]["model"] == name.split("_")[1]


def test_torchrun_two_ranks_train_and_obey_commands(tmp_path, feature_cache, trainui_server):
    """DDP with 2 gloo ranks: lr change, the example's own `evaluate` command, then `stop`."""
    project = tmp_path / "project"
    project.mkdir()
    out = project / "ddp_nfp"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
           str(EXAMPLE / "train.py"), "--model", "nfp", "--smoke", "--epochs", "500",
           "--data", "qm9", "--out", str(out), "--cache", str(feature_cache)]
    stdout_path = tmp_path / "torchrun.txt"
    with open(stdout_path, "wb") as stdout:
        proc = subprocess.Popen(cmd, cwd=REPO, env=_env(), stdout=stdout, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        registered = trainui_server.create_project(project, "gnn_ddp")

        def running():
            rows = trainui_server.results(registered["id"])
            return rows and rows[0]["status"] == "running" and rows[0]["last_values"].get("epoch", 0) >= 6 and rows[0]

        result = trainui_server.wait_for(running, timeout=RUN_TIMEOUT)

        def post_and_wait(name, body):
            status, answer = trainui_server.api("POST", f"results/{result['id']}/commands",
                                                json={"name": name, "body": body})
            assert status == 201, answer
            uid = answer["command"]["id"]

            def answered():
                _, listing = trainui_server.api("GET", f"results/{result['id']}/commands")
                found = [c for c in listing["commands"] if c["id"] == uid and c["status"] != "PENDING"]
                return found and found[0]

            return trainui_server.wait_for(answered, timeout=60)

        lr = post_and_wait("adjust_hyperparams", {"lr": 0.000321})
        assert lr["status"] == "SUCCESS" and lr["ranks"] == 2, lr
        evaluated = post_and_wait("evaluate", {})
        assert evaluated["status"] == "SUCCESS", evaluated
        assert 0 < evaluated["response"]["validation/main/homo_mae_eV"] < 0.45, evaluated
        stopped = post_and_wait("stop", {})
        assert stopped["status"] == "SUCCESS", stopped
        assert proc.wait(timeout=120) == 0, stdout_path.read_text(errors="replace")[-5000:]
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, 9)
            proc.wait()

    log = json.loads((out / "log").read_text())
    args = json.loads((out / "args").read_text())
    assert args["world_size"] == 2
    epochs = [e for e in log if "main/loss" in e]
    assert 6 <= len(epochs) < 500, "the job ended by `stop`, not by running out of epochs"
    assert all(e["lr"] == pytest.approx(0.000321) for e in epochs if e["iteration"] > lr["iteration"])
    assert epochs[-1]["validation/main/homo_mae_eV"] <= 0.75 * log[-1]["validation/baseline/homo_mae_eV"]
    # Both ranks together see the whole training split each epoch.
    per_rank = math.ceil(args["n_train"] / 2)
    assert epochs[0]["iteration"] == math.ceil(per_rank / args["batch_size"])


def test_resume_continues_from_the_snapshot_in_the_same_log(tmp_path, feature_cache):
    out = tmp_path / "resumed"
    base = [sys.executable, str(EXAMPLE / "train.py"), "--model", "nfp", "--smoke", "--data", "qm9",
            "--out", str(out), "--cache", str(feature_cache)]
    for extra in (["--epochs", "2", "--snapshot-at-end"], ["--epochs", "3", "--resume", "auto"]):
        proc = subprocess.run(base + extra, cwd=REPO, env=_env(), capture_output=True, text=True, timeout=RUN_TIMEOUT)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    epochs = [e for e in json.loads((out / "log").read_text()) if "main/loss" in e]
    assert [e["epoch"] for e in epochs] == [1, 2, 3]
    assert epochs[2]["iteration"] == 3 * epochs[0]["iteration"]
    # Trained weights were loaded: the third epoch does not start over from a fresh model.
    assert epochs[2]["main/loss"] < epochs[1]["main/loss"] < epochs[0]["main/loss"]


# --- reading the data ------------------------------------------------------------------------------

ACETYLENE = {  # a row as qm9pack writes it: bare trailing dots ("0.", "1."), which JSON rejects
    "Index": "4", "SMILES": "C#C", "N_atoms": "4", "Elements": "['C','C','H','H']",
    "XYZ_Ang": "[[0.5995394918,0.,1.],[-0.5995394918,0.,1.],[-1.6616385861,0.,1.],[1.6616385861,0.,1.]]",
    "Dipole_debye": "0.", "Polarizability_bohr3": "16.28", "HOMO_au": "-0.2845", "LUMO_au": "0.0506",
    "HOMO_LUMO_gap_au": "0.3351", "R2_bohr2": "59.5248", "ZPVE_au": "0.026841", "InternalEnergy_0K_au": "-77.308427",
    "InternalEnergy_298K_au": "-77.305527", "Enthalphy_298K_au": "-77.304583", "GibbsFreeEnergy_298K_au": "-77.327429",
    "Heatcapacity_Cv_cal_mol_K": "8.574",
}


def test_qm9pack_rows_with_bare_trailing_dots_are_read(molgnn, tmp_path):
    from molgnn import data

    path = tmp_path / "qm9_like.csv"
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, list(ACETYLENE))
        writer.writeheader()
        writer.writerow(ACETYLENE)
    dataset = data.load([str(path)])
    assert dataset.skipped == 0 and len(dataset.records) == 1
    record = dataset.records[0]
    assert record["z"].tolist() == [6, 6, 1, 1]
    assert record["pos"][1].tolist() == pytest.approx([-0.5995394918, 0.0, 1.0])
    labels = dict(zip(dataset.target_names, dataset.labels[0]))
    assert labels["mu"] == 0.0
    assert labels["homo"] == pytest.approx(-0.2845 * HARTREE_EV)


def test_bundled_names_resolve_inside_the_repository(molgnn):
    from molgnn import data

    for name in ("qm9", "tox21"):
        (path,) = data.resolve_sources([name])
        assert Path(path).is_file() and Path(path).is_relative_to(EXAMPLE / "data")
    with pytest.raises(SystemExit, match="neither a file nor"):
        data.resolve_sources(["no-such-data"])


@pytest.mark.skipif(importlib.util.find_spec("qm9pack") is None,
                    reason="needs the qm9pack package (pip install -e '.[qm9]'; .ci/run installs it)")
def test_full_qm9_from_qm9pack_reads_all_130831_molecules(molgnn):
    """Acceptance 2 of issue 10: the documented full-QM9 route reads every molecule (parsing, not featurizing)."""
    from molgnn import data

    _, rows = data.read_rows(data.resolve_sources(["qm9-full"]))
    assert len(rows) == data.QM9_FULL_MOLECULES == 130831
    for row in rows:
        elements = data.parse_elements(row["Elements"])
        assert len(elements) == int(row["N_atoms"]), row["Index"]
        assert len(data.parse_numbers(row["XYZ_Ang"])) == 3 * len(elements), row["Index"]
        assert all(math.isfinite(float(row[col])) for col, _, _ in data.QM9_TARGETS.values()), row["Index"]


# --- the example's parts, without a run ----------------------------------------------------------

def test_roc_auc_matches_scikit_learn_with_ties(molgnn):
    import numpy as np

    from molgnn.metrics import roc_auc

    roc_auc_score = pytest.importorskip("sklearn.metrics").roc_auc_score

    rng = np.random.default_rng(1)
    scores, labels = rng.integers(0, 6, 300).astype(float), rng.integers(0, 2, 300)
    assert roc_auc(scores, labels) == pytest.approx(roc_auc_score(labels, scores))
    assert math.isnan(roc_auc(scores, np.zeros(300)))


def test_masked_loss_ignores_missing_labels(molgnn):
    from molgnn.metrics import masked_loss

    pred = torch.tensor([[5.0, 0.0]])
    y = torch.tensor([[0.0, 1.0]])
    only_second = masked_loss(pred, y, torch.tensor([[False, True]]), regression=False)
    assert only_second.item() == pytest.approx(math.log(2.0))
    assert masked_loss(pred, y, torch.tensor([[False, False]]), regression=True).item() == 0.0


@pytest.mark.parametrize("model_name", QM9[1])
def test_padding_does_not_change_a_molecules_prediction(model_name, molgnn):
    """Dense batches pad to the largest molecule; a prediction must not depend on its batch mates."""
    import numpy as np

    from molgnn import batching, data, featurize, models

    smiles = ["CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1"]
    records = []
    for s in smiles:
        mol = featurize.parse_smiles(s)
        record = featurize.graph_arrays(mol)
        record.update(featurize.geometry_from_rdkit(mol))
        records.append(record)
    dataset = data.MoleculeSet("qm9", records, np.zeros((3, 1), np.float32), ["homo"], ["eV"])
    standardizer = batching.Standardizer(dataset.labels, regression=True)
    geometry = models.uses_geometry(model_name)
    torch.manual_seed(0)
    model = models.build(model_name, hidden=8, layers=2, n_targets=1).eval()
    with torch.no_grad():
        together = model(batching.collate(dataset, np.arange(3), standardizer, geometry))
        alone = torch.cat([model(batching.collate(dataset, np.array([i]), standardizer, geometry))
                           for i in range(3)])
    assert torch.allclose(together, alone, atol=1e-5)
