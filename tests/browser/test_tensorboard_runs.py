"""A training script that logs with torch's own `SummaryWriter` (and never heard of trainui),
written while a real `trainui server` runs: after each `writer.flush()` its scalars and its image
are in the API and drawn in the browser within a second; the page offers no commands (the API
answers 409), and an event file left truncated is shown as the result's ingest error."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from browser_helpers import wait_until

pytest.importorskip("torch.utils.tensorboard")

# A plain SummaryWriter loop. The test decides when each round is written (a `go-N` file), and the
# script notes the moment its flush returned (`flushed-N`).
JOB = '''
import os, sys, time
import numpy as np
from torch.utils.tensorboard import SummaryWriter

out, rounds = sys.argv[1], int(sys.argv[2])
writer = SummaryWriter(out)
for r in range(1, rounds + 1):
    while not os.path.exists(os.path.join(out, "..", f"go-{r}")):
        time.sleep(0.005)
    for step in range(10 * (r - 1) + 1, 10 * r + 1):
        writer.add_scalar("train/loss", 1.0 / step, step)
        writer.add_scalar("train/accuracy", 1 - 1.0 / step, step)
    writer.add_image("samples/input", np.random.rand(3, 16, 16), 10 * r)
    writer.flush()
    open(os.path.join(out, "..", f"flushed-{r}"), "w").write(repr(time.time()))
writer.close()
'''


def drawn_points(page) -> dict:
    """Points drawn per key, over every chart of the page."""
    return page.evaluate("""() => {
        const out = {};
        for (const plot of document.querySelectorAll('.chart-card .chart-plot')) {
            for (const t of (plot.data || [])) if (t.meta && t.meta.role === 'main') out[t.meta.key] = t.x.length;
        }
        return out;
    }""")


def shown_image_step(page):
    figure = page.locator(".image-figure[data-tag='samples/input']")
    if not figure.count() or not page.evaluate("(img) => img.complete && img.naturalWidth > 0",
                                               figure.locator("img").element_handle()):
        return None
    return int(figure.get_attribute("data-step"))


def test_a_summary_writer_run_is_live_in_the_api_and_the_browser(start_server, db_url, page, tmp_path, screenshot):
    server = start_server(db_url=db_url)
    root = tmp_path / "tb-project"
    run = root / "runs" / "exp1"
    run.mkdir(parents=True)
    project = server.create_project(root, "tb")
    script = tmp_path / "summary_writer_job.py"
    script.write_text(JOB)
    log = open(tmp_path / "job.log", "ab")
    job = subprocess.Popen([sys.executable, str(script), str(run), "3"], stdout=log, stderr=subprocess.STDOUT)
    try:
        (run.parent / "go-1").touch()
        result = server.wait_for(lambda: next((r for r in server.results(project["id"]) if r["entry_count"] == 10),
                                              None), timeout=60)
        rid = result["id"]
        assert result["tensorboard"] is True and result["status"] is None and result["name"] == "runs/exp1"
        page.goto(f"{server.url}results/{rid}")
        wait_until(lambda: drawn_points(page).get("train/loss") == 10, page=page)
        wait_until(lambda: shown_image_step(page) == 10, page=page)

        # Read-only: no command controls, a notice that says why; the API refuses with the reason.
        panel = page.locator(".command-panel")
        assert "takes no commands" in panel.locator(".notice").text_content()
        assert not panel.get_by_role("button", name="Take snapshot").is_visible()
        status, body = server.api("POST", f"results/{rid}/commands", json={"name": "stop"})
        assert status == 409 and "TensorBoard event files" in body["message"]

        for r in (2, 3):
            (run.parent / f"go-{r}").touch()
            flushed = run.parent / f"flushed-{r}"
            wait_until(flushed.exists, timeout=30)
            flushed_at = float(flushed.read_text())
            wait_until(lambda: server.api("GET", f"results/{rid}")[1]["result"]["entry_count"] == 10 * r,
                       timeout=5, interval=0.01)
            in_api = time.time() - flushed_at
            wait_until(lambda: drawn_points(page).get("train/loss") == 10 * r, timeout=5, interval=0.02, page=page)
            drawn = time.time() - flushed_at
            wait_until(lambda: shown_image_step(page) == 10 * r, timeout=5, interval=0.02, page=page)
            shown = time.time() - flushed_at
            assert in_api < 1.0 and drawn < 1.0 and shown < 1.0, (r, in_api, drawn, shown)
        assert job.wait(timeout=30) == 0
        loss = server.api("GET", f"results/{rid}/logs?keys=train/loss&max_points=1000")[1]["series"]["train/loss"]
        assert loss["x"] == list(range(1, 31))
        assets = server.api("GET", f"results/{rid}/assets")[1]["assets"]
        assert [a["step"] for a in assets] == [10, 20, 30]
        screenshot(page, "tensorboard-run")
        assert page.recorder.errors == []

        # The job's event file cut in the middle of a record, as a crash leaves it: surfaced.
        [path] = [p for p in run.iterdir() if "tfevents" in p.name]
        os.truncate(path, path.stat().st_size - 5)
        old = time.time() - 60
        os.utime(path, (old, old))
        error = server.wait_for(lambda: server.api("GET", f"results/{rid}")[1]["result"]["ingest_error"], timeout=10)
        assert f"{path.name} ends in an incomplete record at byte" in error
        shown = page.locator(".summary dd[data-field='ingest-error']")
        shown.wait_for(timeout=10000)
        assert "incomplete record" in shown.text_content()
    finally:
        if job.poll() is None:
            job.kill()
            job.wait()
