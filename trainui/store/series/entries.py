"""Log entries (flat report objects) -> per-key columns of (entry index, value), the shape the
metric blocks store. Whatever a job wrote, only numbers under storable keys become points; the
rest is counted and reported, never an exception."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from ...protocol import NONFINITE_SPELLING, spell_nonfinite
from ..values import text_problem

MAX_KEY_CHARS = 255  # the width of metric_blocks.key


def numeric(value) -> float | None:
    """The value as a float when it is a number (NaN and infinities kept, also as trainui's log
    writer and the API spell them: "NaN", "Infinity", "-Infinity"), else None."""
    kind = type(value)
    if kind is float:
        return value
    if kind is str:
        return NONFINITE_SPELLING.get(value)
    if kind is int or kind is bool:
        try:
            return float(value)
        except OverflowError:  # an integer beyond a double's range
            return math.inf if value > 0 else -math.inf
    return None


def shown_value(value: float) -> float | str:
    """A metric's value for JSON: non-finite numbers become "NaN", "Infinity" or "-Infinity"."""
    if math.isfinite(value):
        return value
    return spell_nonfinite(value)


@dataclass
class Columns:
    points: dict[str, tuple[list[int], list[float]]] = field(default_factory=dict)
    count: int = 0  # entries consumed (non-objects included: they keep their index)
    skipped_keys: set[str] = field(default_factory=set)


def to_columns(entries: list, first_index: int) -> Columns:
    """The hot loop of ingestion (every value of every entry passes here once): floats, the
    common case, are taken as they are; other types go through ``numeric``."""
    out = Columns(count=len(entries))
    points = out.points
    skipped = out.skipped_keys
    index = first_index
    for entry in entries:
        if type(entry) is dict:
            for key, value in entry.items():
                if type(value) is not float:
                    value = numeric(value)
                    if value is None:
                        continue
                column = points.get(key)
                if column is None:
                    if key in skipped or len(key) > MAX_KEY_CHARS or text_problem(key) is not None:
                        skipped.add(key)
                        continue
                    column = points[key] = ([], [])
                column[0].append(index)
                column[1].append(value)
        index += 1
    return out


def skipped_keys_problem(keys: set[str]) -> str | None:
    if not keys:
        return None
    shown = ", ".join(repr(k[:40] + ("..." if len(k) > 40 else "")) for k in sorted(keys)[:3])
    return (f"log: {len(keys)} metric key{'s' if len(keys) != 1 else ''} not stored "
            f"(longer than {MAX_KEY_CHARS} characters, holding NUL or not valid Unicode): {shown}")
