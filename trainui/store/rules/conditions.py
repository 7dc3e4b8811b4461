"""A rule's condition on one metric, fed the run's points in order: where it fires.

Pure functions on JSON-able state, so the state commits with the entries it has seen (the apply
transaction) and a batch replayed after a crash is evaluated as if for the first time.

Every condition is edge-triggered: it fires on the point where it becomes true and is armed again
by a point where it is false, so a loss stuck at NaN fires once, not once per entry. Points whose
value is not a finite number count only for ``nan``; the other conditions skip them.

    nan        the value is NaN or +-Infinity (trainui's log writer spells them "NaN", "Infinity",
               "-Infinity"), or null (as older trainui logs wrote them); an entry without the key is
               no point at all
    above      value > threshold for ``count`` consecutive points (``below``: value < threshold)
    spike      ``factor``: value > factor x the minimum seen before it (a positive metric such as a
               loss); ``zscore``: (value - mean) / std of the ``window`` points before it > threshold
    plateau    no improvement by more than ``min_delta`` for more than ``patience`` points, as
               torch's ReduceLROnPlateau counts them (mode "min" or "max"); after firing it counts
               again from zero
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable

KINDS = ("nan", "above", "below", "spike", "plateau")
MAX_WINDOW = 1000


@dataclass(frozen=True)
class Trigger:
    entry: int  # the index of the entry in the run's log
    x: float
    value: float
    reason: str


def number(value) -> float | None:
    """A log value as a float (NaN and infinities included), or None when it is not a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str) and value.strip().lower() in ("nan", "-nan", "inf", "+inf", "-inf", "infinity",
                                                            "+infinity", "-infinity"):
        return float(value.strip().lower().replace("infinity", "inf"))
    return None


def feed(condition: dict, state: dict, points: Iterable[tuple[int, float, float]]) -> tuple[dict, list[Trigger]]:
    """Feed ``(entry, x, value)`` points to ``condition`` (a validated definition) from ``state``
    (``{}`` at first); returns the new state and the points where it fired."""
    kind = condition["kind"]
    state = dict(state)
    fired: list[Trigger] = []
    step = _STEPS[kind]
    for entry, x, value in points:
        reason = step(condition, state, value)
        if reason is not None:
            fired.append(Trigger(entry, x, value, reason))
    return state, fired


def _edge(state: dict, true: bool) -> bool:
    """True on the point where the condition becomes true."""
    was = state.get("on", False)
    state["on"] = true
    return true and not was


def _nan(condition, state, value):
    if _edge(state, not math.isfinite(value)):
        return f"{condition['key']} is {value}"
    return None


def _threshold(condition, state, value):
    if not math.isfinite(value):
        return None
    above = condition["kind"] == "above"
    beyond = value > condition["threshold"] if above else value < condition["threshold"]
    state["run"] = state.get("run", 0) + 1 if beyond else 0
    count = condition.get("count", 1)
    if _edge(state, state["run"] >= count):
        word = "above" if above else "below"
        return f"{condition['key']} = {value:g}, {word} {condition['threshold']:g} for {count} point(s)"
    return None


def _spike(condition, state, value):
    if not math.isfinite(value):
        return None
    if "factor" in condition:
        low = state.get("min")
        state["min"] = value if low is None else min(low, value)
        spiking = low is not None and low > 0 and value > condition["factor"] * low
        if _edge(state, spiking):
            return f"{condition['key']} = {value:g}, more than {condition['factor']:g} x its minimum {low:g}"
        return None
    window = state.setdefault("window", [])
    size = condition["window"]
    spiking, z = False, 0.0
    if len(window) >= size:
        mean = sum(window) / len(window)
        std = math.sqrt(sum((v - mean) ** 2 for v in window) / len(window))
        z = (value - mean) / std if std > 0 else (math.inf if value > mean else 0.0)
        spiking = z > condition["zscore"]
    window.append(value)
    del window[:-size]
    if _edge(state, spiking):
        return f"{condition['key']} = {value:g}, z-score {z:.3g} over the last {size} points"
    return None


def _plateau(condition, state, value):
    if not math.isfinite(value):
        return None
    best = state.get("best")
    delta = condition.get("min_delta", 0.0)
    better = best is None or (value < best - delta if condition.get("mode", "min") == "min" else value > best + delta)
    if better:
        state["best"], state["bad"] = value, 0
        return None
    state["bad"] = state.get("bad", 0) + 1
    if state["bad"] > condition["patience"]:
        state["bad"] = 0
        return (f"{condition['key']}: no improvement on {best:g} by more than {delta:g} "
                f"for {condition['patience'] + 1} points")
    return None


_STEPS = {"nan": _nan, "above": _threshold, "below": _threshold, "spike": _spike, "plateau": _plateau}
