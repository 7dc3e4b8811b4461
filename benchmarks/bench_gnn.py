"""The GNN example's figures: trains each model with examples/gnn/train.py and prints the tables.

Every figure in examples/gnn/README.md's result tables is printed by this script. Each
(data, model) is one real training subprocess (``nice -n 19``, one at a time) into
``--out/<data>_<model>``; a finished run (its log ends with the test report and its ``args``
match) is not trained again, so the script can be re-run to print the table, or stopped and
continued. ``--report-only`` prints the table from the logs that exist.

    python benchmarks/bench_gnn.py --data qm9-full --epochs nfp=10,ggnn=10,weave=5,schnet=2
    python benchmarks/bench_gnn.py --data tox21 --epochs nfp=20,ggnn=20,weave=5,schnet=4

QM9 runs learn HOMO, LUMO and the gap together (multi-task) and report the test split's MAE in
eV next to the mean predictor's; Tox21 runs learn all 12 tasks and report test ROC-AUC.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRAIN = os.path.join(REPO, "examples", "gnn", "train.py")
MODELS = ("nfp", "ggnn", "weave", "schnet")
QM9_TARGETS = ("homo", "lumo", "gap")


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True, help="qm9, qm9-full or tox21 (as examples/gnn/train.py takes it)")
    p.add_argument("--models", default=",".join(MODELS))
    p.add_argument("--epochs", default="", help="per model, e.g. nfp=10,schnet=2 (default: the example's 20)")
    p.add_argument("--out", default=os.path.join("results", "bench_gnn"))
    p.add_argument("--cache", default=os.path.join("results", ".cache", "gnn"))
    p.add_argument("--report-only", action="store_true", help="print the table from existing logs only")
    args = p.parse_args(argv)
    args.models = [m for m in args.models.split(",") if m]
    args.epochs = {k: int(v) for k, v in (item.split("=") for item in args.epochs.split(",") if item)}
    return args


def result_dir(args, model: str) -> str:
    return os.path.join(args.out, f"{args.data}_{model}")


def command(args, model: str) -> list[str]:
    cmd = ["nice", "-n", "19", sys.executable, TRAIN, "--model", model, "--data", args.data,
           "--out", result_dir(args, model), "--cache", args.cache]
    if args.data.startswith("qm9"):
        cmd += ["--targets", ",".join(QM9_TARGETS)]
    if model in args.epochs:
        cmd += ["--epochs", str(args.epochs[model])]
    return cmd


def finished(path: str, epochs: int | None) -> list[dict] | None:
    """The log of a complete run with the wanted epochs, else None."""
    try:
        with open(os.path.join(path, "log")) as f:
            log = json.load(f)
        with open(os.path.join(path, "args")) as f:
            run_args = json.load(f)
    except (OSError, ValueError):
        return None
    complete = log and any(k.startswith("test/main/") for k in log[-1])
    return log if complete and (epochs is None or run_args.get("epochs") == epochs) else None


def train(args, model: str) -> None:
    cmd = command(args, model)
    print("$ " + " ".join(cmd[3:]), flush=True)
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=os.getcwd(), env=dict(os.environ, PYTHONPATH=os.pathsep.join(
        filter(None, [REPO, os.environ.get("PYTHONPATH")]))), stdout=subprocess.DEVNULL)
    if proc.returncode:
        raise SystemExit(f"{model} failed ({proc.returncode})")
    print(f"  {model}: {time.perf_counter() - started:.0f} s wall-clock, featurizing included", flush=True)


def row(path: str, log: list[dict]) -> dict:
    with open(os.path.join(path, "args")) as f:
        run_args = json.load(f)
    epochs = [e for e in log if "main/loss" in e]
    return {"args": run_args, "final": log[-1], "epochs": len(epochs),
            "train_seconds": epochs[-1]["elapsed_time"] if epochs else float("nan"),
            "best_validation": epochs[-1]}


def qm9_table(rows: dict[str, dict]) -> str:
    first = next(iter(rows.values()))
    a = first["args"]
    lines = [f"QM9: {a['n_molecules']:,} molecules featurized ({a['skipped_molecules']} skipped); {a['n_train']:,} training / "
             f"{a['n_validation']:,} validation / {a['n_test']:,} test; multi-task HOMO + LUMO + gap, test MAE in eV",
             "| model | hidden x layers | parameters | epochs | HOMO | LUMO | gap | train time |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    final = first["final"]
    lines.append("| predict the training mean | | | | " + " | ".join(
        f"{final[f'test/baseline/{t}_mae_eV']:.3f}" for t in QM9_TARGETS) + " | |")
    for model, r in rows.items():
        a, f = r["args"], r["final"]
        lines.append(f"| `{model}` | {a['hidden']} x {a['layers']} | {a['parameters']:,} | {r['epochs']} | "
                     + " | ".join(f"{f[f'test/main/{t}_mae_eV']:.3f}" for t in QM9_TARGETS)
                     + f" | {r['train_seconds']:,.0f} s |")
    return "\n".join(lines)


def tox21_table(rows: dict[str, dict]) -> str:
    first = next(iter(rows.values()))
    a = first["args"]
    lines = [f"Tox21: {a['n_train']:,} training / {a['n_validation']:,} validation / {a['n_test']:,} test molecules "
             f"(of the featurized ones; SchNet skips those without a conformer), 12 tasks, test ROC-AUC",
             "| model | hidden x layers | parameters | epochs | mean over tasks | pooled | molecules skipped | train time |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for model, r in rows.items():
        a, f = r["args"], r["final"]
        lines.append(f"| `{model}` | {a['hidden']} x {a['layers']} | {a['parameters']:,} | {r['epochs']} | "
                     f"{f['test/main/roc_auc_mean']:.3f} | {f['test/main/roc_auc_pooled']:.3f} | "
                     f"{a['skipped_molecules']} | {r['train_seconds']:,.0f} s |")
    return "\n".join(lines)


def main(argv=None) -> int:
    args = parse_args(argv)
    rows = {}
    for model in args.models:
        path = result_dir(args, model)
        log = finished(path, args.epochs.get(model))
        if log is None and not args.report_only:
            train(args, model)
            log = finished(path, args.epochs.get(model))
        if log is not None:
            rows[model] = row(path, log)
    if not rows:
        print("no finished runs")
        return 1
    print()
    print(qm9_table(rows) if args.data.startswith("qm9") else tox21_table(rows))
    print("train time: the log's elapsed_time at the last epoch (training and per-epoch validation, "
          "featurizing excluded), one thread, wall-clock on a shared 2-core CPU")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
