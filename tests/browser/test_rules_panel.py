"""The Rules tab, with a real job (trainui's trainer library, a tiny torch model): a preset is
backtested on the project's history, saved, fires on the live run's spike, its command answered,
the firing listed with that answer and flagged on the run's chart; then disabled and deleted."""
from __future__ import annotations

import subprocess
import sys
import textwrap

from browser_helpers import wait_until

JOB = textwrap.dedent("""
    import sys, time, pathlib
    import torch
    import trainui
    out, flag = sys.argv[1], pathlib.Path(sys.argv[2])
    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with trainui.Run(out, args={"lr": 0.1}, model=model, optimizer=optimizer, progress=False, flush_every=1,
                     poll_interval=0.05) as run:
        for i in range(1, 100000):
            spike = flag.exists()
            if spike:
                flag.unlink()
            run.log({"main/loss": 1000.0 if spike else 1.0 / i}, iteration=i)
            if run.step(iteration=i):
                break
            time.sleep(0.02)
""")


def test_a_preset_is_backtested_saved_and_fires_on_a_live_run(trainui_server, page, tmp_path):
    import trainui

    root = tmp_path / "rules-project"
    history = trainui.Run(str(root / "history"), args={"lr": 0.1}, progress=False, handle_signals=False)
    for i, loss in enumerate([1.0, 0.5, 0.3, 9.0, 0.3, 0.2], start=1):
        history.log({"main/loss": loss}, iteration=i)
    history.close()
    flag = tmp_path / "spike.flag"
    job = subprocess.Popen([sys.executable, "-c", JOB, str(root / "live"), str(flag)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        project = trainui_server.create_project(root, "rules")
        live = trainui_server.wait_for(lambda: next((r for r in trainui_server.results(project["id"])
                                                     if r["name"] == "live" and r["status"] == "running"), None),
                                       timeout=60)
        page.goto(f"{trainui_server.url}projects/{project['id']}?tab=rules")
        page.wait_for_selector(".rules-panel select option[value='loss-spike']", state="attached")
        assert "No rules yet" in page.locator(".rules-list").inner_text()
        page.select_option(".rules-panel select[aria-label='Preset']", "loss-spike")
        assert page.input_value(".rules-panel input[aria-label='Metric key']") == "main/loss"
        page.fill(".rules-panel input[aria-label='Rule name']", "spike <img src=x onerror=alert(1)>")
        page.get_by_role("button", name="Backtest").click()
        page.wait_for_selector(".rule-preview p")
        preview = page.locator(".rule-preview").inner_text()
        assert "would have fired 1 time(s), on 1 run(s)" in preview and "history: at 4" in preview, preview
        assert trainui_server.api("GET", f"projects/{project['id']}/rules")[1]["rules"] == []  # nothing saved yet

        page.get_by_role("button", name="Save rule").click()
        row = page.locator(".rules-table tbody tr[data-rule]")
        wait_until(lambda: row.count() == 1)
        assert "spike <img src=x onerror=alert(1)>" in row.inner_text()  # shown as text
        assert page.locator(".rules-panel img").count() == 0
        (rule,) = trainui_server.api("GET", f"projects/{project['id']}/rules")[1]["rules"]

        flag.write_text("")  # the live run's loss jumps
        firing = trainui_server.wait_for(lambda: (lambda f: f if f and f[0]["command_status"] not in (None, "PENDING")
                                                  else None)(trainui_server.api("GET", f"rules/{rule['id']}/firings")[1]["firings"]),
                                         timeout=30)[0]
        assert firing["result_id"] == live["id"] and firing["outcome"] == "sent"
        assert firing["command_status"] == "SUCCESS", firing  # the snapshot was taken
        page.reload()
        page.wait_for_selector(".rules-table tbody tr[data-rule]")
        wait_until(lambda: page.locator(".rules-table tbody tr[data-rule] td.num").inner_text() == "1")
        page.get_by_role("button", name="Firings").click()
        listed = wait_until(lambda: (lambda t: t if "run" in t else None)(page.locator(".rule-firings").inner_text()))
        assert f"run {live['id']}" in listed and "sent" in listed and "(SUCCESS)" in listed, listed

        page.goto(f"{trainui_server.url}results/{live['id']}")
        # the firing's flag (merged with its snapshot command's, a few pixels apart, into one)
        page.wait_for_selector(f".chart-card .event-flag[data-events*='firing-{firing['id']}']", state="attached", timeout=20000)

        page.goto(f"{trainui_server.url}projects/{project['id']}?tab=rules")
        page.wait_for_selector(".rules-table tbody tr[data-rule]")
        page.uncheck(".rules-table input[type=checkbox]")
        wait_until(lambda: trainui_server.api("GET", f"rules/{rule['id']}")[1]["rule"]["enabled"] is False)
        delete = page.locator(".rules-table button", has_text="Delete")
        delete.click()
        assert page.locator(".rules-table button", has_text="Really delete?").count() == 1  # a second click deletes
        page.locator(".rules-table button", has_text="Really delete?").click()
        page.wait_for_selector("text=No rules yet")
        assert trainui_server.api("GET", f"rules/{rule['id']}")[0] == 404
        assert page.recorder.errors == []
    finally:
        job.kill()
        job.wait()
