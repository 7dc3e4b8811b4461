"""The series' read side: a result's metric series as a chart asks for them (which keys, against
which x, how many points, and only what is new since a cursor), drawn from the blocks' summaries
through the database's cache of decoded series."""
from __future__ import annotations

import numpy as np
from sqlalchemy.orm import Session

from .block_reads import VALUE_DTYPE, read_entry_range
from .cache import SeriesCache
from .downsample import exact_answer
from .entry_window import find_window
from .window_series import window_answer

MAX_KEYS = 200


def read_series(session: Session, cache: SeriesCache, result: dict, keys: list[str], x_key: str = "iteration",
                max_points: int = 1000, x_min: float | None = None, x_max: float | None = None,
                since: int = 0) -> dict:
    """The read entry point. ``result`` is the result as the store shows it (its id, keys and
    entry count). ``keys`` empty: every key but x. ``since`` is the ``cursor`` of an earlier
    answer: when what was added since fits in ``max_points``, only that is sent (``incremental``);
    otherwise the whole series, downsampled."""
    # asked for by name, the x key itself too (x against x); by default every key but x
    chosen = list(keys) if keys else [k for k in result["keys"] if k != x_key]
    cursor = result["entry_count"]
    incremental = 0 < since <= cursor and cursor - since <= max_points
    series = query_series(session, cache, result, chosen[:MAX_KEYS], x_key, max_points, x_min, x_max,
                          since if incremental else 0)
    return {"result_id": result["id"], "x": x_key, "cursor": cursor, "incremental": incremental, "series": series}


def query_series(session: Session, cache: SeriesCache, result: dict, keys: list[str], x_key: str,
                 max_points: int, x_min: float | None = None, x_max: float | None = None, since: int = 0) -> dict:
    """The series of ``keys`` against ``x_key``, each cut to at most ``max_points`` points.

    With ``since``, only entries from that index on (a live chart's increment: a block or two).
    Otherwise the entries with x in [x_min, x_max] (the whole series without a range) are found
    from the x key's block summaries, and each key's chart is drawn from its own summaries over
    those entries (window_series), decoding only what the range cuts.
    """
    if since:
        return _increments(session, result["id"], keys, x_key, max_points, x_min, x_max, since)
    window, x = find_window(session, cache, result, x_key, x_min, x_max)
    return {key: window_answer(session, result["id"], key, window, x, max_points) for key in keys}


def _increments(session: Session, result_id: int, keys: list[str], x_key: str, max_points: int,
                x_min: float | None, x_max: float | None, since: int) -> dict:
    x_series = read_entry_range(session, result_id, x_key, since)
    out = {}
    for key in keys:
        xs, ys = series_against(x_series, read_entry_range(session, result_id, key, since))
        keep = ~np.isnan(xs)
        if x_min is not None:
            keep &= xs >= x_min
        if x_max is not None:
            keep &= xs <= x_max
        out[key] = exact_answer(xs[keep], ys[keep], max_points)
    return out


def series_against(x: tuple[np.ndarray, np.ndarray], y: tuple[np.ndarray, np.ndarray]
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Pair a y series with the x values logged in the same entries (entries lacking either are dropped)."""
    x_idx, x_val = x
    y_idx, y_val = y
    if len(x_idx) == len(y_idx) and np.array_equal(x_idx, y_idx):
        return x_val, y_val
    if not len(x_idx) or not len(y_idx):
        return np.empty(0, VALUE_DTYPE), np.empty(0, VALUE_DTYPE)
    pos = np.searchsorted(x_idx, y_idx)
    pos_clipped = np.minimum(pos, len(x_idx) - 1)
    found = x_idx[pos_clipped] == y_idx
    return x_val[pos_clipped[found]], y_val[found]
