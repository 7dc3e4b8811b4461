"""Min/max downsampling: a long series shrinks to at most N points and no spike disappears."""
from __future__ import annotations

import numpy as np


def minmax_indices(y: np.ndarray, max_points: int) -> np.ndarray | None:
    """Positions to keep so that at most ``max_points`` remain, or None when all fit.

    The series is cut into max_points // 2 buckets of equal count; each bucket gives exactly two
    positions, its minimum and its maximum, in their original order (the same position twice
    when the bucket is a single point), so a client can draw a min-max band from the pairs.
    NaN never wins a bucket unless the whole bucket is NaN.
    """
    n = len(y)
    if n <= max_points:
        return None
    buckets = max(1, max_points // 2)
    size = -(-n // buckets)  # ceil
    buckets = -(-n // size)  # drop buckets that would be empty
    padded = buckets * size
    low = np.full(padded, np.inf)
    high = np.full(padded, -np.inf)
    finite_or_inf = np.where(np.isnan(y), np.inf, y)
    low[:n] = finite_or_inf
    high[:n] = np.where(np.isnan(y), -np.inf, y)
    starts = np.arange(buckets) * size
    arg_low = low.reshape(buckets, size).argmin(axis=1) + starts
    arg_high = high.reshape(buckets, size).argmax(axis=1) + starts
    arg_low = np.minimum(arg_low, n - 1)
    arg_high = np.minimum(arg_high, n - 1)
    first = np.minimum(arg_low, arg_high)
    second = np.maximum(arg_low, arg_high)
    return np.stack([first, second], axis=1).reshape(-1)
