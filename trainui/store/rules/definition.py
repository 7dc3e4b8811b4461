"""What a rule is, checked once at the door: a condition on one metric, an action, and limits.

    {"name": "NaN guard",
     "result_id": null,                       # one run, or null: every run of the project
     "condition": {"kind": "nan", "key": "main/loss"},
     "action": {"kind": "adjust_hyperparams", "multiply": {"lr": 0.5}},
     "cooldown": {"iterations": 100, "seconds": 0},
     "max_firings": 3, "enabled": true, "dry_run": false}

Conditions are described in conditions.py. Actions:
    take_snapshot, stop                       the built-in commands
    adjust_hyperparams                        "set": {"lr": 0.01} or "multiply": {"lr": 0.5} (of the
                                              value the job last reported, per param group); "mode"
                                              as the command takes it ("scale" or "hold")
    command                                   any command: "name" and "body"
    notify                                    POST a JSON message to "url" (a Slack, Discord or
                                              Mattermost incoming webhook takes it); the URL is a
                                              secret: stored, shown back masked
    mark                                      only recorded (and shown on the charts)
A definition that does not hold is refused with one message naming the field; nothing is stored.
"""
from __future__ import annotations

import math
import re
from typing import Any

from ..errors import Invalid
from .conditions import KINDS, MAX_WINDOW

RUN_KINDS = ("silent", "crashed")  # conditions on the run itself, checked by the ingestion's poller (watch.py)

ACTIONS = ("take_snapshot", "stop", "adjust_hyperparams", "command", "notify", "mark")
MAX_URL = 2048
URL = re.compile(r"^https?://[^\s/?#@\x00]+(?:[/?#][^\s\x00]*)?$")
MAX_NAME = 100
MAX_KEY = 255
MAX_BODY_KEYS = 32
FIELDS = {"name", "result_id", "condition", "action", "cooldown", "max_firings", "enabled", "dry_run"}


def check_rule(raw: Any, partial: bool = False) -> dict:
    """A complete, normalised definition from ``raw`` (``partial``: only the fields given, for an update)."""
    if not isinstance(raw, dict):
        raise Invalid("a rule must be a JSON object")
    unknown = sorted(set(raw) - FIELDS)
    if unknown:
        raise Invalid(f"unknown rule field {unknown[0]!r} (fields: {', '.join(sorted(FIELDS))})")
    out: dict = {}
    if "name" in raw or not partial:
        out["name"] = _name(raw.get("name"))
    if "result_id" in raw:
        value = raw["result_id"]
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            raise Invalid("'result_id' must be a result id or null (every run of the project)")
        out["result_id"] = value
    elif not partial:
        out["result_id"] = None
    if "condition" in raw or not partial:
        out["condition"] = _condition(raw.get("condition"))
    if "action" in raw or not partial:
        out["action"] = _action(raw.get("action"))
    if "cooldown" in raw or not partial:
        out["cooldown"] = _cooldown(raw.get("cooldown"))
    if "max_firings" in raw or not partial:
        value = raw.get("max_firings")
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 10**6):
            raise Invalid("'max_firings' must be a whole number from 1 to 1000000, or null (no limit)")
        out["max_firings"] = value
    for flag, default in (("enabled", True), ("dry_run", False)):
        if flag in raw or not partial:
            value = raw.get(flag, default)
            if not isinstance(value, bool):
                raise Invalid(f"'{flag}' must be true or false")
            out[flag] = value
    return out


def _name(value) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_NAME:
        raise Invalid(f"'name' must be a rule name of 1 to {MAX_NAME} characters")
    return value.strip()


def _key(value, field: str) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_KEY:
        raise Invalid(f"'{field}' must be a metric key of 1 to {MAX_KEY} characters, e.g. \"main/loss\"")
    return value


def _real(section: dict, field: str, low: float | None = None, strict: bool = False, required: bool = True):
    if field not in section:
        if required:
            raise Invalid(f"the condition needs '{field}'")
        return None
    value = section[field]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise Invalid(f"'{field}' must be a finite number")
    if low is not None and (value <= low if strict else value < low):
        raise Invalid(f"'{field}' must be {'more than' if strict else 'at least'} {low:g}")
    return float(value)


def _count(section: dict, field: str, low: int, high: int, default: int | None = None) -> int:
    value = section.get(field, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise Invalid(f"'{field}' must be a whole number from {low} to {high}")
    return value


def _condition(raw) -> dict:
    if not isinstance(raw, dict):
        raise Invalid("'condition' must be an object such as {\"kind\": \"nan\", \"key\": \"main/loss\"}")
    kind = raw.get("kind")
    if kind in RUN_KINDS:
        return _run_condition(raw, kind)
    if kind not in KINDS:
        raise Invalid(f"'condition.kind' must be one of {', '.join(KINDS + RUN_KINDS)}")
    allowed = {"kind", "key", "x"} | {"above": {"threshold", "count"}, "below": {"threshold", "count"},
                                      "spike": {"factor", "zscore", "window"},
                                      "plateau": {"patience", "min_delta", "mode"}}.get(kind, set())
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise Invalid(f"a {kind} condition takes no {unknown[0]!r} (it takes {', '.join(sorted(allowed))})")
    out = {"kind": kind, "key": _key(raw.get("key"), "condition.key"), "x": _key(raw.get("x", "iteration"), "condition.x")}
    if kind in ("above", "below"):
        out["threshold"] = _real(raw, "threshold")
        out["count"] = _count(raw, "count", 1, 100_000, default=1)
    elif kind == "spike":
        if ("factor" in raw) == ("zscore" in raw):
            raise Invalid("a spike condition takes either 'factor' (x its running minimum) or 'zscore' (over 'window')")
        if "factor" in raw:
            out["factor"] = _real(raw, "factor", 1.0, strict=True)
            if "window" in raw:
                raise Invalid("'window' goes with 'zscore', not with 'factor'")
        else:
            out["zscore"] = _real(raw, "zscore", 0.0, strict=True)
            out["window"] = _count(raw, "window", 2, MAX_WINDOW, default=20)
    elif kind == "plateau":
        out["patience"] = _count(raw, "patience", 0, 10**6)
        out["min_delta"] = _real(raw, "min_delta", 0.0, required=False) or 0.0
        mode = raw.get("mode", "min")
        if mode not in ("min", "max"):
            raise Invalid("'mode' must be \"min\" (lower is better) or \"max\"")
        out["mode"] = mode
    return out


def _run_condition(raw: dict, kind: str) -> dict:
    """silent: a running job wrote no new entry for ``seconds`` (hung, or stuck in a data loader);
    crashed: the run ended crashed (or its heartbeat was lost)."""
    allowed = {"kind", "seconds"} if kind == "silent" else {"kind"}
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise Invalid(f"a {kind} condition takes no {unknown[0]!r}")
    if kind == "crashed":
        return {"kind": kind}
    seconds = _real(raw, "seconds", 1.0)
    if seconds > 10**8:
        raise Invalid("'seconds' must be at most 100000000")
    return {"kind": kind, "seconds": seconds}


def _action(raw) -> dict:
    if not isinstance(raw, dict):
        raise Invalid("'action' must be an object such as {\"kind\": \"take_snapshot\"}")
    kind = raw.get("kind")
    if kind not in ACTIONS:
        raise Invalid(f"'action.kind' must be one of {', '.join(ACTIONS)}")
    allowed = {"kind"} | {"adjust_hyperparams": {"set", "multiply", "mode"}, "command": {"name", "body"},
                          "notify": {"url"}}.get(kind, set())
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise Invalid(f"a {kind} action takes no {unknown[0]!r}")
    out: dict = {"kind": kind}
    if kind == "adjust_hyperparams":
        for part in ("set", "multiply"):
            if part in raw:
                values = raw[part]
                if not isinstance(values, dict) or not values or len(values) > MAX_BODY_KEYS:
                    raise Invalid(f"'action.{part}' must map 1 to {MAX_BODY_KEYS} hyperparameters to numbers")
                for key, value in values.items():
                    _key(key, f"action.{part} key")
                    _real(values, key, 0.0, strict=part == "multiply")
                out[part] = {k: float(v) for k, v in values.items()}
        if "set" not in out and "multiply" not in out:
            raise Invalid("an adjust_hyperparams action needs 'set' ({\"lr\": 0.01}) or 'multiply' ({\"lr\": 0.5})")
        if "set" in out and "multiply" in out:
            raise Invalid("an adjust_hyperparams action either sets or multiplies: give 'set' or 'multiply'")
        if "mode" in raw:
            if raw["mode"] not in ("scale", "hold"):
                raise Invalid("'action.mode' must be \"scale\" or \"hold\"")
            out["mode"] = raw["mode"]
    elif kind == "command":
        name = raw.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 255:
            raise Invalid("'action.name' must be the command's name")
        body = raw.get("body", {})
        if not isinstance(body, dict):
            raise Invalid("'action.body' must be an object")
        out["name"], out["body"] = name.strip(), body
    elif kind == "notify":
        url = raw.get("url")
        if not isinstance(url, str) or len(url) > MAX_URL or not URL.match(url):
            raise Invalid("'action.url' must be an http(s) URL without credentials, e.g. a Slack incoming webhook")
        out["url"] = url
    return out


def masked(action: dict) -> dict:
    """The action as it is shown back: a webhook URL is a secret (its path is the key)."""
    if action.get("kind") != "notify":
        return action
    url = action.get("url", "")
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0].split("?", 1)[0]
    return {**action, "url": f"{scheme}://{host}/…" if host else "…", "url_masked": True}


def _cooldown(raw) -> dict:
    if raw is None:
        return {"iterations": 0, "seconds": 0.0}
    if not isinstance(raw, dict) or set(raw) - {"iterations", "seconds"}:
        raise Invalid("'cooldown' must be {\"iterations\": N, \"seconds\": S}")
    return {"iterations": _count(raw, "iterations", 0, 10**12, default=0),
            "seconds": _real(raw, "seconds", 0.0, required=False) or 0.0}
