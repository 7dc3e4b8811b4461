"""Colour by an arg in Chromium: runs with equal values of the arg get equal colours in every chart
(a log scale for a learning rate across decades, a palette for strings), a legend says the mapping,
and the choice is in the link."""
from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from browser_helpers import curve, wait_until, write_result

pytestmark = pytest.mark.slow

RUNS = {"a": (1e-4, "sgd"), "b": (1e-3, "adam"), "c": (1e-3, "sgd"), "d": (1e-1, "adam"), "e": (1e-1, "adam")}


def colours(page, index=0):
    """run id -> the colour of its line(s) in chart `index` (every key of a run has one colour)."""
    found = page.evaluate("""(index) => {
        const plot = document.querySelectorAll('.chart-card .chart-plot')[index];
        if (!plot || !plot.data) return null;
        return plot.data.filter((t) => t.meta && t.meta.role === 'main').map((t) => [t.meta.rid, t.line.color]);
    }""", index)
    if not found:
        return None
    by_run = {}
    for rid, colour in found:
        by_run.setdefault(rid, set()).add(colour)
    return {rid: cs.pop() for rid, cs in by_run.items() if len(cs) == 1}


def test_colour_by_lr_gives_runs_with_equal_lr_equal_colours(trainui_server, page, tmp_path):
    root = tmp_path / "colours"
    for name, (lr, optimizer) in RUNS.items():
        write_result(root / name, {"lr": lr, "optimizer": optimizer}, curve(10, lr))
    project = trainui_server.create_project(root, "colours")
    results = trainui_server.wait_for(lambda: (lambda rs: rs if len(rs) == len(RUNS) and all(
        r["entry_count"] == 10 for r in rs) else None)(trainui_server.results(project["id"])), timeout=20)
    ids = {r["name"]: r["id"] for r in results}
    page.goto(f"{trainui_server.url}projects/{project['id']}?chart=main/loss&chart=main/accuracy")
    wait_until(lambda: colours(page) is not None and len(colours(page)) == len(RUNS))
    own = colours(page)
    assert len(set(own.values())) == len(RUNS)  # each run its own colour
    assert page.locator(".colour-legend").is_hidden()

    page.get_by_label("Colour runs by").select_option("lr")
    wait_until(lambda: colours(page) != own and colours(page) is not None and len(colours(page)) == len(RUNS))
    for index in (0, 1):
        by_lr = colours(page, index)
        assert by_lr[ids["b"]] == by_lr[ids["c"]] and by_lr[ids["d"]] == by_lr[ids["e"]]
        assert len({by_lr[ids[n]] for n in ("a", "b", "d")}) == 3
    legend = page.locator(".colour-legend")
    assert legend.get_attribute("data-kind") == "scale" and "log scale" in legend.inner_text()
    assert "0.0001" in legend.inner_text() or "1e-4" in legend.inner_text()
    assert parse_qs(urlparse(page.url).query)["color"] == ["lr"]
    # the chart's own legend and the table's swatches show the same colours
    swatch = page.locator(f".chart-card .chart-legend .legend-entry[data-rid='{ids['a']}'] .swatch").first
    assert swatch.evaluate("(s) => getComputedStyle(s).backgroundColor") == hex_to_rgb(colours(page)[ids["a"]])
    for name in RUNS:
        row = page.locator(f".results-table tr[data-rid='{ids[name]}'] .swatch")
        assert row.evaluate("(s) => getComputedStyle(s).backgroundColor") == hex_to_rgb(colours(page)[ids[name]])
    assert "null" not in legend.inner_text() and "null" not in page.locator(".chart-card .chart-legend").first.inner_text()

    # The scatter of the sweep takes the same colours.
    by_lr = colours(page)
    page.get_by_role("tab", name="Compare hyperparameters").click()
    page.get_by_label("Comparison view").select_option("scatter")
    plot = page.locator(".compare-plot.js-plotly-plot")
    wait_until(lambda: plot.evaluate("(p) => p.data && p.data[0].type") == "scatter")
    points = plot.evaluate("(p) => p.data[0].text.map((name, i) => [name, p.data[0].marker.color[i]])")
    assert dict(points) == {name: by_lr[ids[name]] for name in RUNS}
    page.get_by_role("tab", name="Charts").click()

    page.get_by_label("Colour runs by").select_option("optimizer")
    wait_until(lambda: (lambda c: c and c[ids["a"]] == c[ids["c"]] and c[ids["b"]] == c[ids["d"]] == c[ids["e"]]
                        and c[ids["a"]] != c[ids["b"]])(colours(page)))
    assert legend.get_attribute("data-kind") == "category"
    assert legend.locator(".legend-entry").all_inner_texts() == ["sgd", "adam"]

    # The link reproduces it; "Run" goes back to each run's own colour.
    page.goto(page.url)
    wait_until(lambda: (lambda c: c and len(c) == len(RUNS) and c[ids["b"]] == c[ids["d"]])(colours(page)))
    assert page.get_by_label("Colour runs by").input_value() == "optimizer"
    page.get_by_label("Colour runs by").select_option("")
    wait_until(lambda: colours(page) == own)
    assert legend.is_hidden() and "color" not in parse_qs(urlparse(page.url).query)
    assert page.recorder.errors == []


def hex_to_rgb(colour: str) -> str:
    n = int(colour[1:], 16)
    return f"rgb({n >> 16 & 255}, {n >> 8 & 255}, {n & 255})"
