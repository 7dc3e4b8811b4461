"""Saved views in Chromium: a view of the project page (a selection, a zoom, a group) is saved from
the Views menu, survives a server restart, and its link (and the menu) reproduce it exactly in a
browser whose own last settings say otherwise; it is renamed and deleted from the menu too."""
from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from browser_helpers import chart_state, curve, wait_until, write_result

pytestmark = pytest.mark.slow

RUNS = {"sweep-a": (0.1, "adam"), "sweep-b": (0.03, "sgd"), "sweep-c": (0.01, "adam"), "base-a": (0.05, "sgd"),
        "base-b": (0.003, "adam")}


def make_project(server, tmp_path):
    root = tmp_path / "views"
    for name, (lr, optimizer) in RUNS.items():
        write_result(root / name, {"lr": lr, "optimizer": optimizer}, curve(40, lr))
    project = server.create_project(root, "views")
    results = server.wait_for(lambda: (lambda rs: rs if len(rs) == len(RUNS) and all(
        r["entry_count"] == 40 for r in rs) else None)(server.results(project["id"])), timeout=20)
    return project, {r["name"]: r["id"] for r in results}


def charted(page):
    state = chart_state(page)
    return sorted({m["rid"] for m in state["mains"]}) if state else None


def x_range(page):
    return page.evaluate("() => { const p = document.querySelector('.chart-card .chart-plot');"
                         " return p && p.layout && !p.layout.xaxis.autorange ? p.layout.xaxis.range : null; }")


def drag_zoom(page, start=0.3, end=0.6):
    """Drag across the plot as a user zooms (mostly sideways: an x-only zoom)."""
    box = page.locator(".chart-card .chart-plot .nsewdrag").first.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * start, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * (start + end) / 2, y + 2, steps=5)
    page.mouse.move(box["x"] + box["width"] * end, y + 3, steps=5)
    page.mouse.up()


def open_menu(page):
    menu = page.locator("details.views-menu")
    if not menu.evaluate("(d) => d.open"):
        menu.locator("summary").click()
    return menu


def test_a_saved_view_survives_a_restart_and_its_link_restores_it_exactly(trainui_server, page, browser, tmp_path):
    project, ids = make_project(trainui_server, tmp_path)
    pid = project["id"]
    page.goto(f"{trainui_server.url}projects/{pid}?chart=main/loss")
    wait_until(lambda: charted(page) == sorted(ids.values()))

    # The selection (a query), a group and a zoom, each made as a user makes it.
    page.get_by_label("Filter runs").fill("name~sweep")
    want = sorted(ids[n] for n in RUNS if n.startswith("sweep"))
    wait_until(lambda: charted(page) == want)
    page.get_by_label("Group by arg").select_option("optimizer")
    drag_zoom(page)
    wait_until(lambda: x_range(page) is not None and "zoom" in parse_qs(urlparse(page.url).query))
    zoom = x_range(page)
    assert 0 < zoom[0] < zoom[1] < 400  # (iterations 10 to 400)

    menu = open_menu(page)
    menu.get_by_label("Name of the view to save").fill("sweep runs by optimizer")
    menu.get_by_role("button", name="Save view").click()
    wait_until(lambda: menu.locator(".views-row").count() == 1)
    status, body = trainui_server.api("GET", f"projects/{pid}/views")
    (saved,) = body["views"]
    _, body = trainui_server.api("GET", f"projects/{pid}/views/{saved['id']}")
    state = body["view"]["state"]
    assert (saved["name"], state["q"], state["group"]) == ("sweep runs by optimizer", "name~sweep", "optimizer")
    assert state["charts"][0]["left"] == ["main/loss"] and state["charts"][0]["zoom"] == pytest.approx(zoom)

    trainui_server.stop()
    trainui_server.start()

    # Another browser, whose own last view of the project is different (all runs, no group, no zoom).
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    other = context.new_page()
    other.set_default_timeout(15000)
    errors = []
    other.on("pageerror", lambda e: errors.append(str(e)))
    other.goto(f"{trainui_server.url}projects/{pid}?chart=main/accuracy")
    wait_until(lambda: charted(other) == sorted(ids.values()))
    assert other.get_by_label("Group by arg").input_value() == ""

    other.goto(f"{trainui_server.url}projects/{pid}?view={saved['id']}")
    expect_restored(other, want, zoom)

    # The menu opens it too, from a page showing something else.
    other.goto(f"{trainui_server.url}projects/{pid}?chart=main/accuracy&q=")
    other.get_by_label("Filter runs").fill("")
    other.get_by_label("Group by arg").select_option("")
    wait_until(lambda: charted(other) == sorted(ids.values()))
    open_menu(other).get_by_role("link", name="sweep runs by optimizer").click()
    expect_restored(other, want, zoom)
    assert errors == []
    context.close()


def expect_restored(page, want, zoom):
    wait_until(lambda: charted(page) == want and x_range(page) is not None)
    assert x_range(page) == pytest.approx(zoom)
    assert page.get_by_label("Group by arg").input_value() == "optimizer"
    assert page.get_by_label("Filter runs").input_value() == "name~sweep"
    assert chart_state(page)["mains"][0]["key"] == "main/loss"
    query = parse_qs(urlparse(page.url).query)
    assert query["group"] == ["optimizer"] and query["chart"] == ["main/loss"] and "view" not in query
    wait_until(lambda: "full detail" in page.locator(".chart-card .chip-zoom").inner_text())


def test_views_are_renamed_and_deleted_from_the_menu_and_a_missing_one_is_said(trainui_server, page, tmp_path):
    project, ids = make_project(trainui_server, tmp_path)
    pid = project["id"]
    for name in ("first", "second"):
        assert trainui_server.api("POST", f"projects/{pid}/views", json={"name": name, "state": {"q": name}})[0] == 201
    page.goto(f"{trainui_server.url}projects/{pid}?chart=main/loss")
    menu = open_menu(page)
    wait_until(lambda: menu.locator(".views-row").count() == 2)

    # A name taken already is refused, and said in the menu.
    menu.get_by_label("Name of the view to save").fill("first")
    menu.get_by_role("button", name="Save view").click()
    wait_until(lambda: "exists already" in menu.locator(".views-status").inner_text())
    assert menu.locator(".views-row").count() == 2

    menu.get_by_role("button", name='Rename "first"').click()
    edit = menu.get_by_label("New name of the view")
    edit.fill("renamed")
    edit.press("Enter")
    wait_until(lambda: sorted(v["name"] for v in trainui_server.api("GET", f"projects/{pid}/views")[1]["views"])
               == ["renamed", "second"])

    delete = menu.get_by_role("button", name='Delete "second"')
    delete.click()
    assert delete.inner_text() == "Confirm delete"  # one click alone deletes nothing
    assert len(trainui_server.api("GET", f"projects/{pid}/views")[1]["views"]) == 2
    delete.click()
    wait_until(lambda: [v["name"] for v in trainui_server.api("GET", f"projects/{pid}/views")[1]["views"]] == ["renamed"])
    wait_until(lambda: menu.locator(".views-row").count() == 1)

    page.goto(f"{trainui_server.url}projects/{pid}?view=9999")
    wait_until(lambda: "Saved view not found" in page.locator("body").inner_text())
    assert f"project {pid} has no saved view 9999" in page.locator("body").inner_text()
    assert page.recorder.errors == []
