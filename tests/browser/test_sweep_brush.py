"""Sweeps in Chromium: brushing an axis of the parallel coordinates filters the runs every chart
draws (until the brush is cleared), and the line under the pointer is named in a tooltip."""
from __future__ import annotations

import math
from urllib.parse import parse_qs, urlparse

import pytest

from browser_helpers import chart_state, curve, wait_until, write_result

pytestmark = pytest.mark.slow

LRS = {"lr-1e-4": 1e-4, "lr-1e-3": 1e-3, "lr-3e-3": 3e-3, "lr-1e-2": 1e-2, "lr-1e-1": 1e-1}


def make_sweep(server, tmp_path):
    root = tmp_path / "sweep"
    for i, (name, lr) in enumerate(LRS.items()):
        write_result(root / name, {"lr": lr, "optimizer": "adam" if i % 2 else "sgd"}, curve(12, lr))
    project = server.create_project(root, "sweep")
    results = server.wait_for(lambda: (lambda rs: rs if len(rs) == len(LRS) and all(
        r["entry_count"] == 12 for r in rs) else None)(server.results(project["id"])), timeout=20)
    return project, {r["name"]: r["id"] for r in results}


def charted(page):
    state = chart_state(page)
    return sorted({m["rid"] for m in state["mains"]}) if state else None


AXIS = """([label, value]) => {
  const p = document.querySelector('.compare-plot');
  const dims = p.data[0].dimensions;
  const i = dims.findIndex((d) => d.label === label);
  const rect = p.querySelectorAll('.y-axis .domain')[i].getBoundingClientRect();
  const lo = Math.min(...dims[i].values), hi = Math.max(...dims[i].values);
  return {x: (rect.left + rect.right) / 2, y: rect.bottom - (value - lo) / (hi - lo) * (rect.bottom - rect.top)};
}"""


def test_the_brush_filters_the_charts_and_lines_are_named(trainui_server, page, tmp_path):
    project, ids = make_sweep(trainui_server, tmp_path)
    page.goto(f"{trainui_server.url}projects/{project['id']}?chart=main/loss&tab=compare")
    plot = page.locator(".compare-plot.js-plotly-plot")
    wait_until(lambda: plot.evaluate("(p) => p.data && p.data[0].type") == "parcoords"
               and page.locator(".compare-plot .y-axis .domain").count() == 3)
    assert page.locator(".brush-note").is_hidden()

    # Brush lr from about 5e-4 to 5e-2 (log10: -3.3 to -1.3), as a user drags along the axis.
    top = page.evaluate(AXIS, ["lr", -1.3])
    bottom = page.evaluate(AXIS, ["lr", -3.3])
    page.mouse.move(top["x"], top["y"])
    page.mouse.down()
    page.mouse.move(bottom["x"], (top["y"] + bottom["y"]) / 2, steps=4)
    page.mouse.move(bottom["x"], bottom["y"], steps=4)
    page.mouse.up()
    constraint = wait_until(lambda: plot.evaluate(
        "(p) => p.data[0].dimensions.find((d) => d.label === 'lr').constraintrange || null"))
    low, high = sorted(constraint if not isinstance(constraint[0], list) else constraint[0])
    inside = sorted(ids[n] for n, lr in LRS.items() if low <= math.log10(lr) <= high)
    assert inside == sorted(ids[n] for n in ("lr-1e-3", "lr-3e-3", "lr-1e-2")), (low, high)
    wait_until(lambda: "3 runs" in page.locator(".brush-note").inner_text())

    # The charts draw only the brushed runs; the compare view still shows every run to brush.
    page.get_by_role("tab", name="Charts").click()
    wait_until(lambda: charted(page) == inside)
    assert page.locator(".results-table tbody tr[data-rid]").count() == len(LRS)

    # The brush is in the link: a reload on the charts draws the brushed runs, before any plot of the sweep.
    query = parse_qs(urlparse(page.url).query)
    (brush,) = query["brush"]
    assert brush.startswith("lr:") and [float(v) for v in brush.split(":")[1:]] == pytest.approx([low, high])
    page.goto(page.url)
    wait_until(lambda: charted(page) == inside)
    assert "3 runs" in page.locator(".brush-note").inner_text()
    page.get_by_role("button", name="Clear brush").click()
    wait_until(lambda: charted(page) == sorted(ids.values()))
    assert page.locator(".brush-note").is_hidden() and "brush" not in parse_qs(urlparse(page.url).query)

    # The line under the pointer is named: halfway between the first two axes, on run lr-1e-2's line.
    page.get_by_role("tab", name="Compare hyperparameters").click()
    wait_until(lambda: plot.evaluate("(p) => !p.data[0].dimensions.some((d) => d.constraintrange)")
               and page.locator(".compare-plot .y-axis .domain").count() == 3)
    labels = plot.evaluate("(p) => p.data[0].dimensions.map((d) => d.label)")
    row = plot.evaluate("(p) => p.data[0].dimensions[0].values")
    index = sorted(ids.values()).index(ids["lr-1e-2"])
    first = page.evaluate(AXIS, [labels[0], row[index]])
    second_values = plot.evaluate("(p) => p.data[0].dimensions[1].values")
    second = page.evaluate(AXIS, [labels[1], second_values[index]])
    page.mouse.move((first["x"] + second["x"]) / 2, (first["y"] + second["y"]) / 2)
    tip = page.locator(".parcoords-tip")
    wait_until(lambda: tip.is_visible() and tip.get_attribute("data-rid") == str(ids["lr-1e-2"]))
    assert "lr-1e-2" in tip.inner_text() and "lr: 0.01" in tip.inner_text()
    assert page.locator(".results-table tr.row-highlight").get_attribute("data-rid") == str(ids["lr-1e-2"])
    page.mouse.move(5, 5)
    wait_until(lambda: tip.is_hidden())
    assert page.locator(".results-table tr.row-highlight").count() == 0

    # The scatter names the point under the pointer (Plotly's hover, with the run's name).
    page.get_by_label("Comparison view").select_option("scatter")
    page.get_by_label("Arg on the x axis").select_option("lr")
    wait_until(lambda: plot.evaluate("(p) => p.data[0].type") == "scatter")
    assert sorted(plot.evaluate("(p) => p.data[0].text")) == sorted(LRS)
    assert page.recorder.errors == []
