"""The final comparison: a printed table, ``baselines.json`` and flat log values for trainui charts.

The same rows feed all three, so the terminal, the file and the dashboard cannot disagree.
"""
from __future__ import annotations

import os
import re

from trainui import protocol

from evaluation import ATTACK_NETWORK

BASELINES_FILE = "baselines.json"


def slug(method: str) -> str:
    """'MI-FGSM (10 it.)' -> 'mi_fgsm_10': a log key part without spaces or brackets."""
    return re.sub(r"_+", "_", re.sub(r"[^a-z0-9]+", "_", method.lower().replace(" it.", ""))).strip("_")


def summarise(rows: list[dict]) -> dict:
    """Per method over the training targets: mean success per epsilon, images/s over all their images."""
    summary: dict[str, dict] = {}
    for row in rows:
        if row["held_out"]:
            continue
        entry = summary.setdefault(row["method"], {"images": 0, "seconds": 0.0, "success": {}})
        entry["images"] += row["images"]
        entry["seconds"] += row["images"] / row["images_per_sec"]
        for eps, rate in row["success"].items():
            entry["success"].setdefault(eps, []).append(rate)
    for entry in summary.values():
        entry["images_per_sec"] = entry["images"] / max(entry["seconds"], 1e-9)
        entry["success"] = {eps: sum(rates) / len(rates) for eps, rates in entry["success"].items()}
    return summary


def speedup(summary: dict, reference_prefix: str = "MI-FGSM") -> tuple[str, float]:
    reference = next(name for name in summary if name.startswith(reference_prefix))
    return reference, summary[ATTACK_NETWORK]["images_per_sec"] / summary[reference]["images_per_sec"]


def format_table(rows: list[dict], summary: dict) -> str:
    epsilons = list(rows[0]["success"])
    header = (f"{'method':<18} {'classifier':<16} {'clean acc':>9} "
              + " ".join(f"{'eps=' + eps:>8}" for eps in epsilons) + f" {'images/s':>10}")
    lines = ["success rate (fraction of correctly classified test images that the attack makes wrong)", header,
             "-" * len(header)]
    for row in sorted(rows, key=lambda r: (r["held_out"], r["classifier"])):
        name = row["classifier"] + (" (held out)" if row["held_out"] else "")
        lines.append(f"{row['method']:<18} {name:<16} {row['clean_accuracy']:>9.3f} "
                     + " ".join(f"{row['success'][eps]:>8.3f}" for eps in epsilons)
                     + f" {row['images_per_sec']:>10.0f}")
    lines.append("-" * len(header))
    for method, entry in summary.items():
        lines.append(f"{method:<18} {'all targets':<16} {'':>9} "
                     + " ".join(f"{entry['success'][eps]:>8.3f}" for eps in epsilons)
                     + f" {entry['images_per_sec']:>10.0f}")
    reference, ratio = speedup(summary)
    lines.append(f"attack network: {ratio:.1f}x the images/s of {reference} "
                 "(one pass also yields every other epsilon's image, not counted)")
    return "\n".join(lines)


def final_log_values(rows: list[dict], summary: dict) -> dict[str, float]:
    values: dict[str, float] = {}
    for method, entry in summary.items():
        values[f"final/{slug(method)}/images_per_sec"] = entry["images_per_sec"]
        for eps, rate in entry["success"].items():
            values[f"final/{slug(method)}/success/eps{eps}"] = rate
    for row in rows:
        for eps, rate in row["success"].items():
            values[f"final/{slug(row['method'])}/{row['classifier']}/success/eps{eps}"] = rate
    values["final/speedup_vs_mi_fgsm"] = speedup(summary)[1]
    return values


def write_baselines(out: str, rows: list[dict], summary: dict, table: str) -> str:
    path = os.path.join(out, BASELINES_FILE)
    reference, ratio = speedup(summary)
    protocol.atomic_write_json(path, {"rows": rows, "summary": summary, "speedup": {"reference": reference,
                                                                                   "ratio": ratio},
                                      "table": table})
    return path
