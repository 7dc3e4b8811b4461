"""Grouped curves: with the table grouped by an arg, "Group curves" draws one line per group, the
mean of its runs at every x over their min-max band (checked against the data), and back."""
from __future__ import annotations

import statistics
from urllib.parse import parse_qs, urlparse

from browser_helpers import chart_state, curve, wait_until, write_result

RUNS = {"a0": (0.1, "adam"), "a1": (0.05, "adam"), "a2": (0.02, "adam"), "s0": (0.3, "sgd"), "s1": (0.01, "sgd")}


def test_group_curves_draw_mean_and_band_per_group(trainui_server, page, tmp_path):
    root = tmp_path / "groups"
    data = {}
    for name, (lr, opt) in RUNS.items():
        entries = curve(20, lr)
        write_result(root / name, {"lr": lr, "optimizer": opt}, entries)
        data[name] = {e["iteration"]: e["main/loss"] for e in entries}
    project = trainui_server.create_project(root, "groups")
    trainui_server.wait_for(lambda: len(trainui_server.results(project["id"])) == len(RUNS))
    page.goto(f"{trainui_server.url}projects/{project['id']}?chart=main/loss")
    wait_until(lambda: (lambda s: s and len(s["mains"]) == len(RUNS))(chart_state(page, 0)))
    button = page.get_by_role("button", name="Group curves")
    assert button.is_disabled()  # nothing to group by yet

    page.get_by_label("Group by arg").select_option("optimizer")
    button.click()
    wait_until(lambda: sorted(m["rid"] for m in chart_state(page, 0)["mains"]) == ["adam", "sgd"])
    traces = page.evaluate("""() => document.querySelector('.chart-plot').data.map((t) => ({rid: t.meta.rid, role: t.meta.role, x: t.x, y: t.y}))""")
    for group in ("adam", "sgd"):
        members = [data[n] for n, (_, opt) in RUNS.items() if opt == group]
        xs = sorted(members[0])
        by_role = {t["role"]: t for t in traces if t["rid"] == group}
        assert by_role["main"]["x"] == xs
        for i, x in enumerate(xs):
            values = [m[x] for m in members]
            assert abs(by_role["main"]["y"][i] - statistics.fmean(values)) < 1e-12
            assert by_role["band-low"]["y"][i] == min(values) and by_role["band-high"]["y"][i] == max(values)
    assert page.locator(".chart-card .legend-name").all_text_contents() == ["optimizer=adam", "optimizer=sgd"]
    query = parse_qs(urlparse(page.url).query)
    assert query["grouped"] == ["1"] and query["group"] == ["optimizer"]

    # The query still decides which runs go into the groups.
    page.get_by_label("Filter runs").fill("lr<0.2")
    wait_until(lambda: next(t for t in page.evaluate("() => document.querySelector('.chart-plot').data.map((t) => ({rid: t.meta.rid, role: t.meta.role, y: t.y}))")
                            if t["rid"] == "sgd" and t["role"] == "main")["y"][0] == data["s1"][10])
    page.get_by_label("Filter runs").fill("")

    button.click()
    wait_until(lambda: len(chart_state(page, 0)["mains"]) == len(RUNS))
    assert page.recorder.errors == []
