"""Deleting runs from the UI: the table's Delete and the result page's, through the app's own
confirmation dialog (it names the run, offers its files, shows the server's refusal), then from
the Python client. Runs written by the real trainer library."""
from __future__ import annotations

import time

import pytest

from browser_helpers import wait_until

torch = pytest.importorskip("torch")

import trainui  # noqa: E402
from trainui.client import ClientError  # noqa: E402


def finished_run(out, iterations=6):
    model = torch.nn.Linear(2, 1)
    with trainui.Run(str(out), args={"lr": 0.1}, model=model, optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
                     progress=False, handle_signals=False) as run:
        for it in range(1, iterations + 1):
            run.log({"main/loss": 1.0 / it}, iteration=it)
            run.step(iteration=it)


def test_delete_runs_from_the_table_the_result_page_and_the_client(trainui_server, page, tmp_path, screenshot):
    root = tmp_path / "proj"
    for name in ("alpha", "beta", "gamma"):
        finished_run(root / name)
    project = trainui_server.create_project(root, "deletes")
    trainui_server.wait_for(lambda: len(trainui_server.results(project["id"])) == 3, timeout=30)
    ids = {r["name"]: r["id"] for r in trainui_server.results(project["id"])}

    page.goto(f"{trainui_server.url}projects/{project['id']}")
    rows = page.locator(".results-table tbody tr[data-rid]")
    wait_until(lambda: rows.count() == 3)

    # Cancelled (Escape): nothing is deleted.
    page.get_by_role("button", name="Delete gamma").click()
    dialog = page.get_by_role("dialog", name="Delete gamma")
    dialog.wait_for()
    page.keyboard.press("Escape")
    dialog.wait_for(state="detached")
    assert rows.count() == 3

    # From the table: without its files the server refuses (the scan would find it again) and the
    # dialog says so; with them, the run and its directory go.
    page.get_by_role("button", name="Delete beta").click()
    dialog = page.get_by_role("dialog", name="Delete beta")
    assert "“beta”" in dialog.locator(".lightbox-title").text_content()
    files = dialog.get_by_label("Also delete its files on disk")
    assert str(root / "beta") in dialog.text_content()
    dialog.get_by_role("button", name="Delete", exact=True).click()
    problem = dialog.get_by_role("alert")
    wait_until(lambda: "still in" in (problem.text_content() or ""))
    assert (root / "beta" / "log").is_file()
    screenshot(page, "delete-dialog-refused")
    files.check()
    dialog.get_by_role("button", name="Delete", exact=True).click()
    dialog.wait_for(state="detached")
    wait_until(lambda: rows.count() == 2)
    assert page.locator(f".results-table tbody tr[data-rid='{ids['beta']}']").count() == 0
    assert not (root / "beta").exists()

    # From the result page: back to the project afterwards.
    page.goto(f"{trainui_server.url}results/{ids['alpha']}")
    page.locator(".summary dd[data-field='status']").filter(has_text="finished").wait_for()
    page.locator(".page-head").get_by_role("button", name="Delete", exact=True).click()
    dialog = page.get_by_role("dialog", name="Delete alpha")
    dialog.get_by_label("Also delete its files on disk").check()
    dialog.get_by_role("button", name="Delete", exact=True).click()
    page.wait_for_url(f"**/projects/{project['id']}")
    wait_until(lambda: rows.count() == 1)
    assert not (root / "alpha").exists()
    assert trainui_server.api("GET", f"results/{ids['alpha']}")[0] == 404
    assert not page.recorder.errors

    # The client: the same refusal, then the delete.
    client = trainui.Client(trainui_server.url)
    with pytest.raises(ClientError) as refused:
        client.delete_result(ids["gamma"])
    assert refused.value.status == 409 and "files=true" in str(refused.value)
    assert client.delete_result(ids["gamma"], files=True)["files_deleted"] is True
    assert client.results("deletes") == [] and not (root / "gamma").exists()
    time.sleep(2.5)  # a polling pass of the ingestion after the deletes (--poll-interval 2)
    server_log = trainui_server.log_path.read_text(errors="replace")
    assert "Traceback" not in server_log and "ERROR" not in server_log, server_log[-3000:]
    assert client.results("deletes") == []  # nothing came back
