"""Each condition against a brute-force answer over recorded series: the engine is fed the series
in random batches (as entries arrive), the reference looks at the whole prefix at every point."""
import math
import random

import pytest

from trainui.store.rules.conditions import feed, number
from trainui.store.rules.definition import check_rule
from trainui.store.errors import Invalid

NAN, INF = float("nan"), float("inf")


def series(seed, n=400, nan_rate=0.05, ties=True):
    rng = random.Random(seed)
    out = []
    for i in range(n):
        r = rng.random()
        if r < nan_rate:
            out.append(rng.choice([NAN, INF, -INF]))
        elif ties and r < 0.3 and out:
            out.append(out[-1])  # a tie with the point before
        else:
            out.append(round(rng.uniform(0, 10) / (1 + i / 50), 2))
    return out


def fired_by_engine(condition, values, seed=0):
    """Where the engine fires, fed in random batches with the state carried between them."""
    rng = random.Random(seed)
    points = [(i, float(i), v) for i, v in enumerate(values)]
    state, fired, start = {}, [], 0
    while start < len(points):
        end = start + rng.randint(1, 40)
        state, triggers = feed(condition, state, points[start:end])
        fired += [t.entry for t in triggers]
        start = end
    return fired


def edges(flags):
    """The brute force of "fires where it becomes true": true here, false (or absent) at the point before."""
    return [i for i, (index, on) in enumerate(flags) if on and (i == 0 or not flags[i - 1][1])]


def finite_points(values):
    return [(i, v) for i, v in enumerate(values) if math.isfinite(v)]


@pytest.mark.parametrize("seed", range(8))
def test_nan_fires_once_per_stretch_of_non_finite_values(seed):
    values = series(seed, nan_rate=0.15)
    condition = {"kind": "nan", "key": "loss", "x": "iteration"}
    flags = [(i, not math.isfinite(v)) for i, v in enumerate(values)]
    assert fired_by_engine(condition, values, seed) == [flags[k][0] for k in edges(flags)]
    assert fired_by_engine(condition, values, seed)  # the series has NaNs: it did fire


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("kind,threshold,count", [("above", 3.0, 1), ("above", 2.0, 3), ("below", 1.0, 4)])
def test_threshold_for_k_consecutive_points(seed, kind, threshold, count):
    values = series(seed)
    condition = {"kind": kind, "key": "loss", "x": "iteration", "threshold": threshold, "count": count}
    finite = finite_points(values)
    beyond = [(v > threshold) if kind == "above" else (v < threshold) for _, v in finite]
    flags = [(finite[k][0], k + 1 >= count and all(beyond[k - count + 1:k + 1])) for k in range(len(finite))]
    expected = [flags[k][0] for k in edges(flags)]
    assert fired_by_engine(condition, values, seed) == expected


@pytest.mark.parametrize("seed", range(8))
def test_spike_over_the_running_minimum(seed):
    values = series(seed)
    condition = {"kind": "spike", "key": "loss", "x": "iteration", "factor": 3.0}
    finite = finite_points(values)
    flags = []
    for k, (index, v) in enumerate(finite):
        before = [u for _, u in finite[:k]]
        flags.append((index, bool(before) and min(before) > 0 and v > 3.0 * min(before)))
    expected = [flags[k][0] for k in edges(flags)]
    assert fired_by_engine(condition, values, seed) == expected


@pytest.mark.parametrize("seed", range(8))
def test_spike_as_a_z_score_over_a_window(seed):
    values = series(seed)
    for i in range(60, len(values), 97):
        values[i] = 50.0  # spikes worth finding
    condition = {"kind": "spike", "key": "loss", "x": "iteration", "zscore": 3.0, "window": 10}
    finite = finite_points(values)
    flags = []
    for k, (index, v) in enumerate(finite):
        window = [u for _, u in finite[max(0, k - 10):k]]
        spiking = False
        if len(window) == 10:
            mean = sum(window) / 10
            std = math.sqrt(sum((u - mean) ** 2 for u in window) / 10)
            spiking = (v - mean) / std > 3.0 if std > 0 else v > mean
        flags.append((index, spiking))
    expected = [flags[k][0] for k in edges(flags)]
    assert expected and fired_by_engine(condition, values, seed) == expected


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("patience,min_delta,mode", [(0, 0.0, "min"), (3, 0.0, "min"), (5, 0.1, "min"),
                                                     (4, 0.05, "max")])
def test_plateau_fires_where_reduce_lr_on_plateau_would_lower_the_lr(seed, patience, min_delta, mode):
    torch = pytest.importorskip("torch")
    values = series(seed, nan_rate=0.0)
    condition = {"kind": "plateau", "key": "val", "x": "iteration", "patience": patience, "min_delta": min_delta,
                 "mode": mode}
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode=mode, factor=0.5, patience=patience,
                                                           threshold=min_delta, threshold_mode="abs", cooldown=0,
                                                           min_lr=0.0, eps=0.0)
    reference = []
    for i, v in enumerate(values):
        before = optimizer.param_groups[0]["lr"]
        scheduler.step(v)
        if optimizer.param_groups[0]["lr"] < before:
            reference.append(i)
    assert reference, "the series has plateaus"
    assert fired_by_engine(condition, values, seed) == reference


def test_a_plateau_that_ends_exactly_at_patience_does_not_fire():
    condition = {"kind": "plateau", "key": "v", "x": "iteration", "patience": 3, "min_delta": 0.0, "mode": "min"}
    # best 1.0, then 3 points without improvement (= patience), then an improvement: no firing
    assert fired_by_engine(condition, [1.0, 1.0, 1.2, 1.0, 0.5]) == []
    # one more point without improvement (4 > patience) fires, at that point
    assert fired_by_engine(condition, [1.0, 1.0, 1.2, 1.0, 1.1, 0.5]) == [4]


def test_log_values_are_read_as_numbers_the_way_the_store_reads_them():
    assert math.isnan(number("NaN")) and number("Infinity") == INF and number("-Infinity") == -INF
    assert number(True) is None and number("12") is None and number(None) is None and number(3) == 3.0


@pytest.mark.parametrize("bad,word", [
    ({}, "name"),
    ({"name": "x", "condition": {"kind": "nan"}, "action": {"kind": "stop"}}, "condition.key"),
    ({"name": "x", "condition": {"kind": "median", "key": "l"}, "action": {"kind": "stop"}}, "condition.kind"),
    ({"name": "x", "condition": {"kind": "above", "key": "l"}, "action": {"kind": "stop"}}, "threshold"),
    ({"name": "x", "condition": {"kind": "above", "key": "l", "threshold": NAN}, "action": {"kind": "stop"}}, "finite"),
    ({"name": "x", "condition": {"kind": "spike", "key": "l", "factor": 0.5}, "action": {"kind": "stop"}}, "factor"),
    ({"name": "x", "condition": {"kind": "spike", "key": "l", "factor": 2, "zscore": 3}, "action": {"kind": "stop"}},
     "either"),
    ({"name": "x", "condition": {"kind": "plateau", "key": "l", "patience": -1}, "action": {"kind": "stop"}},
     "patience"),
    ({"name": "x", "condition": {"kind": "nan", "key": "l"}, "action": {"kind": "adjust_hyperparams"}}, "set"),
    ({"name": "x", "condition": {"kind": "nan", "key": "l"},
      "action": {"kind": "adjust_hyperparams", "multiply": {"lr": 0}}}, "lr"),
    ({"name": "x", "condition": {"kind": "nan", "key": "l"}, "action": {"kind": "launch"}}, "action.kind"),
    ({"name": "x", "condition": {"kind": "nan", "key": "l"}, "action": {"kind": "stop"}, "cooldown": {"hours": 1}},
     "cooldown"),
    ({"name": "x", "condition": {"kind": "nan", "key": "l"}, "action": {"kind": "stop"}, "colour": 1}, "colour"),
])
def test_a_bad_definition_gets_one_clear_message(bad, word):
    with pytest.raises(Invalid, match=word):
        check_rule(bad)
