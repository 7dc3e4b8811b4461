"""Hyperparameter changes that hold under a scheduler: one override per param group, applied around
every step of every registered scheduler.

A scheduler computes each value from its own state: closed forms (``LambdaLR``, ``OneCycleLR``,
``CosineAnnealingWarmRestarts``, every Transformers schedule) from ``base_lrs``/``max_lr`` and the
step count, chainable ones (``StepLR``, ``ExponentialLR``, ``CosineAnnealingLR``, ...) from the
current ``group["lr"]``. A plain write to ``group["lr"]`` is therefore undone by the next closed-form
step and compounded by the next chainable one. So a change does not fight the scheduler: the param
group keeps, next to the value in force, the scheduler's *own* value (what it would have set without
the change), and around each step of a registered scheduler

1. the own value goes back into the group (every scheduler, chainable or not, sees its own trajectory),
2. the scheduler steps, unchanged,
3. its result becomes the new own value, and the value in force is derived from it: ``hold`` writes
   the asked value, ``scale`` writes own x factor (the factor that made the value asked at the
   moment of the change, so warmup and decay keep their shape).

``momentum`` and ``betas`` scale their distance to 1 instead (``1 - (1 - own) x factor``), so a
scaled momentum cycle stays below 1. The override lives in the param group under
``trainui_override`` as plain numbers: ``optimizer.state_dict()`` carries it into every checkpoint
(trainui's snapshots, Hugging Face's ``optimizer.pt``, Lightning's ``.ckpt``, Ignite's
``Checkpoint``), and a job resumed from one keeps the changed schedule once its scheduler is
registered again. Several schedulers on one optimizer share the group's override, so they chain as
they would without it; a write by anything else between two steps becomes the schedule's own value.

A scheduler is steered by giving its instance a subclass of its own class that wraps ``step``
(``__call__`` for Ignite's parameter schedulers): ``isinstance`` checks, ``state_dict()`` and
``load_state_dict()`` are untouched, and a step with no override pending costs one dict lookup per group.
"""
from __future__ import annotations

import math
from typing import Any

from trainui.trainer.hyperparams import OVERRIDE_KEY

SCALE = "scale"
HOLD = "hold"
MODES = (SCALE, HOLD)
DEFAULT_MODE = SCALE
MODE_HELP = {
    SCALE: "scale the rest of the schedule so that the value now is the one asked for (warmup and decay keep their shape)",
    HOLD: "hold the value asked for from now on (the schedule no longer moves it)",
}
COMPLEMENT_KEYS = frozenset({"momentum", "betas"})  # scaled as 1 - value, so they stay below 1

_nested = [0]  # > 0 while a steered scheduler steps: schedulers it steps inside run as they are


def steer(scheduler: Any) -> Any:
    """Make ``scheduler`` apply the overrides of its optimizer's param groups; returns the object
    that steps (wrappers such as Accelerate's ``AcceleratedScheduler`` or Lightning's
    ``LRSchedulerConfig`` are unwrapped). Steering twice is a no-op."""
    inner = unwrap(scheduler)
    cls = type(inner)
    if getattr(cls, "_trainui_steered", False):
        return inner
    try:
        param_groups(inner)
    except (AttributeError, TypeError):
        raise TypeError(f"cannot steer {cls.__name__}: it has no optimizer with param_groups "
                        "(pass torch.optim.lr_scheduler schedulers, Transformers schedules or Ignite parameter "
                        "schedulers)") from None
    inner.__class__ = _steered_class(cls)
    return inner


def unwrap(scheduler: Any) -> Any:
    """The scheduler inside a wrapper that has ``.scheduler`` but no optimizer of its own."""
    while not hasattr(scheduler, "optimizer") and hasattr(scheduler, "scheduler"):
        scheduler = scheduler.scheduler
    return scheduler


def is_steered(scheduler: Any) -> bool:
    return getattr(type(scheduler), "_trainui_steered", False)


def param_groups(scheduler: Any) -> list[dict]:
    """The param groups a scheduler may write: Ignite's may be limited to one group."""
    groups = getattr(scheduler, "optimizer_param_groups", None)
    return list(groups) if groups is not None else list(scheduler.optimizer.param_groups)


def base_name(scheduler: Any) -> str:
    return getattr(type(scheduler), "_trainui_base", type(scheduler)).__name__


# --------------------------------------------------------------------------------- overrides
def prepare(group: dict, key: str, mode: str, asked: Any) -> dict:
    """The override entry that makes ``asked`` the value in force now; ValueError when ``scale``
    has nothing to scale (a scheduled value of 0, a momentum of 1). Nothing is written yet, so a
    command whose second key fails changes nothing."""
    previous = (group.get(OVERRIDE_KEY) or {}).get(key)
    own = previous["own"] if previous else read(group, key)
    entry: dict = {"mode": mode, "own": own, "written": plain(asked)}
    if mode == HOLD:
        entry["value"] = plain(asked)
    else:
        entry["factor"] = _factor(key, own, plain(asked))
    return entry


def install(group: dict, key: str, entry: dict) -> None:
    group.setdefault(OVERRIDE_KEY, {})[key] = entry
    write(group, key, entry["written"])


def override_of(group: dict, key: str) -> dict | None:
    return (group.get(OVERRIDE_KEY) or {}).get(key)


def in_force(key: str, entry: dict) -> Any:
    """The value the override puts in force over the schedule's own value."""
    if entry["mode"] == HOLD:
        return entry["value"]
    own, factor = entry["own"], entry["factor"]
    if isinstance(own, list):
        return [_scaled(key, o, f) for o, f in zip(own, factor)]
    return _scaled(key, own, factor)


def same(a: Any, b: Any) -> bool:
    """Equal up to float rounding (values pass through tensors and products)."""
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return (isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and len(a) == len(b)
                and all(same(x, y) for x, y in zip(a, b)))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-12)
    return a == b


def read(group: dict, key: str) -> Any:
    """``group[key]`` as plain numbers (tensors as floats, tuples as lists)."""
    return plain(group[key])


def write(group: dict, key: str, value: Any) -> None:
    """Set ``group[key]`` keeping its kind: a tensor is filled in place, a tuple stays a tuple."""
    current = group.get(key)
    if hasattr(current, "fill_"):
        current.fill_(value)
    elif isinstance(current, tuple):
        group[key] = tuple(_write_item(c, v) for c, v in zip(current, value))
    else:
        group[key] = value


# --------------------------------------------------------------------------------- the wrapper
def _steered_step(scheduler: Any, step: Any, args: tuple, kwargs: dict) -> Any:
    if _nested[0]:
        return step(scheduler, *args, **kwargs)
    touched = [(g, g[OVERRIDE_KEY]) for g in param_groups(scheduler) if g.get(OVERRIDE_KEY)]
    if not touched:
        return step(scheduler, *args, **kwargs)
    for group, overrides in touched:
        for key, entry in overrides.items():
            if key not in group:
                continue
            current = read(group, key)
            if not same(current, entry["written"]):
                entry["own"] = current  # written by something else since: that is the schedule's value now
            write(group, key, entry["own"])
    _nested[0] += 1
    try:
        return step(scheduler, *args, **kwargs)
    finally:
        _nested[0] -= 1
        for group, overrides in touched:
            for key, entry in overrides.items():
                if key not in group:
                    continue
                entry["own"] = read(group, key)
                entry["written"] = in_force(key, entry)
                write(group, key, entry["written"])
        refresh_last_lr(scheduler)


def refresh_last_lr(scheduler: Any) -> None:
    """``get_last_lr()`` reports the value in force (Transformers logs it as ``learning_rate``)."""
    if isinstance(getattr(scheduler, "_last_lr", None), list) and hasattr(scheduler, "optimizer"):
        scheduler._last_lr = [_copy(g["lr"]) for g in scheduler.optimizer.param_groups]


_classes: dict[type, type] = {}


def _steered_class(cls: type) -> type:
    steered = _classes.get(cls)
    if steered is not None:
        return steered
    name = "step" if callable(getattr(cls, "step", None)) else "__call__"
    original = getattr(cls, name)

    def stepping(self, *args, **kwargs):
        return _steered_step(self, original, args, kwargs)

    stepping.__name__ = name
    stepping.__doc__ = original.__doc__
    namespace = {name: stepping, "_trainui_steered": True, "_trainui_base": cls, "__reduce_ex__": _reduce_ex,
                 "__module__": cls.__module__, "__qualname__": cls.__qualname__, "__doc__": cls.__doc__}
    steered = type(cls)(cls.__name__, (cls,), namespace)
    _classes[cls] = steered
    return steered


def _reduce_ex(self, protocol):
    """Pickled (or deep-copied) as its own class: the steering belongs to this process's run."""
    return _rebuild, (type(self)._trainui_base, dict(self.__dict__))


def _rebuild(cls: type, state: dict) -> Any:
    obj = cls.__new__(cls)
    obj.__dict__.update(state)
    return obj


# --------------------------------------------------------------------------------- numbers
def _factor(key: str, own: Any, asked: Any) -> Any:
    if isinstance(own, list):
        if not isinstance(asked, list) or len(asked) != len(own):
            raise ValueError(f"'{key}' must be a list of {len(own)} values")
        return [_factor(f"{key}[{i}]", o, a) for i, (o, a) in enumerate(zip(own, asked))]
    complement = key.split("[")[0] in COMPLEMENT_KEYS
    base, target = (1.0 - own, 1.0 - asked) if complement else (own, asked)
    if same(base, target):
        return 1.0
    if base == 0:
        what = "1" if complement else "0"
        raise ValueError(
            f"cannot scale the schedule of '{key}': its scheduled value is {what} at this iteration, so no factor makes "
            f"it {asked:g}; use mode \"hold\" (--mode hold), or ask again when the schedule has moved off {what}")
    return target / base


def _scaled(key: str, own: float, factor: float) -> float:
    if key in COMPLEMENT_KEYS:
        return 1.0 - (1.0 - own) * factor
    return own * factor


def plain(value: Any) -> Any:
    if hasattr(value, "item") and hasattr(value, "numel"):
        return float(value.item())
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def _write_item(current: Any, value: Any) -> Any:
    if hasattr(current, "fill_"):
        current.fill_(value)
        return current
    return value


def _copy(value: Any) -> Any:
    return value.clone() if hasattr(value, "clone") else value
