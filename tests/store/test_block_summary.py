"""The summaries and the bucketing beneath every chart, against brute force on awkward values."""
from __future__ import annotations

import math

import numpy as np
import pytest

from trainui.store.series.block_summary import SEGMENT_SIZE, block_summary_columns, segment_units, summarize
from trainui.store.series.downsample import grouped_extremes, groups_by_count

AWKWARD = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e308, -1e308, 5e-324])


def awkward_values(rng, n: int) -> np.ndarray:
    values = rng.normal(size=n)
    picks = rng.random(n) < 0.3
    values[picks] = rng.choice(AWKWARD, int(picks.sum()))
    return values


def brute_summary(entries: np.ndarray, values: np.ndarray) -> tuple:
    real = [(v, e) for v, e in zip(values.tolist(), entries.tolist()) if not math.isnan(v)]
    nans = [e for v, e in zip(values.tolist(), entries.tolist()) if math.isnan(v)]
    if not real:
        return (None, None, None, None, nans[0] if nans else -1)
    low = min(v for v, _ in real)
    high = max(v for v, _ in real)
    return (low, next(e for v, e in real if v == low), high, next(e for v, e in real if v == high),
            nans[0] if nans else -1)


@pytest.mark.parametrize("n", [1, 63, 64, 65, 200, 1024])
@pytest.mark.parametrize("seed", range(4))
def test_summaries_of_runs_match_brute_force(n, seed):
    rng = np.random.default_rng(seed)
    values = awkward_values(rng, n)
    entries = np.cumsum(rng.integers(1, 5, n))
    for size in (SEGMENT_SIZE, 7):
        units = summarize(entries, values, size)
        assert units["count"].sum() == n and len(units) == -(-n // size)
        for u, start in enumerate(range(0, n, size)):
            low, low_at, high, high_at, nan_at = brute_summary(entries[start:start + size], values[start:start + size])
            unit = units[u]
            assert unit["first_entry"] == entries[start] and unit["nan_entry"] == nan_at
            if low is None:
                assert math.isnan(unit["min"]) and math.isnan(unit["max"])
            else:
                assert (unit["min"], unit["min_entry"], unit["max"], unit["max_entry"]) == (low, low_at, high, high_at)


def test_an_infinity_tied_with_nan_wins_over_the_nan():
    entries = np.arange(4)
    units = summarize(entries, np.array([np.nan, np.inf, np.inf, np.nan]), 64)
    assert units["min"][0] == np.inf and units["min_entry"][0] == 1 and units["max_entry"][0] == 1
    units = summarize(entries, np.array([np.nan, -np.inf, np.nan, -np.inf]), 64)
    assert units["max"][0] == -np.inf and units["max_entry"][0] == 1 and units["nan_entry"][0] == 0


def test_stored_segments_read_back_as_the_units_they_were():
    rng = np.random.default_rng(9)
    blocks = [(np.arange(s, s + n), awkward_values(rng, n)) for s, n in ((0, 1024), (1024, 1024), (2048, 77))]
    packed = [block_summary_columns(i, v)["segments"] for i, v in blocks]
    assert len(packed[0]) == 16 * 48  # 768 bytes per full block
    units, origin = segment_units(packed, np.array([len(v) for _, v in blocks]))
    expected = np.concatenate([summarize(i, v, SEGMENT_SIZE) for i, v in blocks])
    for name in expected.dtype.names:
        assert np.array_equal(units[name], expected[name], equal_nan=True), name
    assert origin.tolist() == [0] * 16 + [1] * 16 + [2] * 2


@pytest.mark.parametrize("seed", range(6))
def test_grouped_extremes_match_brute_force(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 300))
    low, high = awkward_values(rng, n), awkward_values(rng, n)
    groups = np.sort(rng.integers(0, max(1, n // 5), n))
    arg_low, arg_high = grouped_extremes(low, high, groups)
    assert len(arg_low) == len(np.unique(groups))
    for g, (a, b) in zip(np.unique(groups).tolist(), zip(arg_low.tolist(), arg_high.tolist())):
        members = np.flatnonzero(groups == g)
        assert groups[a] == g and groups[b] == g
        for chosen, values, pick in ((a, low, min), (b, high, max)):
            real = [i for i in members.tolist() if not math.isnan(values[i])]
            if not real:
                assert chosen == members[0]
            else:
                best = pick(values[i] for i in real)
                assert chosen == next(i for i in real if values[i] == best)


def test_groups_hold_about_equal_point_counts():
    counts = np.array([1024] * 10 + [64] * 160 + [5, 1] + [1024] * 10)
    groups = groups_by_count(counts, 10)
    assert (np.diff(groups) >= 0).all() and groups.max() < 10
    per_group = np.bincount(groups, weights=counts)
    assert per_group.max() <= counts.sum() / 10 + 1024  # a group overshoots by at most one run
