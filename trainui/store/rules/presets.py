"""Rules one click (or one flag) away: each a function of the metric it watches, returning a
definition that ``check_rule`` takes as it is."""
from __future__ import annotations

PRESETS = {
    "nan-guard": {
        "title": "NaN guard",
        "description": "When the metric becomes NaN or infinite: restore the last snapshot and halve the lr "
                       "(at most 3 times per run).",
        "key": "main/loss"},
    "plateau-lr": {
        "title": "Plateau: lr x 0.1",
        "description": "When the metric has not improved for 10 points: multiply the lr by 0.1 (as "
                       "ReduceLROnPlateau does), then wait 10 points.",
        "key": "validation/main/loss"},
    "early-stop": {
        "title": "Early stop",
        "description": "When the metric has not improved for 20 points: stop the run.",
        "key": "validation/main/loss"},
    "hang-alarm": {
        "title": "Hang alarm",
        "description": "When a running job has written no new entry for 10 minutes: mark it (and, given a "
                       "webhook URL, send a message).",
        "key": None},
    "loss-spike": {
        "title": "Loss spike",
        "description": "When the metric jumps above 5 x its lowest value: take a snapshot and mark the curve.",
        "key": "main/loss"},
}


def preset(name: str, key: str | None = None) -> dict:
    """The definition of preset ``name`` watching ``key`` (the preset's usual key if None)."""
    if name not in PRESETS:
        raise KeyError(f"no preset {name!r} (presets: {', '.join(PRESETS)})")
    key = key or PRESETS[name]["key"]
    title = PRESETS[name]["title"]
    if name == "nan-guard":
        return {"name": f"{title} on {key}", "condition": {"kind": "nan", "key": key},
                "action": {"kind": "command", "name": "restore", "body": {"multiply": {"lr": 0.5}}},
                "max_firings": 3}
    if name == "plateau-lr":
        return {"name": f"{title} on {key}", "condition": {"kind": "plateau", "key": key, "patience": 10},
                "action": {"kind": "adjust_hyperparams", "multiply": {"lr": 0.1}}, "cooldown": {"iterations": 0}}
    if name == "early-stop":
        return {"name": f"{title} on {key}", "condition": {"kind": "plateau", "key": key, "patience": 20},
                "action": {"kind": "stop"}, "max_firings": 1}
    if name == "hang-alarm":
        return {"name": title, "condition": {"kind": "silent", "seconds": 600}, "action": {"kind": "mark"}}
    return {"name": f"{title} on {key}", "condition": {"kind": "spike", "key": key, "factor": 5.0},
            "action": {"kind": "take_snapshot"}}


def listed() -> list[dict]:
    return [{"id": name, **info, "definition": preset(name)} for name, info in PRESETS.items()]
