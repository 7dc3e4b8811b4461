"""The final comparison: a printed table, ``evaluation.json`` and flat log values for trainui charts.

The same rows feed all three, so the terminal, the file and the dashboard cannot disagree.
"""
from __future__ import annotations

import os
import re

from trainui import protocol

from evaluation import ATTACK_NETWORK, TRANSFER, WHITE_BOX

EVALUATION_FILE = "evaluation.json"
REFERENCE = "MI-FGSM"


def slug(method: str) -> str:
    """'MI-FGSM (10 it.)' -> 'mi_fgsm_10': a log key part without spaces or brackets."""
    return re.sub(r"_+", "_", re.sub(r"[^a-z0-9]+", "_", method.lower().replace(" it.", ""))).strip("_")


def summarise(rows: list[dict]) -> dict:
    """Per method and setting: mean success per epsilon over the classifiers, and images/s.

    The transfer mean is the competition-style score (mean success over the held-out defenses).
    A transfer job attacks once for all held-out classifiers, so its time is counted once.
    """
    summary: dict[str, dict] = {}
    for row in rows:
        entry = summary.setdefault(row["method"], {}).setdefault(
            row["setting"], {"success": {}, "images": 0, "seconds": 0.0, "timed": set()})
        for eps, rate in row["success"].items():
            entry["success"].setdefault(eps, []).append(rate)
        timing_key = row["classifier"] if row["setting"] == WHITE_BOX else TRANSFER
        if timing_key not in entry["timed"]:
            entry["timed"].add(timing_key)
            entry["images"] += row["images"]
            entry["seconds"] += row["images"] / row["images_per_sec"]
    for settings in summary.values():
        for entry in settings.values():
            entry["success"] = {eps: sum(r) / len(r) for eps, r in entry["success"].items()}
            entry["images_per_sec"] = entry["images"] / max(entry.pop("seconds"), 1e-9)
            entry.pop("timed")
            entry.pop("images")
    return summary


def speedups(summary: dict) -> dict[str, float]:
    """The attack network's images/s over MI-FGSM's, per setting."""
    reference = next(name for name in summary if name.startswith(REFERENCE))
    return {setting: summary[ATTACK_NETWORK][setting]["images_per_sec"] / summary[reference][setting]["images_per_sec"]
            for setting in summary[ATTACK_NETWORK]}


def format_table(rows: list[dict], summary: dict) -> str:
    epsilons = list(rows[0]["success"])
    eps_header = " ".join(f"{'eps=' + eps:>8}" for eps in epsilons)
    header = f"{'method':<18} {'setting':<10} {'classifier':<22} {'clean acc':>9} {eps_header} {'images/s':>10}"
    rule = "-" * len(header)
    lines = ["success rate (fraction of correctly classified test images that the attack makes wrong)",
             "white-box: the target's own gradients; transfer: only the training targets' "
             f"({', '.join(_sources(rows))}); same images, batch size {rows[0]['batch_size']}, device {rows[0]['device']}",
             header, rule]
    for row in sorted(rows, key=lambda r: (r["setting"] != WHITE_BOX, r["classifier"])):
        name = row["classifier"] + (" (adv. trained)" if row["adversarially_trained"] else "")
        lines.append(f"{row['method']:<18} {row['setting']:<10} {name:<22} {row['clean_accuracy']:>9.3f} "
                     + " ".join(f"{row['success'][eps]:>8.3f}" for eps in epsilons)
                     + f" {row['images_per_sec']:>10.0f}")
    lines.append(rule)
    labels = {WHITE_BOX: "mean over targets", TRANSFER: "score (mean, held out)"}
    for setting in (WHITE_BOX, TRANSFER):
        for method, settings in summary.items():
            if setting in settings:
                entry = settings[setting]
                lines.append(f"{method:<18} {setting:<10} {labels[setting]:<22} {'':>9} "
                             + " ".join(f"{entry['success'][eps]:>8.3f}" for eps in epsilons)
                             + f" {entry['images_per_sec']:>10.0f}")
    for setting, ratio in speedups(summary).items():
        lines.append(f"attack network, {setting}: {ratio:.1f}x the images/s of MI-FGSM "
                     "(one pass also yields every other epsilon's image, not counted)")
    return "\n".join(lines)


def _sources(rows: list[dict]) -> list[str]:
    return next((r["gradients_from"] for r in rows if r["setting"] == TRANSFER), [])


def final_log_values(rows: list[dict], summary: dict) -> dict[str, float]:
    values: dict[str, float] = {}
    for method, settings in summary.items():
        for setting, entry in settings.items():
            key = f"final/{slug(method)}/{'white_box' if setting == WHITE_BOX else 'transfer_score'}"
            values[f"{key}/images_per_sec"] = entry["images_per_sec"]
            for eps, rate in entry["success"].items():
                values[f"{key}/eps{eps}"] = rate
    for row in rows:
        for eps, rate in row["success"].items():
            values[f"final/{slug(row['method'])}/{row['classifier']}/success/eps{eps}"] = rate
    for setting, ratio in speedups(summary).items():
        values[f"final/speedup_vs_mi_fgsm/{'white_box' if setting == WHITE_BOX else 'transfer'}"] = ratio
    return values


def write_evaluation(out: str, rows: list[dict], summary: dict, table: str) -> str:
    path = os.path.join(out, EVALUATION_FILE)
    protocol.atomic_write_json(path, {"rows": rows, "summary": summary, "speedup_vs_mi_fgsm": speedups(summary),
                                      "table": table})
    return path
