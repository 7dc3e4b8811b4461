"""The result page's Console card, driven by real jobs: a crashed job's last lines and traceback,
ANSI colours as coloured spans, a carriage-return progress bar folded to its last state, search,
and a running job's new lines arriving live."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from browser_helpers import wait_until

REPO = Path(__file__).resolve().parents[2]
JOB = REPO / "tests" / "trainer" / "jobs" / "console_job.py"


def job(out: Path, *args) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1")
    return subprocess.Popen([sys.executable, str(JOB), "--out", str(out), *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def lines_of(page) -> list[str]:
    return page.locator(".console-output .console-line").evaluate_all("rows => rows.map(r => r.textContent)")


def test_a_crashed_job_shows_its_last_console_lines_with_colours_and_folded_progress(trainui_server, page, tmp_path):
    root = tmp_path / "project"
    crashed = job(root / "crash", "--crash", "--lines", "1500")
    crashed.communicate(timeout=90)
    assert crashed.returncode == 1
    project = trainui_server.create_project(root, "console")
    result = trainui_server.wait_for(lambda: next((r for r in trainui_server.results(project["id"])
                                                   if r["status"] == "crashed"), None))

    page.goto(f"{trainui_server.url}results/{result['id']}")
    output = page.locator(".console-card .console-output")
    wait_until(lambda: "RuntimeError: deliberate crash on rank 0" in output.text_content())
    lines = lines_of(page)
    assert lines[-1] == "RuntimeError: deliberate crash on rank 0"
    assert "last line of rank 0" in lines and "line 1499 of rank 0" in lines
    assert len(lines) <= 1000  # the last lines first, not the whole file
    assert "the last 1000 lines" in page.locator(".console-info").text_content()
    # the traceback is at the end, jump to end shows it
    page.get_by_role("button", name="Jump to end").click()
    wait_until(lambda: page.locator(".console-output").evaluate(
        "el => el.scrollTop + el.clientHeight >= el.scrollHeight - 4"))
    # search highlights
    page.get_by_label("Search the console").fill("DELIBERATE")
    mark = page.locator(".console-output mark.console-match")
    wait_until(lambda: mark.count() >= 1)
    assert mark.first.text_content() == "deliberate"
    assert page.locator(".console-matches").text_content() == f"{mark.count()} match" + ("es" if mark.count() > 1 else "")
    assert page.recorder.errors == []
    assert page.evaluate("window.__console_xss") is None


def test_the_progress_bar_is_folded_and_hostile_markup_stays_text(trainui_server, page, tmp_path):
    root = tmp_path / "project"
    done = job(root / "short")
    done.communicate(timeout=90)
    assert done.returncode == 0
    project = trainui_server.create_project(root, "console")
    result = trainui_server.wait_for(lambda: next((r for r in trainui_server.results(project["id"])
                                                   if r["status"] == "finished"), None))
    page.goto(f"{trainui_server.url}results/{result['id']}")
    wait_until(lambda: "last line of rank 0" in page.locator(".console-output").text_content())
    lines = lines_of(page)
    # colours are spans with classes; the escape codes are gone
    assert page.locator(".console-output span.ansi-c1").first.text_content() == "red"
    assert page.locator(".console-output span.ansi-c2.ansi-bold").first.text_content() == "bold green"
    assert "rank 0 on fd 2 red bold green" in lines and "\x1b" not in "".join(lines)
    assert "loading 100%" in lines
    assert not any("loading 0%" in line or "loading 50%" in line for line in lines)
    assert '<b>not bold</b> <img src=x onerror="window.__console_xss=1">' in lines
    assert page.locator(".console-output img, .console-output b").count() == 0
    assert page.evaluate("window.__console_xss") is None
    assert page.recorder.errors == []


def test_a_running_job_prints_and_the_page_follows(trainui_server, page, tmp_path):
    root = tmp_path / "project"
    live = job(root / "live", "--wait")
    try:
        for line in live.stdout:
            if line.strip() == "ready":
                break
        project = trainui_server.create_project(root, "console")
        result = trainui_server.wait_for(lambda: next((r for r in trainui_server.results(project["id"])
                                                       if r["status"] == "running"), None))
        page.goto(f"{trainui_server.url}results/{result['id']}")
        wait_until(lambda: "ready" in lines_of(page))
        seen = max(int(line.split()[1]) for line in lines_of(page) if line.startswith("tick "))
        wait_until(lambda: f"tick {seen + 5}" in lines_of(page))  # printed after the page opened
        live.send_signal(signal.SIGTERM)
        live.wait(timeout=30)
        wait_until(lambda: page.locator(".summary dd[data-field='status']").text_content() == "stopped", timeout=20)
        shown = [line for line in lines_of(page) if line.startswith("tick ")]
        assert shown == sorted(set(shown), key=lambda line: int(line.split()[1]))  # each once, in order
        assert all(r.status == 200 for r in page.recorder.responses if "/console" in r.url)
    finally:
        if live.poll() is None:
            live.kill()
    assert page.recorder.errors == []
