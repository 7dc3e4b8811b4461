"""The live page at work: new points are appended to the drawn traces (no redraw), the results
table patches the rows that changed (the others are the same DOM nodes), runs that start after
a selection was ticked join the charts, and points keep arriving while a chart is zoomed (the
zoom stays)."""
from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from browser_helpers import chart_state, curve, wait_until, write_result

ARGS = {"lr": 0.1, "optimizer": "sgd"}


def make_project(server, root, names, entries=30):
    for i, name in enumerate(names):
        write_result(root / name, {**ARGS, "seed": i}, curve(entries, 0.1 / (i + 1)))
    project = server.create_project(root, root.name)
    results = server.wait_for(lambda: (lambda rs: rs if len(rs) == len(names) and all(
        r["entry_count"] == entries for r in rs) else None)(server.results(project["id"])), timeout=20)
    return project, {r["name"]: r["id"] for r in results}


def card_counts(page, index=0):
    return page.evaluate("(i) => { const c = document.querySelectorAll('.chart-card')[i]; return [+c.dataset.reacts, +c.dataset.extends]; }", index)


def test_points_are_appended_and_rows_patched(trainui_server, page, tmp_path):
    root = tmp_path / "grow"
    project, ids = make_project(trainui_server, root, ["run0", "run1"])
    page.goto(f"{trainui_server.url}projects/{project['id']}")
    wait_until(lambda: (lambda s: s and len(s["mains"]) == 2)(chart_state(page, 0)))
    # Mark the DOM nodes on screen: a patched table keeps them, a rebuilt one would not.
    page.evaluate("""() => {
        for (const tr of document.querySelectorAll('.results-table tr[data-rid]')) tr.__kept = true;
        document.querySelector('.chart-card .chart-plot').__kept = true;
    }""")
    reacts, extends = card_counts(page)

    for n in (34, 38, 42):  # the job writes a few times; Chainer rewrites its whole log each time
        write_result(root / "run0", {**ARGS, "seed": 0}, curve(n, 0.1))
        wait_until(lambda: next(m for m in chart_state(page, 0)["mains"] if m["rid"] == ids["run0"])["n"] == n)
    assert card_counts(page)[0] == reacts, "appending points must not redraw the chart"
    assert card_counts(page)[1] > extends
    assert next(m for m in chart_state(page, 0)["mains"] if m["rid"] == ids["run1"])["n"] == 30

    # The changed row shows the new last value; both rows are the nodes that were on screen.
    last = trainui_server.api("GET", f"results/{ids['run0']}")[1]["result"]["last_values"]["main/loss"]
    cell = page.locator(f'tr[data-rid="{ids["run0"]}"] td[data-column="metric:main/loss"]')
    wait_until(lambda: abs(float(cell.text_content()) - last) <= abs(last) * 1e-3)
    kept = page.evaluate("() => [...document.querySelectorAll('.results-table tr[data-rid]')].map((tr) => [+tr.dataset.rid, !!tr.__kept])")
    assert dict(kept) == {ids["run0"]: True, ids["run1"]: True}, "rows are patched in place, not rebuilt"
    assert page.evaluate("() => document.querySelector('.chart-card .chart-plot').__kept") is True
    assert page.recorder.errors == []


def test_runs_started_later_join_the_selection(trainui_server, page, tmp_path):
    root = tmp_path / "later"
    project, ids = make_project(trainui_server, root, ["run0", "run1", "run2"])
    page.goto(f"{trainui_server.url}projects/{project['id']}")
    wait_until(lambda: (lambda s: s and len(s["mains"]) == 3)(chart_state(page, 0)))

    # Untick one run: the others stay charted and the URL lists the hidden run.
    page.get_by_label("Chart run1").uncheck()
    wait_until(lambda: {m["rid"] for m in chart_state(page, 0)["mains"]} == {ids["run0"], ids["run2"]})
    assert parse_qs(urlparse(page.url).query)["hide"] == [str(ids["run1"])]
    # A run that starts now is charted at once.
    write_result(root / "run3", {**ARGS, "seed": 3}, curve(10, 0.05))
    page.get_by_label("Chart run3").wait_for(timeout=20000)
    rid3 = next(r["id"] for r in trainui_server.results(project["id"]) if r["name"] == "run3")
    wait_until(lambda: rid3 in {m["rid"] for m in chart_state(page, 0)["mains"]})
    assert page.get_by_label("Chart run3").is_checked()

    # "Chart none", then tick one run: only that run; a run that starts now joins it.
    page.get_by_role("button", name="Chart none").click()
    wait_until(lambda: not chart_state(page, 0)["mains"])
    page.get_by_label("Chart run2").check()
    wait_until(lambda: {m["rid"] for m in chart_state(page, 0)["mains"]} == {ids["run2"]})
    write_result(root / "run4", {**ARGS, "seed": 4}, curve(10, 0.05))
    page.get_by_label("Chart run4").wait_for(timeout=20000)
    rid4 = next(r["id"] for r in trainui_server.results(project["id"]) if r["name"] == "run4")
    wait_until(lambda: {m["rid"] for m in chart_state(page, 0)["mains"]} == {ids["run2"], rid4})
    assert sorted(parse_qs(urlparse(page.url).query)["runs"][0].split(",")) == sorted([str(ids["run2"]), str(rid4)])
    assert not page.get_by_label("Chart run0").is_checked()
    assert page.recorder.errors == []


def test_live_points_arrive_while_zoomed(trainui_server, page, tmp_path):
    root = tmp_path / "zoomed"
    project, ids = make_project(trainui_server, root, ["run0"], entries=50)
    page.goto(f"{trainui_server.url}projects/{project['id']}")
    wait_until(lambda: (lambda s: s and len(s["mains"]) == 1)(chart_state(page, 0)))
    page.evaluate("() => Plotly.relayout(document.querySelector('.chart-plot'), {'xaxis.range': [100, 200]})")
    page.locator(".chip-zoom").filter(has_text="full detail").first.wait_for()
    before = chart_state(page, 0)["mains"][0]

    write_result(root / "run0", {**ARGS, "seed": 0}, curve(60, 0.1))
    state = wait_until(lambda: (lambda m: m if m["lastX"] == 600 else None)(chart_state(page, 0)["mains"][0]))
    assert state["n"] == before["n"] + 10
    x_range = page.evaluate("() => document.querySelector('.chart-plot')._fullLayout.xaxis.range")
    assert [round(v) for v in x_range] == [100, 200], "the zoom stays while points arrive"
    assert page.locator(".chip-zoom").first.is_visible()
    page.get_by_role("button", name="Reset zoom", exact=True).click()
    page.locator(".chip-zoom").first.wait_for(state="hidden")
    wait_until(lambda: page.evaluate("() => document.querySelector('.chart-plot')._fullLayout.xaxis.range[1]") >= 600)
    assert page.recorder.errors == []


def test_a_posted_command_shows_at_once(trainui_server, page, tmp_path, start_job):
    root = tmp_path / "cmd"
    root.mkdir()
    start_job(root / "mlp", "--iterations", "200000", "--sleep", "0.05", "--log-every", "10", "--image-every", "0")
    project = trainui_server.create_project(root, "cmd")
    result = trainui_server.wait_for(lambda: next((r for r in trainui_server.results(project["id"])
                                                   if r["status"] == "running"), None), timeout=60)
    page.goto(f"{trainui_server.url}results/{result['id']}")
    page.get_by_label("New lr").wait_for()
    wait_until(lambda: not page.get_by_role("button", name="Take snapshot").is_disabled())
    requests_before = len([r for r in page.recorder.responses if r.url.endswith("/commands")])
    page.get_by_role("button", name="Take snapshot").click()
    # The command is in the history as soon as the server stored it, before any poll.
    pending = page.locator(".history-table tbody tr").filter(has_text="take_snapshot")
    pending.wait_for(timeout=5000)
    page.locator(".history-table tbody tr[data-status='SUCCESS']").filter(has_text="take_snapshot").wait_for(timeout=20000)
    polls = len([r for r in page.recorder.responses if r.url.endswith("/commands") and r.request.method == "GET"])
    assert polls > requests_before, "the answer came from looking again at the commands"
    assert page.recorder.errors == []


def test_webgl_charts_of_many_runs_append_too(trainui_server, page, tmp_path):
    """Charts of more than 24 lines use WebGL where it is fast; the software renderer here is
    declared fast for the test, so the scattergl path (and its live appends) runs."""
    root = tmp_path / "many"
    names = [f"run{i:02d}" for i in range(26)]
    project, ids = make_project(trainui_server, root, names, entries=20)
    page.add_init_script("localStorage.setItem('trainui.webgl', JSON.stringify('fast'))")
    page.goto(f"{trainui_server.url}projects/{project['id']}?chart=main%2Floss")
    state = wait_until(lambda: (lambda s: s if s and len(s["mains"]) == 26 else None)(chart_state(page, 0)), timeout=60)
    assert {m["type"] for m in state["mains"]} == {"scattergl"}
    assert page.locator(".chart-card").first.get_attribute("data-gl") == "true"
    reacts, extends = card_counts(page)
    write_result(root / "run07", {**ARGS, "seed": 7}, curve(25, 0.1 / 8))
    wait_until(lambda: next(m for m in chart_state(page, 0)["mains"] if m["rid"] == ids["run07"])["n"] == 25, timeout=30)
    assert card_counts(page)[0] == reacts and card_counts(page)[1] > extends
    assert page.recorder.errors == []
