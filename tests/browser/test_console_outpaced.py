"""A job that prints faster than anyone reads: the Console card follows its last lines (a bounded
number of rows in the page, a dim line saying how much was not shown, lines in order), and
scrolling up or searching brings back every line the page keeps."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from browser_helpers import wait_until

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
FAST = textwrap.dedent('''
    import sys, time
    import trainui

    with trainui.Run(sys.argv[1], progress=False) as run:
        started, i = time.monotonic(), 0
        while time.monotonic() - started < float(sys.argv[2]):
            for _ in range(200):  # about 20,000 lines a second on a quiet machine
                i += 1
                print(f"fast line {i:08d} " + "x" * 40)
            sys.stdout.flush()
            run.log({"main/loss": 1.0 / i}, iteration=i)
            run.step(i)
            time.sleep(0.01)
''')


def numbers(lines: list[str]) -> list[int]:
    return [int(line.split()[2]) for line in lines if line.startswith("fast line ")]


def test_a_job_printing_fast_is_followed_by_its_last_lines_and_scrolling_up_shows_more(trainui_server, page, tmp_path):
    root = tmp_path / "project"
    root.mkdir()
    script = tmp_path / "fast.py"
    script.write_text(FAST)
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1")
    job = subprocess.Popen([sys.executable, str(script), str(root / "fast"), "25"], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        project = trainui_server.create_project(root, "fast")
        result = trainui_server.wait_for(lambda: next((r for r in trainui_server.results(project["id"])
                                                       if r["status"] == "running"), None), timeout=30)
        page.goto(f"{trainui_server.url}results/{result['id']}")
        rows = page.locator(".console-output .console-line")
        wait_until(lambda: "faster than a page can follow" in page.locator(".console-info").text_content(), timeout=30)
        page.wait_for_timeout(1500)  # a poll in that mode
        live = rows.evaluate_all("rows => rows.map(r => r.textContent)")
        assert len(live) <= 200  # the live view keeps a bounded number of rows in the page
        shown = numbers(live)
        assert shown == sorted(shown) and len(set(shown)) == len(shown)  # in order, none twice
        page.locator(".console-output").evaluate("e => { e.scrollTop = 0; }")  # the user scrolls up
        wait_until(lambda: rows.count() > 200)
        every = rows.evaluate_all("rows => rows.map(r => r.textContent)")
        kept = numbers(every)
        assert kept == sorted(kept) and len(kept) > len(shown)
        assert any(line.endswith("not shown: the job prints faster than a page can follow]") for line in every)
        page.locator(".console-search").fill(f"fast line {kept[len(kept) // 2]:08d}")
        wait_until(lambda: page.locator(".console-matches").text_content() == "1 match")
        assert page.recorder.errors == []
    finally:
        job.kill()
        job.wait()
