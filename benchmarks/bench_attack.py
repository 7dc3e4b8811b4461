"""The attack network at its default size against FGSM, I-FGSM and MI-FGSM: prints the figures and goals.

Trains ``examples/attack_network/train.py`` at the default size (``nice -n 19``, under torchrun,
gloo on the CPU), then reads the ``evaluation.json`` the run wrote and prints its table and the
issue's goals, each with the figures it was judged on:

1. images/s of the attack network / MI-FGSM (10 iterations), same batch size and device: >= 10;
2. the attack network's success >= FGSM's at every epsilon, white-box and transfer;
3. its transfer success (the competition-style score) within 0.05 of MI-FGSM's at eps 0.2.

    python benchmarks/bench_attack.py                       # trains, then prints (tens of minutes)
    python benchmarks/bench_attack.py --reuse               # prints from an existing run
    python benchmarks/bench_attack.py --out results/bench_attack/no-hint -- --hint none

Arguments after ``--`` go to train.py.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRAIN = os.path.join(REPO, "examples", "attack_network", "train.py")
NETWORK, FGSM, MI_FGSM = "attack network", "FGSM", "MI-FGSM (10 it.)"
SETTINGS = ("white-box", "transfer")


def parse_args(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[:argv.index("--")] if "--" in argv else argv
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=os.path.join("results", "bench_attack", "attack"))
    p.add_argument("--nproc", type=int, default=2, help="torchrun ranks")
    p.add_argument("--reuse", action="store_true", help="print from an existing evaluation.json, do not train")
    args = p.parse_args(argv)
    args.extra = extra
    return args


def train(args) -> float:
    cmd = ["nice", "-n", "19", sys.executable, "-m", "torch.distributed.run", "--standalone",
           f"--nproc_per_node={args.nproc}", TRAIN, "--out", args.out, *args.extra]
    print("$ " + " ".join(cmd[3:]), flush=True)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [REPO, os.environ.get("PYTHONPATH")])))
    started = time.perf_counter()
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(os.path.join(os.path.dirname(os.path.abspath(args.out)), "bench_attack_output.txt"), "w") as output:
        proc = subprocess.run(cmd, env=env, stdout=output, stderr=subprocess.STDOUT)
    if proc.returncode:
        raise SystemExit(f"train.py failed ({proc.returncode}); see {output.name}")
    return time.perf_counter() - started


def goals(summary: dict, speedup: dict) -> list[tuple[str, bool, str]]:
    out = []
    for setting in SETTINGS:
        ratio = speedup[setting]
        out.append((f"images/s vs MI-FGSM, {setting} >= 10x", ratio >= 10,
                    f"{summary[NETWORK][setting]['images_per_sec']:.0f} / "
                    f"{summary[MI_FGSM][setting]['images_per_sec']:.0f} images/s = {ratio:.1f}x"))
    for setting in SETTINGS:
        ours, fgsm = summary[NETWORK][setting]["success"], summary[FGSM][setting]["success"]
        out.append((f"success >= FGSM at every epsilon, {setting}", all(ours[e] >= fgsm[e] for e in ours),
                    ", ".join(f"eps {e}: {ours[e]:.3f} vs {fgsm[e]:.3f}" for e in ours)))
    ours, mi = summary[NETWORK]["transfer"]["success"]["0.2"], summary[MI_FGSM]["transfer"]["success"]["0.2"]
    out.append(("transfer success within 0.05 of MI-FGSM at eps 0.2", ours >= mi - 0.05,
                f"{ours:.3f} vs {mi:.3f} (difference {ours - mi:+.3f})"))
    return out


def main(argv=None) -> int:
    args = parse_args(argv)
    seconds = None if args.reuse else train(args)
    with open(os.path.join(args.out, "evaluation.json")) as f:
        evaluation = json.load(f)
    with open(os.path.join(args.out, "args")) as f:
        run_args = json.load(f)
    print(evaluation["table"])
    print()
    keys = ("size", "clf_epochs", "iterations", "batch_size", "width", "depth", "norm", "lr", "hint", "eps_weights",
            "targets", "held_out", "hint_from", "bench_batch_size", "threads")
    print("configuration: " + ", ".join(f"{k}={run_args.get(k)}" for k in keys) + f", ranks={args.nproc}")
    if seconds is not None:
        print(f"wall time: {seconds / 60:.1f} min (classifier training, attack training and the comparison; "
              "nice 19 on a shared 2-core CPU)")
    met = 0
    for name, ok, figures in goals(evaluation["summary"], evaluation["speedup_vs_mi_fgsm"]):
        met += ok
        print(f"{'MET    ' if ok else 'NOT MET'} {name}: {figures}")
    print(f"{met} of 5 goals met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
