"""One key's chart over a window of entries, from the coarsest summaries that still give every
bucket two units or more (groups: one for every other bucket, as the next level down reads 64
times as many rows): groups of 64 blocks, else whole blocks (their min/max columns), else
64-point segments (packed with each block), else the decoded points themselves (a window of
fewer than max_points segments: at most a few dozen blocks). Blocks that the window cuts, and
blocks written before the summaries existed, are decoded and summarised the same way, so every
answer keeps each bucket's true minimum and maximum over the window's points.
"""
from __future__ import annotations

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import MetricBlock
from .block_reads import (INDEX_DTYPE, RANGE_CHUNK, VALUE_DTYPE, block_holding, block_ranges_outside, decode_blocks,
                          in_block_ranges, read_groups, stored_segments)
from .block_summary import BLOCK_SIZE, GROUP_BLOCKS, SEGMENT_SIZE, UNIT_DTYPE, segment_units, summarize
from .downsample import exact_answer, grouped_extremes, groups_by_count, spread
from .entry_window import EntryWindow, XValues

NO_UNITS = np.empty(0, UNIT_DTYPE)


def window_answer(session: Session, result_id: int, key: str, window: EntryWindow, x: XValues,
                  max_points: int) -> dict:
    """The answer of /logs for ``key`` over ``window``: at most ``max_points`` points."""
    rows = _blocks_in(session, result_id, key, window, max_points)
    units = window_units(session, result_id, key, window, rows, max_points)
    if units is None:
        entries, values = window_points(session, result_id, key, window, rows)
        return exact_answer(x.at(entries), values, max_points)
    return summary_answer(units, x, max_points)


def window_units(session: Session, result_id: int, key: str, window: EntryWindow, rows: dict | None,
                 max_points: int) -> np.ndarray | None:
    """The window's points as summary units in entry order, or None when too few units would
    reach every bucket (the caller then decodes the window). ``rows``: ``_blocks_in``'s."""
    if rows is None:
        return NO_UNITS
    buckets = max(1, max_points // 2)
    if rows["groups"] is not None or len(rows["block_no"]) >= 2 * buckets:
        unit_size = BLOCK_SIZE
    elif int((-(-rows["count"] // SEGMENT_SIZE)).sum()) >= 2 * buckets:
        unit_size = SEGMENT_SIZE
    else:
        return None
    covered = rows["summarised"] & window.covers(rows["first"], rows["last"])
    plain = covered & (unit_size == BLOCK_SIZE) & (rows["nan_count"] == 0) & rows["finite"]
    segmented = covered & ~plain
    parts, origins = [_block_units(rows, plain)], [rows["block_no"][plain]]
    if rows["groups"] is not None:
        parts.append(_group_units(rows["groups"]))
        origins.append(rows["group_closing"])
    wanted = rows["block_no"][segmented]
    packed = ([rows["segments"][i] for i in np.flatnonzero(segmented)] if rows["segments"] is not None
              else stored_segments(session, result_id, key, wanted))
    seg_units, seg_of = segment_units(packed, rows["count"][segmented])
    parts.append(seg_units)
    origins.append(wanted[seg_of])
    decoded = decode_blocks(session, result_id, key, rows["block_no"][~covered])
    for block_no, (indices, values) in decoded.items():
        keep = window.contains(indices)
        parts.append(summarize(indices[keep], values[keep], unit_size))
        origins.append(np.full(len(parts[-1]), block_no))
    units = np.concatenate(parts)
    return units[np.argsort(np.concatenate(origins), kind="stable")]  # entry order: by block, then within


def window_points(session: Session, result_id: int, key: str, window: EntryWindow, rows: dict | None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Every point of ``key`` in the window, decoding only the blocks that hold some."""
    if rows is None:
        return np.empty(0, INDEX_DTYPE), np.empty(0, VALUE_DTYPE)
    decoded = decode_blocks(session, result_id, key, rows["block_no"])
    parts = [decoded[b] for b in rows["block_no"].tolist()]
    indices = np.concatenate([p[0] for p in parts])
    values = np.concatenate([p[1] for p in parts])
    keep = window.contains(indices)
    return indices[keep], values[keep]


def summary_answer(units: np.ndarray, x: XValues, max_points: int) -> dict:
    """Min/max buckets of units of about equal point counts; each bucket's two points in entry order."""
    if not len(units):
        return exact_answer(np.empty(0), np.empty(0), max_points)
    groups = groups_by_count(units["count"], max(1, max_points // 2))
    arg_low, arg_high = grouped_extremes(units["min"], units["max"], groups)
    shown = ~np.isnan(units["min"][arg_low])  # a bucket of NaN only has nothing to show
    low_entry, high_entry = units["min_entry"][arg_low][shown], units["max_entry"][arg_high][shown]
    low, high = units["min"][arg_low][shown], units["max"][arg_high][shown]
    high_first = high_entry < low_entry
    entries = np.stack([np.where(high_first, high_entry, low_entry),
                        np.where(high_first, low_entry, high_entry)], axis=1).reshape(-1)
    values = np.stack([np.where(high_first, high, low), np.where(high_first, low, high)], axis=1).reshape(-1)
    return {"x": x.at(entries), "y": values, "total": int(units["count"].sum()), "downsampled": True,
            "nonfinite": _marks(units, x, max_points)}


def _marks(units: np.ndarray, x: XValues, max_points: int) -> dict:
    """Non-finite points as the units know them: each unit's first NaN, and its infinite extremes
    (the first +inf and the first -inf); spread evenly over at most ``max_points``."""
    nan = units["nan_entry"] >= 0
    plus = np.isposinf(units["max"])
    minus = np.isneginf(units["min"])
    entries = np.concatenate([units["nan_entry"][nan], units["max_entry"][plus], units["min_entry"][minus]])
    labels = np.array(["NaN"] * int(nan.sum()) + ["Infinity"] * int(plus.sum()) + ["-Infinity"] * int(minus.sum()))
    order = np.argsort(entries, kind="stable")
    entries, labels = entries[order], labels[order]
    picked = spread(len(entries), max_points)
    entries, labels = entries[picked], labels[picked]
    return {"x": x.at(entries), "value": labels.tolist()}


def _block_units(rows: dict, chosen: np.ndarray) -> np.ndarray:
    """Whole blocks as units, from their min/max columns."""
    units = np.empty(int(chosen.sum()), UNIT_DTYPE)
    units["first_entry"], units["count"], units["nan_entry"] = rows["first"][chosen], rows["count"][chosen], -1
    units["min"], units["min_entry"] = rows["min"][chosen], rows["min_entry"][chosen]
    units["max"], units["max_entry"] = rows["max"][chosen], rows["max_entry"][chosen]
    return units


def _group_units(groups: np.ndarray) -> np.ndarray:
    """Whole groups as units, from their stored summaries."""
    units = np.empty(len(groups), UNIT_DTYPE)
    for name in UNIT_DTYPE.names:
        units[name] = groups[name]
    return units


def _blocks_in(session: Session, result_id: int, key: str, window: EntryWindow, max_points: int) -> dict | None:
    """The key's blocks holding entries of the window, as columns of their summaries, found
    through its group summaries. When the window holds whole groups enough for every bucket, those
    groups are the units (``groups``) and only the blocks outside them are listed. Blocks' packed
    segments come along when the window is too short for whole blocks to serve as units."""
    if window.empty:
        return None
    low, high = window.span
    buckets = max(1, max_points // 2)
    groups, closing = read_groups(session, result_id, key, high)
    covered = ((groups["last_entry"] >= low) & (groups["first_entry"] <= high)
               & window.covers(groups["first_entry"], groups["last_entry"]))
    # Groups serve once they give half the buckets asked for: below that, blocks (64 times as many rows).
    use_groups = int(covered.sum()) >= max(1, buckets // 2)
    before, after = closing[groups["last_entry"] < low], closing[groups["first_entry"] > high]
    ranges = block_ranges_outside(closing[covered] if use_groups else closing[:0],
                                  int(before[-1]) + 1 if len(before) else 0,
                                  int(after[0]) - GROUP_BLOCKS if len(after) else None)
    with_segments = not use_groups and (high - low) // BLOCK_SIZE + 2 < 2 * buckets
    t = MetricBlock.__table__
    where = [t.c.result_id == result_id, t.c.key == key, t.c.first_index <= high]
    if not len(closing):  # no groups to bound the span with: from the block holding its start
        where.append(t.c.block_no >= block_holding(t, where[:2], low))
    columns = [t.c.block_no, t.c.count, t.c.first_index, t.c.last_index, t.c.nan_count, t.c.min_value,
               t.c.min_index, t.c.max_value, t.c.max_index] + ([t.c.segments] if with_segments else [])
    found = []
    for start in range(0, len(ranges), RANGE_CHUNK):
        found += session.execute(select(*columns).where(*where, in_block_ranges(t, ranges[start:start + RANGE_CHUNK]))
                                 ).all()
    found.sort(key=lambda row: row[0])
    if not found and not use_groups:
        return None
    block_no, count, first, last, nan_count, low_value, low_entry, high_value, high_entry, *segments = (
        zip(*found) if found else ([] for _ in columns))
    first = np.array(first, dtype=np.int64)
    # A block written before revision 0003 has no last_index: it reaches at most to the next block.
    reach = np.r_[first[1:] - 1, np.iinfo(np.int64).max] if len(first) else first
    rows = {
        "block_no": np.array(block_no, dtype=np.int64),
        "count": np.array(count, dtype=np.int64),
        "first": first,
        "last": np.array([r if v is None else v for v, r in zip(last, reach.tolist())], dtype=np.int64),
        "summarised": np.array([n is not None for n in nan_count], bool),
        "nan_count": np.array([n or 0 for n in nan_count], dtype=np.int64),
        "min": np.array(low_value, dtype=float),  # NULL (infinite, or all NaN) becomes NaN
        "max": np.array(high_value, dtype=float),
        "min_entry": np.array([-1 if e is None else e for e in low_entry], dtype=np.int64),
        "max_entry": np.array([-1 if e is None else e for e in high_entry], dtype=np.int64),
    }
    rows["finite"] = ~np.isnan(rows["min"]) & ~np.isnan(rows["max"])
    keep = window.touches(rows["first"], rows["last"])
    chosen = {name: column[keep] for name, column in rows.items()}
    chosen["segments"] = [p for p, k in zip(segments[0], keep.tolist()) if k] if segments else None
    chosen["groups"] = groups[covered] if use_groups else None
    chosen["group_closing"] = closing[covered] if use_groups else None
    return chosen
