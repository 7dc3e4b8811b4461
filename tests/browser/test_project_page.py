"""Project list -> project page, live: traces per result, growth without reload, x key, log
scale, smoothing, table sort/filter/group, hover highlight, zoom, and the view in the URL."""
from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

from browser_helpers import chart_state, curve, logs_answers, wait_until, write_result


def make_project(trainui_server, tmp_path, runs=((0.1, "sgd"), (0.05, "sgd"), (0.01, "adam")), entries=50):
    root = tmp_path / "vision"
    for i, (lr, optimizer) in enumerate(runs):
        write_result(root / f"run{i}", {"lr": lr, "optimizer": optimizer, "batch_size": 32}, curve(entries, lr))
    project = trainui_server.create_project(root, "vision")
    results = trainui_server.wait_for(lambda: (lambda rs: rs if len(rs) == len(runs) and all(
        r["entry_count"] == entries for r in rs) else None)(trainui_server.results(project["id"])), timeout=15)
    return root, project, {r["name"]: r["id"] for r in results}


def table_names(page):
    return page.locator(".results-table tbody tr[data-rid] .run-link").all_text_contents()


def test_project_list_and_live_project_page(trainui_server, page, tmp_path, screenshot):
    root, project, ids = make_project(trainui_server, tmp_path)

    page.goto(trainui_server.url)
    row = page.locator(f'tr[data-pid="{project["id"]}"]')
    row.wait_for()
    assert row.locator("td").nth(2).text_content() == "3"
    screenshot(page, "projects")
    page.get_by_role("link", name="vision").click()
    page.wait_for_url(f"**/projects/{project['id']}**")

    # One trace per result in the loss chart, then the chart grows live without a reload.
    state = wait_until(lambda: (lambda s: s if s and len(s["mains"]) == 3 else None)(chart_state(page, 0)))
    assert {m["rid"] for m in state["mains"]} == set(ids.values())
    assert all(m["key"] == "main/loss" and m["n"] == 50 for m in state["mains"])
    page.evaluate("window.__sameDocument = true")
    write_result(root / "run0", {"lr": 0.1, "optimizer": "sgd", "batch_size": 32}, curve(80, 0.1))
    grown = wait_until(lambda: next((m for m in chart_state(page, 0)["mains"] if m["rid"] == ids["run0"] and m["n"] == 80), None))
    assert grown["lastX"] == 800
    assert page.evaluate("window.__sameDocument") is True, "the page reloaded"
    answers = [a for r in page.recorder.logs_responses() for a in logs_answers(r)]
    incremental = [(rid, since) for rid, answer, since in answers if answer["incremental"]]
    assert incremental, "new points should come from an incremental (since=cursor) request"
    assert {rid for rid, _ in incremental} == {ids["run0"]}, "only the grown result is refetched"
    assert all(since is not None for _, since in incremental)

    # Table: sort by an arg (ascending, then descending), free-text and per-column filters, group by.
    page.locator('button.th-sort[data-column="arg:lr"]').click()
    assert table_names(page) == ["run2", "run1", "run0"]
    page.locator('button.th-sort[data-column="arg:lr"]').click()
    assert table_names(page) == ["run0", "run1", "run2"]
    page.get_by_label("Filter runs").fill("run1")
    wait_until(lambda: table_names(page) == ["run1"])
    page.get_by_label("Filter runs").fill("")
    page.locator('input.input-filter[data-column="arg:lr"]').fill(">0.02")
    wait_until(lambda: table_names(page) == ["run0", "run1"])
    page.locator('input.input-filter[data-column="arg:lr"]').fill("")
    page.get_by_label("Group by arg").select_option("optimizer")
    assert page.locator(".group-row").all_text_contents() == [
        "optimizer = sgd (2)", "optimizer = adam (1)"]
    page.get_by_label("Group by arg").select_option("")

    # Hovering a row highlights that run's line in the chart.
    page.locator(f'tr[data-rid="{ids["run1"]}"] td.col-name').hover()
    wait_until(lambda: {m["rid"]: m["width"] for m in chart_state(page, 0)["mains"]}[ids["run1"]] == 3)

    # ... and hovering a line highlights its row in the table.
    page.locator(".chart-plot").first.scroll_into_view_if_needed()
    x, y = page.evaluate("""(rid) => {
        const plot = document.querySelector('.chart-plot');
        const trace = plot.data.find((t) => t.meta.role === 'main' && t.meta.rid === rid);
        const {xaxis, yaxis, _size} = plot._fullLayout;
        const box = plot.getBoundingClientRect();
        return [box.left + _size.l + xaxis.l2p(trace.x[40]), box.top + _size.t + yaxis.l2p(trace.y[40])]; }""", ids["run2"])
    page.mouse.move(x - 8, y - 8)
    page.mouse.move(x, y, steps=4)
    page.locator(f'tr.row-highlight[data-rid="{ids["run2"]}"]').wait_for()

    # x key, log scale and smoothing; each lands in the URL.
    page.get_by_label("X axis key").select_option("epoch")
    wait_until(lambda: (lambda s: s["xTitle"] == "epoch" and next(
        m for m in s["mains"] if m["rid"] == ids["run0"])["lastX"] == 8)(chart_state(page, 0)))
    page.get_by_role("button", name="Log").click()
    wait_until(lambda: chart_state(page, 0)["yType"] == "log")
    page.get_by_label("Smoothing (EMA weight)").fill("0.8")
    state = wait_until(lambda: (lambda s: s if s["rawOpacity"] else None)(chart_state(page, 0)))
    assert len(state["rawOpacity"]) == 3 and all(o < 0.5 for o in state["rawOpacity"]), "raw lines stay faint beneath"
    query = parse_qs(urlparse(page.url).query)
    assert query["x"] == ["epoch"] and query["scale"] == ["log"] and query["smooth"] == ["0.8"]
    assert query["chart"][0] == "main/loss"

    # Untick a run: it leaves the chart and the URL holds the selection; a reload restores the view.
    page.get_by_label("Chart run2").uncheck()
    wait_until(lambda: len(chart_state(page, 0)["mains"]) == 2)
    page.reload()
    state = wait_until(lambda: (lambda s: s if s and len(s["mains"]) == 2 and s["rawOpacity"] else None)(chart_state(page, 0)))
    assert state["xTitle"] == "epoch" and state["yType"] == "log"
    assert page.get_by_label("X axis key").input_value() == "epoch"
    assert page.get_by_role("button", name="Log").get_attribute("aria-pressed") == "true"

    # Zoom asks the server for the zoomed range.
    page.evaluate("""() => Plotly.relayout(document.querySelector('.chart-plot'), {'xaxis.range': [2, 5]})""")
    wait_until(lambda: any("x_min=" in r.url and "x_max=" in r.url for r in page.recorder.logs_responses()), page=page)
    page.get_by_role("button", name="Reset zoom", exact=True).click()
    page.locator(".chip-zoom").first.wait_for(state="hidden")

    page.get_by_role("button", name="Log").click()
    page.get_by_role("button", name="Linear").click()
    screenshot(page, "project")
    assert page.recorder.errors == []


def test_register_project_from_the_list(trainui_server, page, tmp_path):
    root = tmp_path / "fresh"
    write_result(root / "a", {"lr": 0.1}, curve(5, 0.1))
    page.goto(trainui_server.url)
    page.get_by_text("No projects yet").wait_for()
    page.get_by_label("Project directory").fill(str(tmp_path / "does-not-exist"))
    page.get_by_role("button", name="Register project").click()
    error = page.locator(".form-error")
    error.wait_for()
    assert error.text_content().strip(), "the server's error message is shown"
    page.get_by_label("Project directory").fill(str(root))
    page.get_by_label("Project name").fill("fresh-project")
    page.get_by_role("button", name="Register project").click()
    page.get_by_role("link", name="fresh-project").click()
    page.get_by_role("button", name="Rename project").click()
    page.get_by_label("New project name").fill("renamed-project")
    page.keyboard.press("Enter")
    page.locator("h1", has_text="renamed-project").wait_for()
    assert [p["name"] for p in trainui_server.api("GET", "projects")[1]["projects"]] == ["renamed-project"]
    assert page.recorder.errors == []


def test_rename_and_unregister_restore(trainui_server, page, tmp_path):
    _, project, ids = make_project(trainui_server, tmp_path, runs=((0.1, "sgd"), (0.01, "adam")), entries=10)
    page.goto(f"{trainui_server.url}projects/{project['id']}")
    page.get_by_label("Rename run0").click()
    page.get_by_label("New name for run0").fill("baseline")
    page.keyboard.press("Enter")
    page.get_by_role("link", name="baseline").wait_for()
    assert trainui_server.api("GET", f"results/{ids['run0']}")[1]["result"]["name"] == "baseline"

    page.locator(f'tr[data-rid="{ids["run1"]}"]').get_by_role("button", name="Unregister").click()
    wait_until(lambda: table_names(page) == ["baseline"])
    wait_until(lambda: len(chart_state(page, 0)["mains"]) == 1)
    page.get_by_label("Show unregistered results").check()
    restore = page.locator(f'tr[data-rid="{ids["run1"]}"]').get_by_role("button", name="Restore")
    restore.click()
    wait_until(lambda: len(chart_state(page, 0)["mains"]) == 2)
    assert page.recorder.errors == []


def test_keyboard_and_connection_status(trainui_server, page, tmp_path):
    _, project, _ = make_project(trainui_server, tmp_path, runs=((0.1, "sgd"),), entries=10)
    page.goto(f"{trainui_server.url}projects/{project['id']}")
    page.locator("#connection[data-state='online']").wait_for()
    # "/" jumps to the run filter; the tabs follow the arrow keys.
    page.locator("body").press("/")
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "Filter runs"
    page.get_by_role("tab", name="Charts").focus()
    page.keyboard.press("ArrowRight")
    assert page.get_by_role("tab", name="Compare hyperparameters").get_attribute("aria-selected") == "true"
    assert "tab=compare" in page.url
    # Dark mode: the toggle switches the page and the charts, and is remembered.
    page.get_by_role("tab", name="Charts").click()
    wait_until(lambda: chart_state(page, 0))
    light_bg = page.evaluate("document.querySelector('.chart-plot').layout.paper_bgcolor")
    page.locator("#theme-toggle").click()
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    wait_until(lambda: page.evaluate("document.querySelector('.chart-plot').layout.paper_bgcolor") != light_bg)
    page.reload()
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"

    # The server goes away: the header says so instead of showing stale data as live.
    trainui_server.kill()
    page.locator("#connection[data-state='offline']").wait_for(timeout=10000)
    assert page.recorder.errors == []


def test_columns_export_and_stored_settings(trainui_server, page, tmp_path):
    _, project, ids = make_project(trainui_server, tmp_path, runs=((0.1, "sgd"), (0.01, "adam")), entries=20)
    url = f"{trainui_server.url}projects/{project['id']}"
    page.goto(url)
    wait_until(lambda: (lambda s: s and len(s["mains"]) == 2)(chart_state(page, 0)))

    def headers():
        return [b.get_attribute("data-column") for b in page.locator("thead button.th-sort").all()]

    # Choose and reorder columns from the Columns menu (keyboard-operable buttons).
    assert headers().index("arg:lr") < headers().index("arg:optimizer")
    page.get_by_text("Columns", exact=True).click()
    page.get_by_role("button", name="Move optimizer up").click()
    page.locator(".chooser-row", has_text="batch_size").get_by_role("checkbox").uncheck()
    page.keyboard.press("Escape")
    wait_until(lambda: "arg:batch_size" not in headers() and headers().index("arg:optimizer") < headers().index("arg:lr"))

    # CSV export of the first chart: one row per point, raw values.
    with page.expect_download() as download:
        page.locator(".chart-card").first.locator("summary[aria-label='Export chart']").click()
        page.locator(".chart-card").first.get_by_role("button", name="CSV data").click()
    lines = open(download.value.path()).read().strip().splitlines()
    assert lines[0] == "result_id,result,key,iteration,value"
    assert len(lines) == 1 + 2 * 20

    with page.expect_download() as download:
        page.locator(".chart-card").first.locator("summary[aria-label='Export chart']").click()
        page.locator(".chart-card").first.get_by_role("button", name="SVG image").click()
    assert download.value.suggested_filename.endswith(".svg")
    assert "<svg" in open(download.value.path()).read(2000)

    # A new chart with one key on the left axis and one on the right.
    page.get_by_role("button", name="Add chart").click()
    new_chart = page.locator(".chart-card").last
    new_chart.get_by_label("main/accuracy on the left axis").check()
    new_chart.get_by_label("lr on the right axis").check()
    page.keyboard.press("Escape")
    last = page.locator(".chart-card").count() - 1
    state = wait_until(lambda: (lambda s: s if s and len(s["mains"]) == 4 else None)(chart_state(page, last)))
    assert sorted({m["key"] for m in state["mains"]}) == ["lr", "main/accuracy"]
    assert page.evaluate("(i) => document.querySelectorAll('.chart-plot')[i].data.filter(t => t.meta.key === 'lr').every(t => t.yaxis === 'y2')", last)
    assert "chart=main%2Faccuracy%7Elr" in page.url or "chart=main%2Faccuracy~lr" in page.url

    # Settings persist per project in the browser: a plain link restores columns and view.
    page.get_by_label("X axis key").select_option("epoch")
    page.goto(url)
    wait_until(lambda: chart_state(page, 0) and chart_state(page, 0)["xTitle"] == "epoch")
    assert "arg:batch_size" not in headers()
    assert page.recorder.errors == []
