"""A result's metric series as a chart asks for them: which keys, against which x, how many points,
and only what is new since a cursor. One read session; series come through the database's cache."""
from __future__ import annotations

from . import metrics
from .database import Database
from .results import get_result

MAX_KEYS = 200


def read_logs(db: Database, result_id: int, keys: list[str], x_key: str = "iteration", max_points: int = 1000,
              x_min: float | None = None, x_max: float | None = None, since: int = 0) -> dict:
    """``keys`` empty: every key but x. ``since`` is the ``cursor`` of an earlier answer: when what
    was added since fits in ``max_points``, only that is sent (``incremental``); otherwise the
    whole series, downsampled."""
    with db.session() as s:
        result = get_result(s, result_id)
        # asked for by name, the x key itself too (x against x); by default every key but x
        chosen = list(keys) if keys else [k for k in result["keys"] if k != x_key]
        cursor = result["entry_count"]
        incremental = 0 < since <= cursor and cursor - since <= max_points
        series = metrics.query_series(s, db.series_cache, result, chosen[:MAX_KEYS], x_key, max_points, x_min, x_max,
                                      since if incremental else 0)
    return {"result_id": result_id, "x": x_key, "cursor": cursor, "incremental": incremental, "series": series}
