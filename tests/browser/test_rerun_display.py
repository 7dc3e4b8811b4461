"""Issue 19 in the browser: a result whose directory was deleted is shown as missing in the results
table (live, without a reload) and on its result page, not as the status it last had; a project
registered inside a registered one shows on the projects page the count the CLI printed."""
from __future__ import annotations

import shutil

from browser_helpers import curve, wait_until, write_result


def test_a_deleted_result_directory_is_shown_as_missing(trainui_server, page, tmp_path):
    root = tmp_path / "runs"
    write_result(root / "kept", {"lr": 0.1}, curve(10, 0.1))
    write_result(root / "deleted", {"lr": 0.2}, curve(10, 0.2))
    project = trainui_server.create_project(root, "runs")
    results = trainui_server.wait_for(lambda: (lambda rs: {r["name"]: r for r in rs} if len(rs) == 2 else None)(
        trainui_server.results(project["id"])), timeout=20)
    kept, deleted = results["kept"]["id"], results["deleted"]["id"]
    page.goto(f"{trainui_server.url}projects/{project['id']}")
    status_cell = lambda rid: page.locator(f'tr[data-rid="{rid}"] td[data-column="status"]')  # noqa: E731
    status_cell(deleted).wait_for()
    assert "missing" not in status_cell(deleted).inner_text()

    shutil.rmtree(root / "deleted")
    trainui_server.wait_for(lambda: trainui_server.api("GET", f"results/{deleted}")[1]["result"]["missing"], timeout=20)
    status_cell(deleted).locator(".badge-missing").wait_for(timeout=15000)  # the open table follows
    assert status_cell(deleted).inner_text().strip() == "missing"
    assert "gone from disk" in status_cell(deleted).locator(".badge").get_attribute("title")
    assert status_cell(kept).locator(".badge-missing").count() == 0

    page.reload()
    status_cell(deleted).locator(".badge-missing").wait_for()

    page.goto(f"{trainui_server.url}results/{deleted}")
    page.locator(".badge-missing").first.wait_for()
    summary = page.locator('dd[data-field="status"]')
    summary.wait_for()
    assert summary.inner_text().startswith("missing: the directory is gone from disk"), summary.inner_text()
    assert page.locator(".summary-item.flagged dd[data-field='status']").count() == 1

    page.goto(f"{trainui_server.url}results/{kept}")
    wait_until(lambda: page.locator('dd[data-field="status"]').count() == 1)
    assert not page.locator('dd[data-field="status"]').inner_text().startswith("missing")
    assert page.locator(".badge-missing").count() == 0
    assert page.recorder.errors == []


def test_the_projects_page_shows_the_count_a_nested_registration_left(trainui_server, page, tmp_path):
    nest = tmp_path / "nest"
    write_result(nest / "ex" / "run1", {"lr": 0.1}, curve(5, 0.1))
    write_result(nest / "other", {"lr": 0.2}, curve(5, 0.2))
    outer = trainui_server.create_project(nest, "outer")
    trainui_server.wait_for(lambda: len(trainui_server.results(outer["id"])) == 2, timeout=20)
    inner = trainui_server.create_project(nest / "ex", "inner")
    assert inner["result_count"] == 1
    page.goto(trainui_server.url)
    for name, count in (("outer", 1), ("inner", 1)):
        row = page.locator("tr", has=page.locator("a.project-link", has_text=name)).first
        row.wait_for()
        assert row.locator("td").nth(2).inner_text().strip() == str(count), row.inner_text()
    assert page.recorder.errors == []
