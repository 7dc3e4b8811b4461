"""Reading and changing optimizer hyperparameters from JSON, with validation first.

A command body comes from a browser: an unknown key or a value of the wrong type must fail with
a message naming it, and must not change anything (all checks run before the first write).
Param groups are numbered across all optimizers of a run, in order, the same numbering the job
status uses for ``hyperparams``.
"""
from __future__ import annotations

import math
from typing import Any, Iterable

OVERRIDE_KEY = "trainui_override"  # a change that holds under a scheduler (see schedules.py); not a hyperparameter
NOT_ADJUSTABLE = ("params", OVERRIDE_KEY)


def param_groups(optimizers: Iterable[Any]) -> list[dict]:
    return [group for opt in optimizers for group in opt.param_groups]


def describe(optimizers: Iterable[Any]) -> list[dict]:
    """One JSON-able dict per param group (tensors as numbers, tuples as lists)."""
    out = []
    for group in param_groups(optimizers):
        # list() first: the heartbeat thread reads while the training loop may be adjusting
        out.append({k: _jsonable(v) for k, v in list(group.items()) if k not in NOT_ADJUSTABLE})
    return out


def current_lr(optimizer: Any) -> Any:
    """The learning rate of the first param group, as a JSON number (or None without one)."""
    groups = optimizer.param_groups
    return _jsonable(groups[0].get("lr")) if groups else None


def plan(optimizers: list[Any], body: dict) -> list[tuple[dict, str, Any]]:
    """Validate ``body`` and return the (group, key, value) writes; raise ValueError otherwise.

    Body forms: ``{"lr": 0.1, ...}`` for every group (optionally ``"optimizer": i`` to limit it to
    one optimizer), or ``{"param_groups": {"0": {"lr": 0.1}}}`` addressing groups by number.
    """
    if not optimizers:
        raise ValueError("this run has no optimizer to adjust")
    if not body:
        raise ValueError("adjust_hyperparams needs at least one hyperparameter, e.g. {\"lr\": 0.01}")
    body = dict(body)
    targets: list[tuple[dict, dict]] = []
    if "param_groups" in body:
        by_index = body.pop("param_groups")
        if body:
            raise ValueError("give either 'param_groups' or hyperparameters for every group, not both")
        groups = param_groups(optimizers)
        if isinstance(by_index, list):
            by_index = {str(i): v for i, v in enumerate(by_index)}
        if not isinstance(by_index, dict) or not by_index:
            raise ValueError("'param_groups' must map a group number to {key: value}")
        for index, values in by_index.items():
            try:
                group = groups[int(index)]
            except (TypeError, ValueError, IndexError):
                raise ValueError(f"no param group {index!r}; this run has {len(groups)}") from None
            if not isinstance(values, dict):
                raise ValueError(f"param group {index}: expected an object, got {type(values).__name__}")
            targets.append((group, values))
    else:
        chosen = optimizers
        if "optimizer" in body:
            index = body.pop("optimizer")
            if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(optimizers):
                raise ValueError(f"'optimizer' must be an index below {len(optimizers)}")
            chosen = [optimizers[index]]
        groups = param_groups(chosen)
        for key in body:
            if not any(key in g for g in groups):
                raise ValueError(_unknown(key, groups))
        targets = [(g, {k: v for k, v in body.items() if k in g}) for g in groups]
    writes = []
    for group, values in targets:
        for key, value in values.items():
            if key in NOT_ADJUSTABLE:
                raise ValueError(f"'{key}' cannot be adjusted")
            if key not in group:
                raise ValueError(_unknown(key, [group]))
            writes.append((group, key, coerce(key, group[key], value)))
    return writes


def apply(writes: list[tuple[dict, str, Any]]) -> None:
    for group, key, value in writes:
        current = group[key]
        if _is_tensor(current):
            current.fill_(value)  # keeps a tensor lr a tensor (capturable / compiled optimizers)
        else:
            group[key] = value


def coerce(key: str, current: Any, value: Any) -> Any:
    """The value to store for ``key``, converted to the kind ``current`` is; ValueError if not."""
    def fail(expected: str) -> ValueError:
        return ValueError(f"'{key}' must be {expected}, got {_describe_value(value)}")

    if isinstance(current, bool):
        if not isinstance(value, bool):
            raise fail("true or false")
        return value
    if _is_number(current) or _is_tensor(current):
        if not _is_number(value):
            raise fail("a number")
        if not math.isfinite(value):
            raise fail("a finite number")
        return float(value) if isinstance(current, float) or _is_tensor(current) else value
    if isinstance(current, (tuple, list)):
        if not isinstance(value, (list, tuple)) or len(value) != len(current):
            raise fail(f"a list of {len(current)} values")
        items = [coerce(f"{key}[{i}]", c, v) for i, (c, v) in enumerate(zip(current, value))]
        return tuple(items) if isinstance(current, tuple) else items
    if isinstance(current, str):
        if not isinstance(value, str):
            raise fail("a string")
        return value
    if current is None:
        if value is not None and not isinstance(value, (bool, int, float, str)):
            raise fail("a number, a string, true/false or null")
        return value
    raise ValueError(f"'{key}' holds a {type(current).__name__}, which cannot be set from JSON")


def _unknown(key: str, groups: list[dict]) -> str:
    known = sorted({k for g in groups for k in g if k not in NOT_ADJUSTABLE})
    return f"unknown hyperparameter '{key}'; known: {', '.join(known)}"


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_tensor(value: Any) -> bool:
    return hasattr(value, "fill_") and hasattr(value, "numel")


def _describe_value(value: Any) -> str:
    return f"{type(value).__name__} {value!r}"[:80]


def _jsonable(value: Any) -> Any:
    if _is_tensor(value):
        return float(value.item()) if value.numel() == 1 else None
    if isinstance(value, (tuple, list)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)
