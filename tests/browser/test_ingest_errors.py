"""A damaged log is never passed off as a healthy run: the results table flags it and the result
page says where the log stopped parsing and why."""
from __future__ import annotations

import json

from browser_helpers import wait_until


def test_damaged_logs_are_flagged_in_the_table_and_explained_on_the_result_page(trainui_server, page, tmp_path):
    root = tmp_path / "damaged"
    good, middle = root / "good", root / "garbage-in-the-middle"
    for folder in (good, middle):
        folder.mkdir(parents=True)
    (good / "log").write_text(json.dumps([{"iteration": i, "main/loss": 1.0 / i} for i in range(1, 6)]))
    entries = ",".join(json.dumps({"iteration": i, "main/loss": 1.0 / i}) for i in range(1, 4))
    (middle / "log").write_bytes(f"[{entries}, \x00garbage, {{\"iteration\": 9}}]".encode())
    project = trainui_server.create_project(root, "damaged")
    damaged = trainui_server.wait_for(lambda: next((r for r in trainui_server.results(project["id"])
                                                    if r["name"] == middle.name and r["ingest_error"]), None))
    assert damaged["entry_count"] == 3 and "past byte" in damaged["ingest_error"]

    page.goto(f"{trainui_server.url}projects/{project['id']}")
    row = page.locator("tr", has=page.get_by_role("link", name=middle.name))
    flag = row.get_by_role("img", name="Ingest error", exact=False)
    flag.wait_for()
    assert "past byte" in flag.get_attribute("aria-label")
    healthy = page.locator("tr", has=page.get_by_role("link", name="good", exact=True))
    assert healthy.get_by_role("img", name="Ingest error", exact=False).count() == 0

    page.get_by_role("link", name=middle.name).click()
    shown = page.locator(".summary dd[data-field='ingest-error']")
    shown.wait_for()
    wait_until(lambda: "past byte" in shown.text_content() and "3 entries read before it" in shown.text_content())
    assert page.recorder.errors == []
