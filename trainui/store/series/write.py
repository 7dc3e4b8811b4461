"""The series' write side: log entries become points appended to packed blocks of (entry index,
value) per key.

A block holds up to BLOCK_SIZE points. Appending touches only the last block of each key, so
adding one point costs O(1) regardless of the series length. Each block keeps summaries of its
points (extremes, per-segment extremes: block_summary), from which charts of any window are
drawn without decoding the series (the read side: read.py).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.orm import Session

from ..models import MetricBlock
from .block_reads import INDEX_DTYPE, VALUE_DTYPE
from .block_summary import BLOCK_SIZE, GROUP_BLOCKS, block_summary_columns, group_summary
from .entries import shown_value, skipped_keys_problem, to_columns


@dataclass
class Appended:
    """What appending entries changed, for the result row that sums the series up."""

    count: int  # entries consumed (non-objects included: they keep their index)
    last_values: dict  # each key that got points -> its last value, as JSON shows it
    problem: str | None  # keys that could not be stored, named; None when every key was


def append_entries(session: Session, result_id: int, entries: list, first_index: int) -> Appended:
    """The write entry point: a result's next log entries, numbered from ``first_index``, stored
    as points of every numeric key (whatever else a job wrote is counted, never an exception)."""
    columns = to_columns(entries, first_index)
    append_points(session, result_id, columns.points)
    # a diverged run says so ("NaN") instead of showing null
    last = {key: shown_value(values[-1]) for key, (_, values) in columns.points.items()}
    return Appended(columns.count, last, skipped_keys_problem(columns.skipped_keys))


def delete_series(session: Session, result_id: int) -> None:
    """Every point of a result: its log was replaced and is read again from the start."""
    session.execute(delete(MetricBlock).where(MetricBlock.result_id == result_id))


def append_points(session: Session, result_id: int, columns: dict[str, tuple[list[int], list[float]]]) -> None:
    """Append points per key; indices must be greater than any stored index of that key.

    Three statements whatever the number of keys: one read of every key's last block, one
    executemany to fill them, one executemany for new blocks.
    """
    columns = {key: col for key, col in columns.items() if col[0]}
    if not columns:
        return
    table = MetricBlock.__table__
    last_no = (select(table.c.key, func.max(table.c.block_no).label("last"))
               .where(table.c.result_id == result_id, table.c.key.in_(list(columns)))
               .group_by(table.c.key).subquery())
    last_blocks = {row.key: row for row in session.execute(
        select(table.c.key, table.c.block_no, table.c.count, table.c.indices, table.c["values"].label("vals"))
        .join(last_no, (table.c.key == last_no.c.key) & (table.c.block_no == last_no.c.last))
        .where(table.c.result_id == result_id))}
    updates, inserts = [], []
    for key, (indices, values) in columns.items():
        new_idx = np.asarray(indices, dtype=INDEX_DTYPE)
        new_val = np.asarray(values, dtype=VALUE_DTYPE)
        last = last_blocks.get(key)
        block_no = 0
        if last is not None:
            block_no = last.block_no + 1
            take = min(BLOCK_SIZE - last.count, len(new_idx))
            if take > 0:
                indices = last.indices + new_idx[:take].tobytes()
                values = last.vals + new_val[:take].tobytes()
                updates.append({"b_result_id": result_id, "b_key": key, "b_block_no": last.block_no,
                                "count": last.count + take, "indices": indices, "values": values,
                                **_summaries(np.frombuffer(indices, INDEX_DTYPE), np.frombuffer(values, VALUE_DTYPE))})
                new_idx, new_val = new_idx[take:], new_val[take:]
        for start in range(0, len(new_idx), BLOCK_SIZE):
            chunk_idx, chunk_val = new_idx[start:start + BLOCK_SIZE], new_val[start:start + BLOCK_SIZE]
            inserts.append({"result_id": result_id, "key": key, "block_no": block_no, "count": len(chunk_idx),
                            "first_index": int(chunk_idx[0]), "indices": chunk_idx.tobytes(),
                            "values": chunk_val.tobytes(), **_summaries(chunk_idx, chunk_val)})
            block_no += 1
    if updates:
        session.execute(
            table.update().where(table.c.result_id == bindparam("b_result_id"), table.c.key == bindparam("b_key"),
                                 table.c.block_no == bindparam("b_block_no"))
            .values(count=bindparam("count"), indices=bindparam("indices"), values=bindparam("values"),
                    min_value=bindparam("min_value"), min_index=bindparam("min_index"),
                    max_value=bindparam("max_value"), max_index=bindparam("max_index"),
                    last_index=bindparam("last_index"), nan_count=bindparam("nan_count"),
                    segments=bindparam("segments")),
            updates)
    if inserts:
        session.execute(table.insert(), inserts)
    _summarise_groups(session, result_id, [(u["b_key"], u["b_block_no"], u["count"]) for u in updates]
                      + [(i["key"], i["block_no"], i["count"]) for i in inserts])


def _summarise_groups(session: Session, result_id: int, written: list[tuple[str, int, int]]) -> None:
    """Blocks that complete a group of GROUP_BLOCKS full blocks get the group's summary, made from
    the group's stored segments (one read of 64 small columns per 65,536 points)."""
    t = MetricBlock.__table__
    closing = [(key, block_no) for key, block_no, count in written
               if count == BLOCK_SIZE and block_no % GROUP_BLOCKS == GROUP_BLOCKS - 1]
    summaries = []
    for key, block_no in closing:
        rows = session.execute(select(t.c.count, t.c.nan_count, t.c.last_index, t.c.segments)
                               .where(t.c.result_id == result_id, t.c.key == key,
                                      t.c.block_no.between(block_no - GROUP_BLOCKS + 1, block_no))
                               .order_by(t.c.block_no)).all()
        if len(rows) < GROUP_BLOCKS or any(r.segments is None for r in rows):
            continue  # a block written before revision 0003 has no segments: the group stays unsummarised
        summaries.append({"b_key": key, "b_block_no": block_no, "group_summary": group_summary(
            [r.segments for r in rows], np.array([r.count for r in rows]), np.array([r.nan_count for r in rows]),
            rows[-1].last_index)})
    if summaries:
        session.execute(t.update().where(t.c.result_id == result_id, t.c.key == bindparam("b_key"),
                                         t.c.block_no == bindparam("b_block_no"))
                        .values(group_summary=bindparam("group_summary")), summaries)


def _summaries(indices: np.ndarray, values: np.ndarray) -> dict:
    """Every summary column of a block: its extremes, and the finer ones of block_summary."""
    return {**_extremes(indices, values), **block_summary_columns(indices, values)}


def _extremes(indices: np.ndarray, values: np.ndarray) -> dict:
    """A block's minimum and maximum with their entry indices; NaN never wins, infinities may."""
    finite_or_nan = np.where(np.isnan(values), np.inf, values)
    if np.isnan(values).all():
        return {"min_value": None, "min_index": None, "max_value": None, "max_index": None}
    low = int(np.argmin(finite_or_nan))
    high = int(np.argmax(np.where(np.isnan(values), -np.inf, values)))
    return {"min_value": _storable(values[low]), "min_index": int(indices[low]),
            "max_value": _storable(values[high]), "max_index": int(indices[high])}


def _storable(value: float) -> float | None:
    """Databases differ on storing infinities; a block whose extreme is infinite is read in full."""
    return float(value) if np.isfinite(value) else None
