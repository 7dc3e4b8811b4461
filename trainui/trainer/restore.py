"""The ``restore`` command: go back to a snapshot and train on from there, in one command.

``{}`` loads the last snapshot, ``{"iteration": N}`` the last one at or before N, ``{"snapshot":
"snapshot_iter_500.pt"}`` a named one (a plain file name in the result directory). ``"adjust"``
(absolute values, the body of ``adjust_hyperparams``) or ``"multiply"`` (``{"lr": 0.5}``: each
param group's restored value times the factor) change hyperparameters right after loading, through
the steering of adjust_hyperparams (scheduler-aware, answered once the values held), so "restore
the last good snapshot and halve the lr" is one command with one answer.

Every rank runs the handler in the same ``step()`` (see Run.step). Rank 0 picks the snapshot and
shares its choice; each rank reads its own file (``.rank<k>.pt`` of a per-rank snapshot) or rank
0's, and checks that it fits its model, optimizers, schedulers and scaler before anything changes;
one all_reduce then tells whether every rank can load, and only then does every rank load. So a
FAILURE (no snapshot, an unreadable or unfitting file on any rank, a loop that cannot rewind, a bad
body) changes nothing anywhere. Rank 0 then cuts the abandoned entries out of ``log`` (see
``LogWriter.rewind``) into ``.trainui/log.abandoned.jsonl``, and records the rewind in
``.trainui/rewinds.jsonl``, so the chart shows each iteration once and the abandoned stretch stays
on record. The loop follows the rewind when it iterates with ``run.iterations(n)``.

A run shipped over HTTP (trainer/uploader.py) refuses: the batches API has no way yet to take back
entries the server already holds, and the uploader would ship the rewritten log as another run.
"""
from __future__ import annotations

import math
import os
import time
from typing import Any, Callable

from trainui import protocol
from trainui.trainer import hyperparams, schedules
from trainui.trainer.commands import Pending
from trainui.trainer.logfile import append_jsonl
from trainui.trainer.snapshot import read_snapshot_file, restore_rng_states, unwrap

ABANDONED_LOG = os.path.join(protocol.META_DIR, "log.abandoned.jsonl")
REWINDS_LOG = protocol.REWINDS_LOG
BODY_KEYS = ("iteration", "snapshot", "adjust", "multiply")
OWN_ITERATION = ("this loop passes its own iteration to step(); use run.iterations(...) to allow restore "
                 "(for it in run.iterations(n): ... follows the rewind)")
OWN_COUNTER = ("this loop calls step() without run.iterations(...), so its own counter would not follow the "
               "rewind; use run.iterations(...) to allow restore (for it in run.iterations(n): ...)")


def refusal(reason: str) -> Callable[[dict], Any]:
    """A ``restore`` handler for a loop that cannot rewind (a framework owns it): FAILURE, ``reason``."""
    def refuse(body: dict) -> None:
        raise ValueError(f"restore is not possible here: {reason}; nothing was changed")

    return refuse


def restore(run: Any, body: dict) -> Any:
    """The handler (every rank): validate, choose, check, agree, load, rewind; see the module docstring."""
    request = _validate(body)
    if run._rewind_refusal is not None:
        raise ValueError(f"restore is not possible: {run._rewind_refusal}; nothing was changed")
    if request["adjust"] is not None:
        hyperparams.plan(run.optimizers, {k: v for k, v in request["adjust"].items() if k != "mode"})
    if request["multiply"] is not None:
        _multiplied(run.optimizers, request["multiply"])  # the keys exist, the values are numbers
    comm = run._comm
    choice = _choose(run, request) if run.is_main else None
    choice = comm.share([choice] if run.is_main else None)[0] if comm.distributed else choice
    if "error" in choice:
        raise ValueError(choice["error"])
    name = choice["per_rank"].format(rank=run.rank) if choice["per_rank"] else choice["name"]
    try:
        state = read_snapshot_file(os.path.join(run.out, name))
        _check_fits(run, state, name)
        problem = None
    except Exception as exc:  # the file, not the code: every rank must reach the agreement below
        problem = f"rank {run.rank}: {name}: {exc or type(exc).__name__}"
    ready = comm.count_applied([0 if problem else 1])[0]
    if problem:
        raise ValueError(f"cannot restore {name}: {problem}; nothing was changed")
    if ready < run.world_size:
        raise ValueError(f"cannot restore {choice['name']}: {run.world_size - ready} of {run.world_size} ranks cannot "
                         "load it (their stderr says why); nothing was changed")
    from_iteration = run.iteration
    restored = _load(run, state, own_rng=bool(choice["per_rank"]) or run.rank == 0)
    run.iteration, run.epoch = int(state["iteration"]), state.get("epoch")
    run._steering.forget_changes()  # earlier adjustments checking their steps: superseded by the snapshot
    answer = {"snapshot": choice["name"], "iteration": run.iteration, "epoch": run.epoch,
              "from_iteration": from_iteration, "restored": restored}
    if run.is_main:
        answer.update(_rewind_log(run, choice["name"], from_iteration))
    changes = _changes(run, request)
    if changes is None:
        answer["hyperparams"] = hyperparams.describe(run.optimizers)
        return answer
    return RestoreCheck(answer, run._steering.adjust(run.optimizers, changes, run.iteration))


class RestoreCheck(Pending):
    """The restore's answer waits for its hyperparameter change to hold (steering.HyperparamCheck)."""

    def __init__(self, answer: dict, check: Pending):
        self._answer, self._check = answer, check

    def observe(self, iteration, epoch) -> None:
        self._check.observe(iteration, epoch)

    @property
    def due(self) -> bool:
        return self._check.due

    def verdict(self) -> tuple[bool, dict]:
        return self._merge(*self._check.verdict())

    def unfinished(self) -> tuple[bool, dict]:
        return self._merge(*self._check.unfinished())

    def _merge(self, ok: bool, body: dict) -> tuple[bool, dict]:
        merged = dict(self._answer, **body)
        if not ok:
            merged["error"] = (f"restored {self._answer['snapshot']} (iteration {self._answer['iteration']}), but the "
                               f"hyperparameter change did not hold: {body.get('error')}")
        return ok, merged


def _validate(body: dict) -> dict:
    body = body or {}
    unknown = sorted(set(body) - set(BODY_KEYS))
    if unknown:
        raise ValueError(f"unknown key(s) {', '.join(map(repr, unknown))} in restore; known: {', '.join(BODY_KEYS)}")
    iteration, snapshot = body.get("iteration"), body.get("snapshot")
    if iteration is not None and snapshot is not None:
        raise ValueError("give 'iteration' or 'snapshot', not both")
    if iteration is not None and (isinstance(iteration, bool) or not isinstance(iteration, int) or iteration < 0):
        raise ValueError(f"'iteration' must be a whole number >= 0, got {iteration!r}")
    if snapshot is not None:
        _check_name(snapshot)
    adjust, multiply = body.get("adjust"), body.get("multiply")
    if adjust is not None and multiply is not None:
        raise ValueError("give 'adjust' (new values) or 'multiply' (factors), not both")
    for key, value in (("adjust", adjust), ("multiply", multiply)):
        if value is not None and (not isinstance(value, dict) or not value):
            raise ValueError(f"'{key}' must be a non-empty object, e.g. {{\"lr\": 0.5}}")
    if multiply is not None:
        for key, factor in multiply.items():
            if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not math.isfinite(factor) \
                    or factor <= 0:
                raise ValueError(f"'multiply.{key}' must be a finite number > 0, got {factor!r}")
    if adjust is not None and adjust.get("mode", schedules.DEFAULT_MODE) not in schedules.MODES:
        raise ValueError(f"'adjust.mode' must be one of {', '.join(schedules.MODES)}")
    return {"iteration": iteration, "snapshot": snapshot, "adjust": adjust, "multiply": multiply}


def _check_name(name: Any) -> None:
    """A plain ``snapshot_iter_<N>.pt`` (or ``.rank<k>.pt``) name: no path, no parent, nothing else."""
    if not isinstance(name, str) or not name or "/" in name or "\\" in name or name in (".", "..") \
            or "\0" in name:
        raise ValueError(f"'snapshot' must be a plain file name in the result directory, got {str(name)[:200]!r}")
    if _parse_name(name) is None:
        raise ValueError(f"'snapshot' must name a trainui snapshot (snapshot_iter_<N>.pt or "
                         f"snapshot_iter_<N>.rank<k>.pt), got {name[:200]!r}")


def _parse_name(name: str) -> tuple[int, int | None] | None:
    """(iteration, rank or None) of a trainui snapshot file name."""
    match = protocol.SNAPSHOT_PATTERN.match(name)
    if not match or len(match.group(1)) > 18:
        return None
    ext = match.group(2) or ""
    if ext == ".pt":
        return int(match.group(1)), None
    if ext.startswith(".rank") and ext.endswith(".pt") and ext[5:-3].isdigit():
        return int(match.group(1)), int(ext[5:-3])
    return None


def _choose(run: Any, request: dict) -> dict:
    """Rank 0: which snapshot every rank loads, or why none (never raises: the others wait for it)."""
    try:
        return _pick(run, request)
    except Exception as exc:
        return {"error": f"cannot choose a snapshot: {exc or type(exc).__name__}; nothing was changed"}


def _pick(run: Any, request: dict) -> dict:
    if run._uploader is not None:
        return {"error": "restore is not possible for a run shipped to a server over HTTP yet: the upload API cannot "
                         "take back the log entries a rewind abandons (the server would see another run); nothing was "
                         "changed"}
    current = run.iteration if run.iteration is not None else 0
    found = _snapshots(run.out, run.world_size)
    if request["snapshot"] is not None:
        name = request["snapshot"]
        iteration, rank = _parse_name(name)
        if not _is_regular(os.path.join(run.out, name)):
            return {"error": f"no snapshot file {name} in the result directory (links and special files are refused); "
                             "nothing was changed"}
        if iteration > current:
            return {"error": f"{name} is ahead of the run (iteration {current}): it belongs to a stretch an earlier "
                             "restore abandoned; nothing was changed"}
        if rank is None:
            return {"name": name, "per_rank": None}
        if iteration not in found["per_rank"]:
            return {"error": f"{name} is one file of a per-rank snapshot, but not every one of the {run.world_size} "
                             "ranks has its file; nothing was changed"}
        return {"name": name, "per_rank": protocol.snapshot_name(iteration, ".rank{rank}.pt")}
    limit = current if request["iteration"] is None else min(current, request["iteration"])
    candidates = [i for i in set(found["plain"]) | set(found["per_rank"]) if i <= limit]
    if not candidates:
        where = "" if request["iteration"] is None else f" at or before iteration {request['iteration']}"
        return {"error": f"no snapshot{where} (the run is at iteration {current}; snapshots: "
                         f"{_listing(found)}); take one with run.snapshot() or the take_snapshot command; "
                         "nothing was changed"}
    best = max(candidates)
    if best in found["per_rank"]:  # holds every rank's RNG
        return {"name": protocol.snapshot_name(best, ".rank0.pt"),
                "per_rank": protocol.snapshot_name(best, ".rank{rank}.pt")}
    return {"name": protocol.snapshot_name(best), "per_rank": None}


def _snapshots(out: str, world_size: int) -> dict:
    """Iterations with a plain snapshot, and those with a complete per-rank set."""
    plain, ranks = [], {}
    for name in os.listdir(out):
        parsed = _parse_name(name)
        if parsed is None or not _is_regular(os.path.join(out, name)):
            continue
        iteration, rank = parsed
        if rank is None:
            plain.append(iteration)
        else:
            ranks.setdefault(iteration, set()).add(rank)
    complete = [i for i, r in ranks.items() if r >= set(range(world_size))]
    return {"plain": sorted(plain), "per_rank": sorted(complete)}


def _listing(found: dict) -> str:
    its = sorted(set(found["plain"]) | set(found["per_rank"]))
    return ", ".join(f"iteration {i}" for i in its[-5:]) or "none"


def _is_regular(path: str) -> bool:
    import stat

    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _check_fits(run: Any, state: dict, name: str) -> None:
    """Everything ``_load`` does must succeed: check it all first, so a refusal changes nothing."""
    iteration = state.get("iteration")
    if isinstance(iteration, bool) or not isinstance(iteration, int):
        raise ValueError("the snapshot holds no iteration")
    if run.model is not None:
        saved = state.get("model")
        if saved is None:
            raise ValueError("the snapshot holds no model state")
        own = unwrap(run.model).state_dict()
        missing, unexpected = sorted(set(own) - set(saved)), sorted(set(saved) - set(own))
        if missing or unexpected:
            raise ValueError(f"its model does not match this one (missing {missing[:5]}, unexpected {unexpected[:5]})")
        for key, value in own.items():
            if tuple(getattr(value, "shape", ())) != tuple(getattr(saved[key], "shape", ())):
                raise ValueError(f"its model does not match this one: {key} has shape "
                                 f"{tuple(saved[key].shape)}, here {tuple(value.shape)}")
    saved_opts = _optimizer_states(state)
    if run.optimizers:
        if len(saved_opts) != len(run.optimizers):
            raise ValueError(f"it has {len(saved_opts)} optimizer states, the run has {len(run.optimizers)} optimizers")
        for index, (optimizer, saved) in enumerate(zip(run.optimizers, saved_opts)):
            groups = saved.get("param_groups", []) if isinstance(saved, dict) else []
            if [len(g["params"]) for g in groups] != [len(g["params"]) for g in optimizer.param_groups]:
                raise ValueError(f"optimizer {index}: its param groups do not match this optimizer's")
    saved_schedulers = state.get("schedulers") or []
    if len(saved_schedulers) != len(run.schedulers):
        raise ValueError(f"it has {len(saved_schedulers)} scheduler states, the run has {len(run.schedulers)} "
                         "registered schedulers")


def _optimizer_states(state: dict) -> list:
    saved = state.get("optimizer")
    if saved is None:
        return []
    return saved if isinstance(saved, list) else [saved]


def _load(run: Any, state: dict, own_rng: bool) -> list[str]:
    """Write the checked state into the run's objects; returns what was restored."""
    restored = []
    if run.model is not None:
        unwrap(run.model).load_state_dict(state["model"])
        restored.append("model")
    for optimizer, saved in zip(run.optimizers, _optimizer_states(state)):
        optimizer.load_state_dict(saved)
    if run.optimizers:
        restored.append("optimizer")
    for scheduler, saved in zip(run.schedulers, state.get("schedulers") or []):
        if saved is not None:
            schedules.unwrap(scheduler).load_state_dict(saved)
    if run.schedulers:
        for scheduler in run.schedulers:
            schedules.refresh_last_lr(scheduler)
        restored.append("schedulers")
    if run.scaler is not None and state.get("scaler") is not None:
        run.scaler.load_state_dict(state["scaler"])
        restored.append("scaler")
    if own_rng and state.get("rng"):
        restore_rng_states(state["rng"])  # a shared snapshot holds rank 0's: the other ranks keep their own
        restored.append("rng")
    return restored


def _multiplied(optimizers: list, factors: dict) -> dict:
    """``{"param_groups": {i: {key: value x factor}}}`` for adjust_hyperparams, from the values in force."""
    if not optimizers:
        raise ValueError("this run has no optimizer to adjust")
    groups = hyperparams.param_groups(optimizers)
    out: dict = {}
    for key, factor in factors.items():
        hits = 0
        for index, group in enumerate(groups):
            if key not in group or key in hyperparams.NOT_ADJUSTABLE:
                continue
            value = hyperparams._jsonable(group[key])
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"'multiply.{key}': param group {index} holds {value!r}, not a number")
            out.setdefault(str(index), {})[key] = value * factor
            hits += 1
        if not hits:
            raise ValueError(hyperparams._unknown(key, groups))
    return {"param_groups": out}


def _changes(run: Any, request: dict) -> dict | None:
    if request["adjust"] is not None:
        return dict(request["adjust"])
    if request["multiply"] is not None:
        return _multiplied(run.optimizers, request["multiply"])
    return None


def _rewind_log(run: Any, snapshot: str, from_iteration: int | None) -> dict:
    """Rank 0: the entries after the snapshot leave ``log`` for the abandoned log; the rewind is recorded."""
    log = run._log
    try:
        abandoned = log.rewind(run.iteration) if log is not None else []
        number = _count_lines(os.path.join(run.out, REWINDS_LOG)) + 1
        for entry in abandoned:
            append_jsonl(os.path.join(run.out, ABANDONED_LOG), {"rewind": number, "entry": entry})
        append_jsonl(os.path.join(run.out, REWINDS_LOG), {
            "rewind": number, "snapshot": snapshot, "from_iteration": from_iteration,
            "to_iteration": run.iteration, "abandoned_entries": len(abandoned), "at": time.time()})
    except OSError as exc:
        return {"log_warning": f"the model is restored, but the log could not be rewound: {exc}"}
    return {"abandoned_entries": len(abandoned), "rewind": number}


def _count_lines(path: str) -> int:
    try:
        with open(path, "rb") as f:
            return sum(1 for _ in f)
    except FileNotFoundError:
        return 0
