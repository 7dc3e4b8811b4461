"""Min/max downsampling: a long series shrinks to at most N points and no spike disappears."""
from __future__ import annotations

import numpy as np


def bucket_extremes(low: np.ndarray, high: np.ndarray, buckets: int) -> tuple[np.ndarray, np.ndarray]:
    """Cut positions 0..n-1 into at most ``buckets`` runs of equal length; per run, the position of
    the smallest ``low`` and of the largest ``high``. NaN never wins unless a whole run is NaN."""
    n = len(low)
    size = -(-n // buckets)  # ceil
    buckets = -(-n // size)  # drop runs that would be empty
    padded = buckets * size
    lows = np.full(padded, np.inf)
    highs = np.full(padded, -np.inf)
    lows[:n] = np.where(np.isnan(low), np.inf, low)
    highs[:n] = np.where(np.isnan(high), -np.inf, high)
    starts = np.arange(buckets) * size
    arg_low = np.minimum(lows.reshape(buckets, size).argmin(axis=1) + starts, n - 1)
    arg_high = np.minimum(highs.reshape(buckets, size).argmax(axis=1) + starts, n - 1)
    return arg_low, arg_high


def in_pairs(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Interleave two choices per bucket, in their original order."""
    return np.stack([np.minimum(first, second), np.maximum(first, second)], axis=1).reshape(-1)


def minmax_indices(y: np.ndarray, max_points: int) -> np.ndarray | None:
    """Positions to keep so that at most ``max_points`` remain, or None when all fit.

    The series is cut into max_points // 2 buckets of equal count; each bucket gives exactly two
    positions, its minimum and its maximum, in their original order (the same position twice
    when the bucket is a single point), so a client can draw a min-max band from the pairs.
    """
    if len(y) <= max_points:
        return None
    return in_pairs(*bucket_extremes(y, y, max(1, max_points // 2)))


def groups_by_count(counts: np.ndarray, buckets: int) -> np.ndarray:
    """Bucket numbers for consecutive runs of ``counts`` points: each bucket gathers the runs that
    start in its ``1 / buckets`` of the points, so buckets hold about equal numbers of points
    even when runs differ in size (whole blocks, segments, a cut block's remainder)."""
    starts = np.cumsum(counts) - counts
    return (starts * buckets) // max(1, int(starts[-1] + counts[-1]))


def grouped_extremes(low: np.ndarray, high: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per run of equal ``groups`` (non-decreasing), the position of the smallest ``low`` and of the
    largest ``high``, the first at a tie. NaN never wins unless the whole group is NaN."""
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    group_of = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(groups)]))
    return _group_arg(low, starts, group_of, np.minimum), _group_arg(high, starts, group_of, np.maximum)


def _group_arg(values: np.ndarray, starts: np.ndarray, group_of: np.ndarray, best_of) -> np.ndarray:
    nan = np.isnan(values)
    clean = np.where(nan, np.inf if best_of is np.minimum else -np.inf, values)
    best = best_of.reduceat(clean, starts)
    all_nan = np.logical_and.reduceat(nan, starts)
    hits = np.flatnonzero((clean == best[group_of]) & (~nan | all_nan[group_of]))
    return hits[np.unique(group_of[hits], return_index=True)[1]]


def spread(n: int, max_points: int) -> np.ndarray:
    """Positions 0..n-1, or ``max_points`` of them evenly spread when there are more."""
    if n <= max_points:
        return np.arange(n)
    return np.linspace(0, n - 1, max_points).astype(np.int64)


def exact_answer(xs: np.ndarray, ys: np.ndarray, max_points: int) -> dict:
    """A chart's series from all its points (x, y in entry order): at most ``max_points`` of them,
    each bucket's minimum and maximum kept."""
    picked = minmax_indices(ys, max_points)
    answer = {"x": xs, "y": ys, "total": len(xs), "downsampled": picked is not None,
              "nonfinite": nonfinite_points(xs, ys, max_points)}
    if picked is not None:
        answer["x"], answer["y"] = xs[picked], ys[picked]
    return answer


def nonfinite_points(xs: np.ndarray, ys: np.ndarray, max_points: int) -> dict:
    """Where the series is NaN or infinite, which JSON cannot carry (y is null there): x and a label
    ("NaN", "Infinity", "-Infinity") per point, spread evenly over at most ``max_points`` of them."""
    bad = np.flatnonzero(~np.isfinite(ys))
    bad = bad[spread(len(bad), max_points)]
    values = ys[bad]
    labels = np.where(np.isnan(values), "NaN", np.where(values > 0, "Infinity", "-Infinity"))
    return {"x": xs[bad], "value": labels.tolist()}
