"""Hover across runs: at the pointer's x the tooltip lists every run's value there (against the
data), sorted, with colour and name; the line under the pointer is highlighted; the legend is a
line of names above the plot that says how many more there are, never on the plot."""
from __future__ import annotations

from browser_helpers import chart_state, curve, wait_until, write_result

LRS = [0.3, 0.2, 0.1, 0.07, 0.05, 0.03, 0.02, 0.01, 0.007, 0.005, 0.003, 0.002, 0.001, 0.0005]


def make_runs(trainui_server, tmp_path):
    root = tmp_path / "hover"
    data = {}
    for i, lr in enumerate(LRS):
        n = 10 if i in (3, 9) else 40  # two runs stopped early (last iteration 100)
        entries = curve(n, lr)
        write_result(root / f"r{i:02d}", {"lr": lr}, entries)
        data[f"r{i:02d}"] = {e["iteration"]: e["main/loss"] for e in entries}
    project = trainui_server.create_project(root, "hover")
    results = trainui_server.wait_for(lambda: (lambda rs: rs if len(rs) == len(LRS) and all(
        r["entry_count"] in (10, 40) for r in rs) else None)(trainui_server.results(project["id"])), timeout=20)
    return project, {r["name"]: r["id"] for r in results}, data


def pointer_at(page, x, rid):
    """Screen position of the chart's point at data x on run `rid`'s line."""
    return page.evaluate("""([x, rid]) => {
        const plot = document.querySelector('.chart-plot');
        const trace = plot.data.find((t) => t.meta.role === 'main' && t.meta.rid === rid);
        const i = trace.x.indexOf(x);
        const {xaxis, yaxis, _size} = plot._fullLayout;
        const box = plot.getBoundingClientRect();
        return [box.left + _size.l + xaxis.c2p(x), box.top + _size.t + yaxis.c2p(trace.y[i])]; }""", [x, rid])


def test_hover_lists_every_run_at_the_pointer_x_and_names_the_line_under_it(trainui_server, page, tmp_path, screenshot):
    project, ids, data = make_runs(trainui_server, tmp_path)
    names = {rid: name for name, rid in ids.items()}
    page.goto(f"{trainui_server.url}projects/{project['id']}?chart=main/loss")
    wait_until(lambda: (lambda s: s and len(s["mains"]) == len(LRS))(chart_state(page, 0)))
    page.locator(".chart-plot").first.scroll_into_view_if_needed()

    # The pointer on r05's line at iteration 200, and then between lines: every run that reached
    # 200 is listed with its value there, largest first; r03 and r09 stopped at 100.
    target = ids["r05"]
    x, y = pointer_at(page, 200, target)
    page.mouse.move(x - 30, y - 20)
    page.mouse.move(x, y, steps=3)
    tip = page.locator(".chart-card .hover-tip").first
    tip.wait_for()
    rows = wait_until(lambda: (lambda r: r if r and r[0] else None)(tip.evaluate("(t) => JSON.parse(t.dataset.rows)")))
    expected = sorted(((ids[n], v[200]) for n, v in data.items() if 200 in v), key=lambda p: -p[1])
    assert [(rid, yv) for rid, _key, _x, yv in rows] == expected
    assert all(xv == 200 for _rid, _key, xv, _y in rows)
    assert len(rows) == len(LRS) - 2
    shown = tip.locator(".hover-row .hover-name").all_text_contents()
    assert shown == [names[rid] for rid, _ in expected]  # 12 rows fit: all of them, in order
    assert tip.locator(".hover-focus .hover-name").text_content() == "r05"
    assert "null" not in tip.text_content() and "more" not in tip.text_content()  # all rows fit: nothing left out
    colour = tip.locator(".hover-focus .swatch").evaluate("(s) => getComputedStyle(s).backgroundColor")
    trace_colour = page.evaluate("(rid) => document.querySelector('.chart-plot').data.find((t) => t.meta.role === 'main' && t.meta.rid === rid).line.color", target)
    assert colour == page.evaluate("(c) => { const d = document.createElement('i'); d.style.color = c; document.body.append(d); const v = getComputedStyle(d).color; d.remove(); return v; }", trace_colour)
    wait_until(lambda: {m["rid"]: m["width"] for m in chart_state(page, 0)["mains"]}[target] == 3)
    page.locator(f'tr.row-highlight[data-rid="{target}"]').wait_for()
    # The tooltip stays inside the chart.
    body = page.locator(".chart-card .chart-body").first.bounding_box()
    box = tip.bounding_box()
    assert body["x"] <= box["x"] and box["x"] + box["width"] <= body["x"] + body["width"] + 1
    screenshot(page, "hover-across-runs")

    # At x = 50 the early runs are there too, and the pointer far from any line still shows them all.
    x50, _ = pointer_at(page, 50, target)
    plot_box = page.locator(".chart-plot").first.bounding_box()
    page.mouse.move(x50, plot_box["y"] + 30)
    wait_until(lambda: len(tip.evaluate("(t) => JSON.parse(t.dataset.rows)")) == len(LRS))
    rows = tip.evaluate("(t) => JSON.parse(t.dataset.rows)")
    assert [(rid, yv) for rid, _k, _x, yv in rows] == sorted(((ids[n], v[50]) for n, v in data.items()), key=lambda p: -p[1])
    assert page.locator(".chart-plot .hovertext").count() == 0  # plotly's own one-point hover is off

    # Leaving the chart hides the tooltip and the highlight.
    page.mouse.move(5, 5)
    tip.wait_for(state="hidden")

    # The legend: 8 names, "6 more" (their names in its tooltip), above the plot, not on it.
    legend = page.locator(".chart-card .chart-legend").first
    assert legend.locator(".legend-name").all_text_contents() == list(ids)[:8]  # in the page's order of runs
    more = legend.locator(".legend-more")
    assert more.text_content() == "6 more"
    hidden_names = more.get_attribute("title").split(", ")
    assert len(hidden_names) == 6 and set(hidden_names) | set(legend.locator(".legend-name").all_text_contents()) == set(ids)
    lb = legend.bounding_box()
    assert lb["y"] + lb["height"] <= plot_box["y"] + 1
    assert page.recorder.errors == []
