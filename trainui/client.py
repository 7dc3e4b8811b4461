"""``trainui.Client``: a trainui server's API from a notebook or a script.

    client = trainui.Client("http://127.0.0.1:5000", token=None)
    run = client.results("my-project")[-1]
    loss = client.series(run["id"], ["main/loss"])["main/loss"]      # loss.x, loss.y: lists
    x, y = loss.arrays()                                              # the same as NumPy arrays
    answer = client.command(run["id"], "adjust_hyperparams", {"lr": 0.01})   # waits for the job
    # under an LR scheduler: "mode": "scale" (the default) scales the rest of the schedule, "hold" holds the value
    answer = client.command(run["id"], "adjust_hyperparams", {"lr": 0.01, "mode": "hold"})
    client.tag(run["id"], add=["best"], remove=["draft"])             # tags: chips in the UI
    client.set_notes(run["id"], "## Why\nlr 0.01 after the plateau")  # markdown notes

Standard library only (NumPy for ``arrays()``), like the trainer library, so it works wherever a
training script does. Series come whole by default: where the server would thin a series out
(more points than one answer carries), the client asks again range by range.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

from trainui.config import DEFAULT_SERVER, JobEnvironment
from trainui.trainer.transport import Api, Refused, Unreachable

SERVER_MAX_POINTS = 100_000  # the most points per key one logs answer carries
_NONFINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


class ClientError(Exception):
    """The server refused (``status`` 4xx, ``code`` such as ``forbidden``) or could not be reached
    (``status`` None)."""

    def __init__(self, message: str, status: int | None = None, code: str = ""):
        super().__init__(message)
        self.status, self.code = status, code


@dataclass
class Series:
    """One metric against its x key, in the server's order (x order where it was read in ranges).
    ``y`` holds floats; NaN and infinities are restored where the server names them."""

    key: str
    x: list = field(default_factory=list)
    y: list = field(default_factory=list)
    downsampled: bool = False  # True only when ``max_points`` asked for fewer points than there are

    def arrays(self):
        import numpy as np

        return np.asarray(self.x, dtype=float), np.asarray(self.y, dtype=float)

    def __len__(self) -> int:
        return len(self.x)


class Client:
    """The API of one trainui server, as one token (none: a loopback server without ``--token``)."""

    page_points = SERVER_MAX_POINTS  # points per request when reading a whole series

    def __init__(self, url: str | None = None, token: str | None = None, timeout: float = 30.0):
        self._api = Api(url or JobEnvironment.read().server or DEFAULT_SERVER, token, timeout,
                        agent="trainui-client")
        self.url = self._api.server

    # ------------------------------------------------------------------------------ reading
    def projects(self) -> list[dict]:
        return self._get("projects")["projects"]

    def project(self, project: int | str) -> dict:
        """A project by id or by name."""
        if isinstance(project, int):
            return self._get(f"projects/{project}")["project"]
        for found in self.projects():
            if found["name"] == project:
                return found
        raise ClientError(f"no project named {project!r} on {self.url}", 404, "not_found")

    def results(self, project: int | str, include_unregistered: bool = False) -> list[dict]:
        """The results of a project (by id or name), oldest first."""
        project_id = project if isinstance(project, int) else self.project(project)["id"]
        query = {"include_unregistered": "true"} if include_unregistered else None
        return self._get(f"projects/{project_id}/results", query)["results"]

    def result(self, result_id: int) -> dict:
        return self._get(f"results/{int(result_id)}")["result"]

    def delete_result(self, result_id: int, files: bool = False, force: bool = False) -> dict:
        """Delete a result and everything stored for it; ``files`` deletes its directory too (see
        DELETE /results/<id>). Returns what was deleted."""
        query = {k: "true" for k, v in (("files", files), ("force", force)) if v}
        return self._call("DELETE", f"results/{int(result_id)}", query=query or None)["deleted"]

    def wait_for_result(self, project: int | str, status: str | None = None, timeout: float = 60.0,
                        interval: float = 0.5) -> dict:
        """The project's newest result (with ``status``, e.g. "running"), waiting up to ``timeout``
        seconds for the server to find it: a job just started is ingested within a moment, and
        scripts should find it by what it is, not by an id that depends on what came before."""
        deadline = time.monotonic() + timeout
        while True:
            found = [r for r in self.results(project) if status is None or r["status"] == status]
            if found:
                return found[-1]
            if time.monotonic() >= deadline:
                raise TimeoutError(f"no {status + ' ' if status else ''}result in project {project!r} "
                                   f"on {self.url} after {timeout:g} s")
            time.sleep(interval)

    def series(self, result_id: int, keys: list[str] | str | None = None, x: str = "iteration",
               max_points: int | None = None) -> dict[str, Series]:
        """Series of ``keys`` (all keys when None) against ``x``. ``max_points=None``: every point;
        a number: at most that many per key, thinned by the server keeping each bucket's extremes."""
        result_id = int(result_id)
        if isinstance(keys, str):
            keys = [keys]
        if keys is None:
            keys = [k for k in self.result(result_id)["keys"] if k != x]
        if max_points is not None:
            answer = self._logs(result_id, keys, x, max_points)
            return {k: _series(k, s) for k, s in answer["series"].items()}
        return {k: self._whole_series(result_id, k, x) for k in keys}

    def arrays(self, result_id: int, keys: list[str] | str | None = None, x: str = "iteration",
               max_points: int | None = None) -> dict[str, tuple]:
        """``series`` as NumPy arrays: key -> (x, y)."""
        return {k: s.arrays() for k, s in self.series(result_id, keys, x, max_points).items()}

    # ------------------------------------------------------------------------------ labels
    def tag(self, result_id: int, add: list[str] | str = (), remove: list[str] | str = ()) -> list[str]:
        """Add and remove tags in one step; returns the run's tags. A user's tags win over the
        job's (``trainui.Run(tags=...)``) from then on."""
        body = {"add": _listed(add), "remove": _listed(remove)}
        return self._call("POST", f"results/{int(result_id)}/tags", body)["result"]["tags"]

    def set_tags(self, result_id: int, tags: list[str]) -> list[str]:
        """Replace the run's tags with ``tags`` ([] clears them)."""
        return self._call("PATCH", f"results/{int(result_id)}", {"tags": _listed(tags)})["result"]["tags"]

    def set_notes(self, result_id: int, notes: str | None) -> dict:
        """Replace the run's markdown notes (None or "" clears them); returns the result."""
        return self._call("PATCH", f"results/{int(result_id)}", {"notes": notes})["result"]

    # ------------------------------------------------------------------------------ commands
    def commands(self, result_id: int) -> list[dict]:
        return self._get(f"results/{int(result_id)}/commands")["commands"]

    def post_command(self, result_id: int, name: str, body: dict | None = None, *,
                     iteration: int | None = None, epoch: int | None = None) -> dict:
        """Post a command (optionally due at an iteration or epoch); returns it, PENDING."""
        payload: dict[str, Any] = {"name": name, "body": body or {}}
        if iteration is not None and epoch is not None:
            raise ValueError("schedule a command at an iteration or at an epoch, not both")
        if iteration is not None:
            payload["schedule"] = {"key": "iteration", "value": int(iteration)}
        elif epoch is not None:
            payload["schedule"] = {"key": "epoch", "value": int(epoch)}
        return self._call("POST", f"results/{int(result_id)}/commands", payload)["command"]

    def wait_command(self, result_id: int, command_id: int, timeout: float = 60.0, interval: float = 0.2) -> dict:
        """The command once the job answered it (SUCCESS or FAILURE) or it was CANCELLED."""
        deadline = time.monotonic() + timeout
        while True:
            for command in self.commands(result_id):
                if command["id"] == command_id and command["status"] != "PENDING":
                    return command
            if time.monotonic() >= deadline:
                raise TimeoutError(f"command {command_id} of result {result_id} is still PENDING after {timeout:g} s")
            time.sleep(interval)

    def command(self, result_id: int, name: str, body: dict | None = None, *, iteration: int | None = None,
                epoch: int | None = None, timeout: float = 60.0) -> dict:
        """Post a command and wait for its answer (status, iteration, epoch, ranks, response)."""
        posted = self.post_command(result_id, name, body, iteration=iteration, epoch=epoch)
        return self.wait_command(result_id, posted["id"], timeout)

    # ------------------------------------------------------------------------------ rules
    def rules(self, project: int | str) -> list[dict]:
        """A project's automations."""
        return self._get(f"projects/{self.project(project)['id']}/rules")["rules"]

    def add_rule(self, project: int | str, definition: dict) -> dict:
        """Add a rule (see the API's Rule, or ``rule_preset``); it watches entries from now on."""
        return self._call("POST", f"projects/{self.project(project)['id']}/rules", definition)["rule"]

    def backtest_rule(self, project: int | str, definition: dict) -> dict:
        """Where ``definition`` would have fired on the project's history (nothing is stored)."""
        return self._call("POST", f"projects/{self.project(project)['id']}/rules/backtest", definition)

    def update_rule(self, rule_id: int, changes: dict) -> dict:
        return self._call("PATCH", f"rules/{int(rule_id)}", changes)["rule"]

    def delete_rule(self, rule_id: int) -> None:
        self._call("DELETE", f"rules/{int(rule_id)}")

    def firings(self, rule_id: int | None = None, result_id: int | None = None) -> list[dict]:
        """Where a rule fired (``rule_id``), or which rules fired on a run (``result_id``)."""
        if (rule_id is None) == (result_id is None):
            raise ValueError("give rule_id or result_id")
        path = f"rules/{int(rule_id)}/firings" if rule_id is not None else f"results/{int(result_id)}/firings"
        return self._get(path)["firings"]

    def rule_preset(self, name: str, key: str | None = None) -> dict:
        """A ready-made definition ("nan-guard", "plateau-lr", "early-stop", "loss-spike"), on ``key``."""
        presets = {p["id"]: p for p in self._get("rules/presets")["presets"]}
        if name not in presets:
            raise ValueError(f"no preset {name!r} (presets: {', '.join(presets)})")
        definition = presets[name]["definition"]
        if key is not None and "key" in definition["condition"]:
            default = presets[name]["key"]
            definition = {**definition, "name": definition["name"].replace(default, key),
                          "condition": {**definition["condition"], "key": key}}
        return definition

    # ------------------------------------------------------------------------------ plumbing
    def _whole_series(self, result_id: int, key: str, x: str) -> Series:
        """Every point: one request when it fits, else x ranges split until each one fits."""
        return self._range(result_id, key, x, None, None)

    def _range(self, result_id: int, key: str, x: str, low: float | None, high: float | None) -> Series:
        answer = self._logs(result_id, [key], x, self.page_points, low, high)["series"].get(key) or {}
        if not answer.get("downsampled"):
            return _series(key, answer)
        seen = [v for v in answer["x"] if v is not None]
        before, after = [], []
        if low is None:  # the thinned answer's extremes bound the range; what lies beyond is asked apart
            low = min(seen)
            before = [self._range(result_id, key, x, None, math.nextafter(low, -math.inf))]
        if high is None:
            high = max(seen)
            after = [self._range(result_id, key, x, math.nextafter(high, math.inf), None)]
        middle = low / 2 + high / 2
        if low < middle < high:
            inside = [self._range(result_id, key, x, low, middle),
                      self._range(result_id, key, x, math.nextafter(middle, math.inf), high)]
        else:  # more points at one x value than an answer carries: the server's thinning it is
            inside = [_series(key, self._logs(result_id, [key], x, self.page_points, low, high)["series"][key])]
        return _joined(key, before + inside + after)

    def _logs(self, result_id, keys, x, max_points, x_min=None, x_max=None) -> dict:
        query = {"keys": ",".join(keys), "x": x, "max_points": int(max_points),
                 "x_min": _number(x_min), "x_max": _number(x_max)}
        return self._get(f"results/{result_id}/logs", query)

    def _get(self, path: str, query: dict | None = None) -> Any:
        return self._call("GET", path, query=query)

    def _call(self, method: str, path: str, body: Any = None, query: dict | None = None) -> Any:
        try:
            return self._api.call(method, path, body, query=query)
        except Refused as refused:
            raise ClientError(f"{method} {path}: {refused.message or refused}", refused.status, refused.code) from None
        except Unreachable as error:
            raise ClientError(f"cannot reach the trainui server at {self.url}: {error}") from None


def _listed(tags: list[str] | str) -> list[str]:
    return [tags] if isinstance(tags, str) else list(tags)


def _series(key: str, answer: dict) -> Series:
    xs, ys = list(answer.get("x") or []), list(answer.get("y") or [])
    labels = answer.get("nonfinite") or {}
    named = dict(zip(labels.get("x") or [], labels.get("value") or []))
    ys = [(_NONFINITE.get(named.get(xv), math.nan) if yv is None else yv) for xv, yv in zip(xs, ys)]
    return Series(key, xs, ys, bool(answer.get("downsampled")))


def _joined(key: str, parts: list[Series]) -> Series:
    out = Series(key)
    for part in parts:
        out.x.extend(part.x)
        out.y.extend(part.y)
        out.downsampled |= part.downsampled
    return out


def _number(value: float | None) -> str | None:
    return None if value is None else repr(float(value))
