"""Sweeps: a hyperparameter that spans decades (a learning rate from 1e-4 to 1e-1) is drawn on a
log axis in the scatter and on a log10 scale with decade ticks in the parallel coordinates;
one within a decade stays linear."""
from __future__ import annotations

import math

from browser_helpers import curve, wait_until, write_result


def test_hyperparameters_spanning_decades_get_log_axes(trainui_server, page, tmp_path):
    root = tmp_path / "decades"
    lrs = [1e-4, 3e-4, 1e-3, 1e-2, 1e-1]
    for i, lr in enumerate(lrs):
        write_result(root / f"run{i}", {"lr": lr, "dropout": 0.1 + 0.05 * i}, curve(10, lr))
    project = trainui_server.create_project(root, "decades")
    trainui_server.wait_for(lambda: len(trainui_server.results(project["id"])) == len(lrs))
    page.goto(f"{trainui_server.url}projects/{project['id']}?tab=compare")
    plot = page.locator(".compare-plot.js-plotly-plot")

    page.get_by_label("Comparison view").select_option("scatter")
    page.get_by_label("Arg on the x axis").select_option("lr")
    wait_until(lambda: plot.evaluate("(p) => p._fullLayout.xaxis.type") == "log")
    assert plot.evaluate("(p) => p.data[0].x") == lrs
    page.get_by_label("Arg on the x axis").select_option("dropout")
    wait_until(lambda: plot.evaluate("(p) => p._fullLayout.xaxis.type") == "linear")

    page.get_by_label("Comparison view").select_option("parallel")
    wait_until(lambda: plot.evaluate("(p) => p.data[0].type") == "parcoords")
    dims = plot.evaluate("(p) => p.data[0].dimensions.map((d) => ({label: d.label, values: d.values, ticktext: d.ticktext || null}))")
    lr = next(d for d in dims if d["label"] == "lr")
    assert [round(v, 9) for v in lr["values"]] == [round(math.log10(v), 9) for v in lrs]
    assert lr["ticktext"] == ["1e-4", "1e-3", "1e-2", "1e-1"]
    dropout = next(d for d in dims if d["label"] == "dropout")
    assert dropout["ticktext"] is None and dropout["values"][0] == 0.1
    assert page.recorder.errors == []
