"""Where a rule would have fired on the history the store holds, before it is saved: the same
condition engine fed each run's stored series, in order. Cooldowns in iterations and the firing
limit apply; a cooldown in seconds cannot (the stored points carry no arrival time)."""
from __future__ import annotations

import math

from sqlalchemy.orm import Session

from ..database import database_of
from ..results import get_result, list_results
from .conditions import feed
from ..errors import Conflict
from .definition import RUN_KINDS, check_rule
from .records import check_scope

MAX_RUNS = 1000
MAX_POINTS = 200_000  # per run; a longer series is read downsampled (its extremes kept) and said so


def backtest(session: Session, project_id: int, raw) -> dict:
    from .. import series

    definition = check_rule({"name": "backtest", **raw} if isinstance(raw, dict) and "name" not in raw else raw)
    check_scope(session, project_id, definition["result_id"])
    if definition["condition"]["kind"] in RUN_KINDS:
        raise Conflict(f"a {definition['condition']['kind']} rule watches a run's life, not its stored points: "
                       "there is no history to backtest it on")
    condition, limit = definition["condition"], definition["max_firings"]
    cooldown = definition["cooldown"]["iterations"]
    runs = list_results(session, project_id)
    if definition["result_id"] is not None:
        runs = [r for r in runs if r["id"] == definition["result_id"]]
    out = []
    for listed in runs[:MAX_RUNS]:
        if condition["key"] not in (listed.get("keys") or []):
            continue
        result = get_result(session, listed["id"])
        read = series.read_series(session, database_of(session).series_cache, result, [condition["key"]],
                                  condition["x"], MAX_POINTS)
        column = read["series"].get(condition["key"]) or {}
        # a non-finite value is a gap (null) in y, and spelled in "nonfinite" at the same x
        spelled = dict(zip(column.get("nonfinite", {}).get("x", []), column.get("nonfinite", {}).get("value", [])))
        points = [(x, _number(spelled.get(x, "NaN")) if y is None else float(y))
                  for x, y in zip(column.get("x", []), column.get("y", []))]
        _, triggers = feed(condition, {}, ((i, x, v) for i, (x, v) in enumerate(points)))
        fired, last_x = [], None
        for trigger in triggers:
            if limit is not None and len(fired) >= limit:
                break
            if last_x is not None and cooldown and trigger.x < last_x + cooldown:
                continue
            fired.append({"x": trigger.x, "value": trigger.value if math.isfinite(trigger.value) else None,
                          "reason": trigger.reason})
            last_x = trigger.x
        out.append({"result_id": listed["id"], "name": listed["name"], "points": len(points),
                    "approximate": bool(column.get("downsampled")), "firings": fired})
    return {"runs": out, "fired_runs": sum(1 for r in out if r["firings"]),
            "firings": sum(len(r["firings"]) for r in out), "truncated": len(runs) > MAX_RUNS,
            "note": "cooldowns in seconds are not applied to history" if definition["cooldown"]["seconds"] else ""}


def _number(value) -> float:
    return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}.get(value, math.nan) \
        if isinstance(value, str) else float(value)
