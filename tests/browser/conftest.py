"""Browser fixtures: headless Chromium driven by Playwright against a real `trainui server`.

The system Chromium is used (`/usr/bin/chromium`); Playwright's own browser download is never
needed. Every page records the responses it got and the errors it raised, so tests can check
what the UI asked the server for and that no script error happened.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
REPO = Path(__file__).resolve().parents[2]

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing (apt-get install -y chromium); browser tests skipped")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"])
        yield browser
        browser.close()


class PageRecorder:
    """The API responses and the script errors of one page."""

    def __init__(self, page):
        self.page = page
        self.responses = []
        self.errors = []  # uncaught script errors: always a bug
        self.console_errors = []  # console.error lines, e.g. a failed request the UI reported
        page.on("response", lambda r: self.responses.append(r) if "/api/v1/" in r.url else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)

    def logs_responses(self):
        return [r for r in self.responses if "/logs" in r.url and r.status == 200]


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(15000)
    page.recorder = PageRecorder(page)
    yield page
    context.close()


@pytest.fixture
def screenshot():
    """screenshot(page, name): a full-page PNG under tests/browser/screenshots/ (not committed)."""
    SCREENSHOTS.mkdir(exist_ok=True)

    def take(page, name):
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def start_job():
    """start_job(out, *extra_args): the quickstart example as a real training subprocess."""
    procs = []

    def start(out: Path, *extra):
        script = REPO / "examples" / "quickstart" / "train.py"
        if not script.is_file():
            pytest.skip("examples/quickstart/train.py is not there yet")
        log = open(Path(out).parent / f"{Path(out).name}.job.log", "ab")
        proc = subprocess.Popen([sys.executable, str(script), "--out", str(out), "--no-progress", *extra],
                                cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
