"""A live job's result page: open it from the project, watch it grow, change lr and see the
job's SUCCESS and the new lr, take a snapshot, run the job's own command (its HTML body shown
as text), see an image asset, rename, then stop the job from the UI."""
from __future__ import annotations

from browser_helpers import chart_state, wait_until


def test_live_job_result_page(trainui_server, page, tmp_path, start_job, screenshot):
    root = tmp_path / "live-project"
    root.mkdir()
    start_job(root / "mlp", "--iterations", "200000", "--sleep", "0.01", "--log-every", "10",
              "--image-every", "20", "--lr", "0.05")
    project = trainui_server.create_project(root, "live")
    result = trainui_server.wait_for(lambda: next((r for r in trainui_server.results(project["id"])
                                                   if r["status"] == "running" and r["entry_count"] > 0), None), timeout=60)

    page.goto(f"{trainui_server.url}projects/{project['id']}")
    page.get_by_role("link", name="mlp").click()
    page.wait_for_url(f"**/results/{result['id']}**")
    page.locator(".summary dd[data-field='status']").filter(has_text="running").wait_for()

    # The chart grows while the job runs, without reloading.
    first = wait_until(lambda: (lambda s: s["mains"][0]["n"] if s and s["mains"] else None)(chart_state(page, 0)))
    wait_until(lambda: chart_state(page, 0)["mains"][0]["n"] > first + 5)

    # Adjust lr: the current value is shown, the job answers SUCCESS, the new lr appears.
    current_lr = page.locator(".hp-form td[data-current='lr']")
    wait_until(lambda: current_lr.text_content() == "0.05")
    page.get_by_label("New lr").fill("0.01")
    page.get_by_role("button", name="Apply", exact=True).click()
    done = page.locator(".history-table tbody tr[data-status='SUCCESS']").filter(has_text="adjust_hyperparams")
    done.wait_for(timeout=20000)
    assert "0.01" in done.locator("td.response").text_content()
    wait_until(lambda: current_lr.text_content() == "0.01", timeout=20)
    assert "scale" in done.locator("td.json").first.text_content()  # the body says the meaning it asked for

    # Under an LR scheduler a change scales the schedule (the default) or holds: a choice, explained in a line.
    mode = page.get_by_label("Under an LR scheduler")
    help_line = page.locator(".hp-mode-help")
    assert mode.input_value() == "scale" and "keep their shape" in help_line.text_content()
    mode.select_option("hold")
    assert "no longer moves it" in help_line.text_content()
    page.get_by_label("New lr").fill("0.02")
    page.get_by_role("button", name="Apply", exact=True).click()
    held = page.locator(".history-table tbody tr[data-status='SUCCESS']").filter(has_text="hold")
    held.wait_for(timeout=20000)
    assert "hold" in held.locator("td.json").first.text_content() and "0.02" in held.locator("td.response").text_content()
    wait_until(lambda: current_lr.text_content() == "0.02", timeout=20)
    assert mode.input_value() == "hold"  # the choice stays for the next change

    # A snapshot taken from the UI shows up in the snapshot list.
    page.get_by_role("button", name="Take snapshot").click()
    page.locator(".snapshots-table tbody tr").first.wait_for(timeout=20000)
    assert page.locator(".snapshots-table tbody tr").first.locator("td").first.text_content().startswith("snapshot_iter_")

    # A command scheduled at a later iteration waits for it, then applies there.
    iteration = int(page.locator(".summary dd[data-field='iteration']").text_content())
    page.get_by_label("When to apply").select_option("iteration")
    page.get_by_label("Iteration or epoch").fill(str(iteration + 40))
    page.get_by_role("button", name="Take snapshot").click()
    scheduled = page.locator(".history-table tbody tr", has_text=f"iteration {iteration + 40}")
    scheduled.wait_for()
    scheduled.and_(page.locator("[data-status='SUCCESS']")).wait_for(timeout=20000)
    assert int(scheduled.locator("td").nth(5).text_content().split()[1]) >= iteration + 40
    page.get_by_label("When to apply").select_option("now")

    # The job's own command, with HTML in its body: sent, answered, and the body shown as text.
    page.evaluate("window.__xss = 0")
    evil = '{"note": "<img src=x onerror=window.__xss=1>"}'
    page.get_by_label("Body of evaluate (JSON object)").fill(evil)
    page.locator(".user-command").get_by_role("button", name="Run").click()
    row = page.locator(".history-table tbody tr[data-status='SUCCESS']").filter(has_text="evaluate")
    row.wait_for(timeout=20000)
    assert "<img src=x onerror=window.__xss=1>" in row.locator("td.json").first.text_content()
    assert "validation/main/accuracy" in row.locator("td.response").text_content()

    # Images: the job's asset is shown, by tag, with a step slider.
    image = page.locator(".image-figure[data-tag='hidden_weights'] img")
    image.wait_for()
    wait_until(lambda: page.evaluate("(img) => img.complete && img.naturalWidth > 0", image.element_handle()))
    assert page.get_by_role("slider", name="Step", exact=True).is_visible()

    # Rename to something that looks like HTML: shown as text everywhere.
    page.get_by_role("button", name="Rename result").click()
    page.get_by_label("New result name").fill("<b>renamed</b>")
    page.keyboard.press("Enter")
    page.locator("h1").filter(has_text="<b>renamed</b>").wait_for()
    assert page.locator("h1 b").count() == 0
    assert page.evaluate("window.__xss") == 0
    assert page.locator("img[src='x']").count() == 0
    screenshot(page, "result")

    # Stop from the UI: the job ends and the page says so.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Stop job").click()
    page.locator(".summary dd[data-field='status']").filter(has_text="stopped").wait_for(timeout=30000)
    assert page.get_by_role("button", name="Take snapshot").is_disabled()
    assert page.recorder.errors == []
