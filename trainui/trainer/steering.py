"""``adjust_hyperparams`` that holds: the run's registered schedulers, the change, and its check.

A change is written at once (see schedules.py for how it holds under a scheduler) but answered only
after it has held through the next ``verify_steps`` steps: at each of them every rank compares the
value in its optimizer with the value the change puts in force. Something trainui does not steer
(an unregistered scheduler, the training script itself) that rewrote it turns the answer into a
FAILURE that names the value asked, the value found, the iteration, and the fix. The ranks' verdicts
are reduced in the step's one collective (see Run.step), so the answer counts the ranks it held on.
"""
from __future__ import annotations

import itertools
from typing import Any

from trainui.protocol import value_text
from trainui.trainer import hyperparams, schedules
from trainui.trainer.commands import Pending

DEFAULT_VERIFY_STEPS = 2
FIX = ("register the scheduler with trainui: trainui.Run(..., scheduler=scheduler) or run.attach(scheduler=scheduler) "
       "(the Hugging Face, Lightning and Ignite integrations register the framework's own)")


class Steering:
    """The schedulers of one run, and the changes made under them."""

    def __init__(self, verify_steps: int = DEFAULT_VERIFY_STEPS):
        self.verify_steps = max(1, int(verify_steps))
        self.schedulers: list = []
        self._latest: dict[tuple[int, str], int] = {}  # (group, key) -> the newest change's number
        self._numbers = itertools.count(1)

    def register(self, scheduler: Any) -> None:
        """One scheduler or a list; each is steered (see schedules.steer) and kept once."""
        items = scheduler if isinstance(scheduler, (list, tuple)) else [scheduler]
        for item in items:
            if item is None:
                continue
            inner = schedules.steer(item)
            if not any(inner is known for known in self.schedulers):
                self.schedulers.append(inner)

    def adjust(self, optimizers: list, body: dict, iteration: int | None) -> "HyperparamCheck":
        """Validate everything, then write; returns the check that answers the command."""
        body = dict(body or {})
        mode = body.pop("mode", schedules.DEFAULT_MODE)
        if mode not in schedules.MODES:
            raise ValueError(f"'mode' must be \"scale\" ({schedules.MODE_HELP['scale']}) or \"hold\" "
                             f"({schedules.MODE_HELP['hold']}), got {mode!r}")
        writes = hyperparams.plan(optimizers, body)
        numbered = {id(g): i for i, g in enumerate(hyperparams.param_groups(optimizers))}
        drivers = self._drivers()
        targets = []
        for group, key, value in writes:
            _refuse_computed(group, key)
            names = drivers.get(id(group), [])
            entry = schedules.prepare(group, key, mode, value) if names else None
            previous = schedules.plain(group.get(key))
            targets.append(_Target(numbered[id(group)], group, key, value, names, entry, previous))
        number = next(self._numbers)
        for target in targets:  # every check passed: write
            if target.entry is not None:
                schedules.install(target.group, target.key, target.entry)
            else:
                hyperparams.apply([(target.group, target.key, target.value)])
            self._latest[(id(target.group), target.key)] = number
        for scheduler in self.schedulers:
            schedules.refresh_last_lr(scheduler)
        return HyperparamCheck(self, number, targets, mode, optimizers, iteration,
                               _unregistered_warnings(optimizers, drivers, targets))

    def forget_changes(self) -> None:
        """A restore put the snapshot's values back: the changes still checking their steps held until then."""
        self._latest.clear()

    def is_latest(self, number: int, target: "_Target") -> bool:
        return self._latest.get((id(target.group), target.key)) == number

    def state_dicts(self) -> list:
        return [s.state_dict() if hasattr(s, "state_dict") else None for s in self.schedulers]

    def _drivers(self) -> dict[int, list[str]]:
        """Param group -> the names of the registered schedulers that write it."""
        drivers: dict[int, list[str]] = {}
        for scheduler in self.schedulers:
            for group in schedules.param_groups(scheduler):
                drivers.setdefault(id(group), []).append(schedules.base_name(scheduler))
        return drivers


class _Target:
    __slots__ = ("index", "group", "key", "value", "asked", "schedulers", "entry", "previous")

    def __init__(self, index, group, key, value, schedulers, entry, previous):
        self.index, self.group, self.key, self.previous = index, group, key, previous  # previous: in force before
        self.value, self.asked = value, schedules.plain(value)  # as stored in the group; as JSON numbers
        self.schedulers, self.entry = schedulers, entry

    def expected(self) -> Any:
        entry = schedules.override_of(self.group, self.key) if self.entry is not None else None
        return schedules.in_force(self.key, entry) if entry is not None else self.asked

    def describe(self) -> dict:
        out = {"param_group": self.index, "key": self.key, "previous": self.previous, "asked": self.asked,
               "in_force": schedules.read(self.group, self.key)}
        entry = schedules.override_of(self.group, self.key) if self.entry is not None else None
        names = " + ".join(self.schedulers)
        if entry is None:
            out["schedule"] = "no scheduler registered for this param group: the value is set as it is"
        elif entry["mode"] == schedules.HOLD:
            out["schedule"] = f"held over {names} (it keeps computing, its value is not used)"
        else:
            out["schedule"] = f"{names} scaled by {value_text(entry['factor'])}"
            out["scheduled"] = entry["own"]
        return out


class HyperparamCheck(Pending):
    """Answers one adjust_hyperparams once the values held for ``verify_steps`` steps."""

    def __init__(self, steering, number, targets, mode, optimizers, iteration, warnings):
        self._steering, self._number, self._targets = steering, number, targets
        self._mode, self._optimizers, self._iteration = mode, optimizers, iteration
        self._warnings = warnings
        self._seen = 0
        self._failure: str | None = None

    def observe(self, iteration, epoch) -> None:
        self._seen += 1
        if self._failure is not None:
            return
        for target in self._targets:
            if not self._steering.is_latest(self._number, target):
                continue  # a later command changed this key: it held until then
            expected, found = target.expected(), schedules.read(target.group, target.key)
            if not schedules.same(expected, found):
                self._failure = self._message(target, expected, found, iteration)
                return

    @property
    def due(self) -> bool:
        return self._seen >= self._steering.verify_steps

    def verdict(self) -> tuple[bool, dict]:
        body = {"hyperparams": hyperparams.describe(self._optimizers), "mode": self._mode,
                "changes": [t.describe() for t in self._targets], "checked_steps": self._seen}
        if self._warnings:
            body["warnings"] = self._warnings
        if self._failure is not None:
            body["error"] = self._failure
            return False, body
        return True, body

    def unfinished(self) -> tuple[bool, dict]:
        ok, body = self.verdict()
        if ok:
            body["note"] = (f"the job ended {self._seen} of {self._steering.verify_steps} checking steps after the "
                            "change: it held until the end")
        return ok, body

    def _message(self, target: _Target, expected, found, iteration) -> str:
        when = f" at iteration {self._iteration}" if self._iteration is not None else ""
        at = f"at iteration {iteration}" if iteration is not None else f"{self._seen} step(s) later"
        text = (f"'{target.key}' of param group {target.index} was set to {value_text(target.asked)}{when}, "
                f"but {at} it is {value_text(found)}")
        if not schedules.same(expected, target.asked):
            text += f" (the changed schedule gives {value_text(expected)})"
        return (f"{text}: something trainui does not steer rewrote it (an LR scheduler that is not registered, or "
                f"the training script itself). Fix: {FIX}.")


def _refuse_computed(group: dict, key: str) -> None:
    """Adafactor with relative_step computes its own step size and ignores group['lr']."""
    if key == "lr" and group.get("relative_step") is True:
        raise ValueError("this optimizer computes its own learning rate (Adafactor with relative_step=True) and "
                         "ignores 'lr'; create it with relative_step=False to steer lr")


def _unregistered_warnings(optimizers, drivers, targets) -> list[str]:
    """A torch scheduler marks its optimizer's step; one that trainui does not know may rewrite the
    change later (an epoch-level one after the check is over)."""
    touched = {id(t.group) for t in targets}
    warnings = []
    for index, optimizer in enumerate(optimizers):
        inner = _innermost(optimizer)
        groups = hyperparams.param_groups([optimizer])
        if not any(id(g) in touched for g in groups) or any(id(g) in drivers for g in groups):
            continue
        if getattr(getattr(inner, "step", None), "_wrapped_by_lr_sched", False):
            warnings.append(f"optimizer {index} has a torch LR scheduler that trainui does not know: it may rewrite "
                            f"this change at its next step; {FIX}")
    return warnings


def _innermost(optimizer: Any) -> Any:
    """The torch optimizer inside Accelerate's or Lightning's wrapper."""
    for _ in range(4):
        inner = getattr(optimizer, "optimizer", None) or getattr(optimizer, "_optimizer", None)
        if inner is None or inner is optimizer:
            return optimizer
        optimizer = inner
    return optimizer

