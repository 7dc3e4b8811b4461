"""Summaries of runs of points: extremes, the entries holding them, the first NaN.

Three resolutions: each stored block carries one per 64-point segment (``SEGMENT_SIZE``, its
``segments`` column) besides its own min/max columns, and the last block of each full group of
``GROUP_BLOCKS`` blocks carries one of the whole group (``group_summary``). A chart of a window
of any size is drawn from the coarsest that still gives each bucket two or more: a 2% window of
a 5M-entry series spans ~100 blocks, 1,600 segments; a whole 100M-entry series 1,500 groups.
The same records summarise points decoded on the fly (a block that the window cuts, or one
written before summaries existed), so one bucketing code serves all.

Values are packed as they are (binary), so infinities and NaN survive in the segments, unlike
the block's min/max columns, which some databases cannot hold infinite.
"""
from __future__ import annotations

import numpy as np

from .downsample import grouped_extremes

BLOCK_SIZE = 1024  # points per stored block
SEGMENT_SIZE = 64
GROUP_BLOCKS = 64  # blocks per group: 65,536 points
# One stored record per segment. nan_entry is -1 when the segment holds no NaN; min and max are
# NaN (and their entries the segment's first) when it holds nothing else.
SEGMENT_DTYPE = np.dtype([("first_entry", "<i8"), ("min_entry", "<i8"), ("max_entry", "<i8"),
                          ("nan_entry", "<i8"), ("min", "<f8"), ("max", "<f8")])
# A unit of a chart's bucketing: a stored segment, a whole block, or decoded points, with its count.
UNIT_DTYPE = np.dtype(SEGMENT_DTYPE.descr + [("count", "<i8")])
# A group's summary: a unit, with its last entry and its NaN count (whether its points are one per entry).
GROUP_DTYPE = np.dtype(UNIT_DTYPE.descr + [("last_entry", "<i8"), ("nan_count", "<i8")])


def summarize(indices: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """``UNIT_DTYPE`` records of consecutive runs of ``size`` points (the last may be shorter).
    NaN never wins a minimum or maximum; infinities do."""
    n = len(values)
    runs = -(-n // size)
    if not runs:
        return np.empty(0, UNIT_DTYPE)
    pad = runs * size - n
    vals = np.concatenate([values, np.full(pad, np.nan)]).reshape(runs, size)
    ents = np.concatenate([indices, np.full(pad, -1, dtype=np.int64)]).reshape(runs, size)
    real = ~np.isnan(vals)  # the padding is NaN too, so never real
    nan = ~real
    if pad:
        nan[-1, size - pad:] = False
    arg_min = np.where(real, vals, np.inf).argmin(axis=1)
    arg_max = np.where(real, vals, -np.inf).argmax(axis=1)
    rows = np.arange(runs)
    has_real = real.any(axis=1)
    # A run whose minimum is +inf (or maximum -inf) may have picked a NaN at a tie: take its first real point.
    for arg in (arg_min, arg_max):
        tied = has_real & ~real[rows, arg]
        if tied.any():
            arg[tied] = real[tied].argmax(axis=1)
    out = np.empty(runs, UNIT_DTYPE)
    out["first_entry"] = ents[:, 0]
    out["min_entry"] = ents[rows, arg_min]
    out["max_entry"] = ents[rows, arg_max]
    out["min"] = vals[rows, arg_min]
    out["max"] = vals[rows, arg_max]
    has_nan = nan.any(axis=1)
    out["nan_entry"] = np.where(has_nan, ents[rows, nan.argmax(axis=1)], -1)
    out["count"] = size
    out["count"][-1] = n - (runs - 1) * size
    return out


def block_summary_columns(indices: np.ndarray, values: np.ndarray) -> dict:
    """The finer-summary columns of a block: its last entry, its NaN count, its packed segments."""
    segments = summarize(indices, values, SEGMENT_SIZE)
    packed = np.empty(len(segments), SEGMENT_DTYPE)
    for name in SEGMENT_DTYPE.names:
        packed[name] = segments[name]
    return {"last_index": int(indices[-1]), "nan_count": int(np.isnan(values).sum()), "segments": packed.tobytes()}


def segment_units(packed: list[bytes], counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Blocks' stored segments as units, in the given order, and the position in ``packed`` of the
    block each unit comes from. A segment's count follows from its block's."""
    stored = np.frombuffer(b"".join(packed), SEGMENT_DTYPE)
    per_block = np.array([len(p) // SEGMENT_DTYPE.itemsize for p in packed], dtype=np.int64)
    out = np.empty(len(stored), UNIT_DTYPE)
    for name in SEGMENT_DTYPE.names:
        out[name] = stored[name]
    out["count"] = SEGMENT_SIZE
    last = np.cumsum(per_block) - 1
    out["count"][last[per_block > 0]] = (counts - (per_block - 1) * SEGMENT_SIZE)[per_block > 0]
    return out, np.repeat(np.arange(len(packed)), per_block)


def group_summary(packed: list[bytes], counts: np.ndarray, nan_counts: np.ndarray, last_entry: int) -> bytes:
    """One ``GROUP_DTYPE`` record of consecutive blocks, from their stored segments."""
    units, _ = segment_units(packed, counts)
    arg_low, arg_high = grouped_extremes(units["min"], units["max"], np.zeros(len(units), np.int64))
    nan = units["nan_entry"][units["nan_entry"] >= 0]
    out = np.zeros(1, GROUP_DTYPE)
    out["first_entry"], out["last_entry"] = units["first_entry"][0], last_entry
    out["min"], out["min_entry"] = units["min"][arg_low], units["min_entry"][arg_low]
    out["max"], out["max_entry"] = units["max"][arg_high], units["max_entry"][arg_high]
    out["nan_entry"] = nan[0] if len(nan) else -1
    out["count"], out["nan_count"] = int(counts.sum()), int(nan_counts.sum())
    return out.tobytes()


def group_units(packed: list[bytes]) -> np.ndarray:
    """Stored group summaries as records."""
    return np.frombuffer(b"".join(packed), GROUP_DTYPE)
