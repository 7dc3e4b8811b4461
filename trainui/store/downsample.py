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
