"""Layout: at 1440x900 the runs table (sticky header, metrics first, args the same in every run
said once, numbers at sensible precision) and the first charts are both on screen; at 390 px
wide nothing scrolls sideways: the projects list, the project page with each menu open, the
result page and its image lightbox."""
from __future__ import annotations

import numpy as np

from browser_helpers import chart_state, curve, wait_until, write_result
from trainui.trainer.images import record_image

LONG_PATH_PART = "a_rather_long_directory_name_that_does_not_break_nicely/" * 3


def make_project(trainui_server, tmp_path, n=30):
    root = tmp_path / LONG_PATH_PART / "layout"
    for i in range(n):
        args = {"lr": 0.1 + 0.2 if i == 0 else 0.001 * (i + 1), "optimizer": "adam" if i % 2 else "sgd",
                "batch_size": 32, "seed": 0}
        write_result(root / f"run-with-a-long-name-{i:02d}", args, curve(15, 0.01 * (i + 1)))
    out = root / "run-with-a-long-name-00"
    for step in (10, 20):
        record_image(str(out), "samples", np.zeros((32, 48), dtype=np.float32) + step / 20, step)
    project = trainui_server.create_project(root, "layout")
    results = trainui_server.wait_for(lambda: (lambda rs: rs if len(rs) == n and all(
        r["entry_count"] == 15 for r in rs) else None)(trainui_server.results(project["id"])), timeout=20)
    return project, {r["name"]: r["id"] for r in results}


def headers(page):
    return [b.get_attribute("data-column") for b in page.locator("thead button.th-sort").all()]


def no_sideways_scroll(page, where):
    widths = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], f"{where}: the page is {widths[0]} px wide in a {widths[1]} px window"


def test_table_and_charts_share_a_laptop_screen(trainui_server, page, tmp_path, screenshot):
    project, ids = make_project(trainui_server, tmp_path)
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{trainui_server.url}projects/{project['id']}")
    wait_until(lambda: (lambda s: s and len(s["mains"]) == len(ids))(chart_state(page, 0)))

    # Metrics first; args that differ next; batch_size and seed (the same everywhere) said once.
    cols = headers(page)
    assert cols[:2] == ["name", "status"]
    first_arg = min(i for i, c in enumerate(cols) if c.startswith("arg:"))
    assert max(i for i, c in enumerate(cols) if c.startswith("metric:")) < first_arg
    assert "arg:batch_size" not in cols and "arg:seed" not in cols and "arg:lr" in cols
    assert page.locator(".same-args").text_content() == "Same in every run: batch_size=32 · seed=0"
    # Numbers at sensible precision: 0.1 + 0.2 shows as 0.3, its full value in the tooltip.
    cell = page.locator(f'tr[data-rid="{ids["run-with-a-long-name-00"]}"] td[data-column="arg:lr"]')
    assert cell.text_content() == "0.3" and cell.get_attribute("title") == "0.30000000000000004"
    assert all(len(t) <= 8 for t in page.locator("td[data-column^='metric:']").all_text_contents())

    # The first chart is on screen below the table.
    chart = page.locator(".chart-card").first.bounding_box()
    assert chart["y"] < 900 - 200, chart

    # The header stays while the table scrolls.
    scroller = page.locator(".results-card .table-scroll")
    scroller.evaluate("(s) => { s.scrollTop = 400; }")
    head = page.locator(".results-table thead th").first.bounding_box()
    box = scroller.bounding_box()
    assert scroller.evaluate("(s) => s.scrollTop") > 0
    assert abs(head["y"] - box["y"]) <= 1, (head, box)
    scroller.evaluate("(s) => { s.scrollTop = 0; }")
    screenshot(page, "layout-1440")
    assert page.recorder.errors == []


def test_nothing_scrolls_sideways_on_a_phone(trainui_server, page, tmp_path, screenshot):
    project, ids = make_project(trainui_server, tmp_path)
    page.set_viewport_size({"width": 390, "height": 844})

    page.goto(trainui_server.url)
    page.locator(f'tr[data-pid="{project["id"]}"]').wait_for()
    no_sideways_scroll(page, "projects list")
    path = page.locator(".projects-table .path").first.bounding_box()
    assert path["width"] >= 120, f"the path breaks per character: {path}"
    screenshot(page, "phone-projects")

    page.goto(f"{trainui_server.url}projects/{project['id']}")
    wait_until(lambda: (lambda s: s and len(s["mains"]) == len(ids))(chart_state(page, 0)))
    no_sideways_scroll(page, "project page")
    menus = page.locator("details.menu")
    count = menus.count()
    assert count >= 4
    for i in range(count):
        menu = menus.nth(i)
        menu.locator("summary").scroll_into_view_if_needed()
        menu.locator("summary").click()
        panel = menu.locator(".menu-panel")
        panel.wait_for()
        box = panel.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390 + 0.5, f"menu {i} sticks out: {box}"
        no_sideways_scroll(page, f"project page, menu {i} open")
        page.keyboard.press("Escape")
        menu.evaluate("(d) => { d.open = false; }")
    screenshot(page, "phone-project")

    rid = ids["run-with-a-long-name-00"]
    trainui_server.wait_for(lambda: len(trainui_server.api("GET", f"results/{rid}/assets")[1]["assets"]) == 2)
    page.goto(f"{trainui_server.url}results/{rid}")
    page.locator(".image-figure[data-tag='samples'] img").wait_for()
    no_sideways_scroll(page, "result page")
    page.get_by_role("button", name="Open samples at step 20 full size").click()
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    box = dialog.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390 + 0.5, f"the lightbox is clipped: {box}"
    for control in dialog.locator("button, input, output").all():
        if control.is_visible():
            b = control.bounding_box()
            assert b["x"] >= box["x"] - 0.5 and b["x"] + b["width"] <= box["x"] + box["width"] + 0.5, f"cut: {b}"
    no_sideways_scroll(page, "lightbox")
    assert page.recorder.errors == []
