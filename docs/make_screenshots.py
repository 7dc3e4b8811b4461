"""Make the result page screenshots in docs/: a crashed, a killed, a stopped and a live run.

Real jobs (the trainer library, a tiny torch model) write into a temporary project that a real
``trainui server`` reads; Chromium (Playwright) shows each run's result page at 1440x900 and the
screenshot is kept as a palette PNG (a few tens of KB). Run it again after changing the page:

    python docs/make_screenshots.py [--out docs] [--chromium /usr/bin/chromium]
"""
from __future__ import annotations

import argparse
import io
import os
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time

import requests

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIZE = {"width": 1440, "height": 900}
MAX_PNG_BYTES = 200 * 1024

JOB = textwrap.dedent('''
    import math, sys, time
    import torch
    import trainui

    out, kind = sys.argv[1], sys.argv[2]
    torch.manual_seed(0)
    model = torch.nn.Linear(8, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    data, target = torch.randn(256, 8), torch.randn(256, 1)
    with trainui.Run(out, model=model, optimizer=optimizer, args={"lr": 0.05, "batch": 32, "kind": kind},
                     progress=False, flush_interval=0.2) as run:
        print(f"\\x1b[1mtraining {kind}\\x1b[0m: Linear(8, 1), SGD lr=0.05", flush=True)
        for it in range(1, 1_000_000):
            batch = torch.randint(0, 256, (32,))
            loss = torch.nn.functional.mse_loss(model(data[batch]), target[batch])
            optimizer.zero_grad(); loss.backward(); optimizer.step()
            if it % 10 == 0:
                accuracy = 1 - math.exp(-it / 300)
                run.log({"main/loss": loss.item(), "validation/main/accuracy": accuracy}, iteration=it, epoch=it // 100)
                print(f"iter {it:5d}  loss \\x1b[32m{loss.item():.4f}\\x1b[0m  acc {accuracy:.3f}", flush=True)
            if kind == "crashed" and it == 400:
                print("\\x1b[31mwarning: allocation failed, retrying\\x1b[0m", file=sys.stderr, flush=True)
                raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
            if run.step(it):
                break
            time.sleep(0.004)
''')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(REPO, "docs"))
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="trainui-shots-") as tmp:
        server = Server(tmp)
        jobs = {}
        try:
            project = server.post("projects", {"path": os.path.join(tmp, "runs"), "name": "screenshots"})["project"]
            jobs = {kind: start_job(tmp, kind) for kind in ("crashed", "killed", "stopped", "live")}
            ids = {kind: server.wait_for_run(project["id"], kind, lambda r: r["entry_count"] >= 30) for kind in jobs}
            server.wait_for_run(project["id"], "crashed", lambda r: r["status"] == "crashed")
            jobs["killed"].send_signal(signal.SIGTERM)
            server.post(f"results/{ids['stopped']}/commands", {"name": "stop"})
            for kind, status in (("killed", "stopped"), ("stopped", "stopped")):  # SIGTERM: ended when asked
                server.wait_for_run(project["id"], kind, lambda r, s=status: r["status"] == s)
            shoot(server.url, ids, options.out, options.chromium)
        finally:
            for job in jobs.values():
                if job.poll() is None:
                    job.kill()
                job.wait()
            server.stop()


def start_job(tmp: str, kind: str) -> subprocess.Popen:
    script = os.path.join(tmp, "job.py")
    with open(script, "w") as f:
        f.write(JOB)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, (REPO, os.environ.get("PYTHONPATH")))),
               OMP_NUM_THREADS="1")
    return subprocess.Popen([sys.executable, script, os.path.join(tmp, "runs", kind), kind], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def shoot(url: str, ids: dict, out: str, chromium: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True,
                                             args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_context(viewport=SIZE).new_page()
        for kind, result_id in ids.items():
            page.goto(f"{url}results/{result_id}")
            page.locator(".summary").first.wait_for()
            page.locator(".js-plotly-plot").first.wait_for()
            page.wait_for_function("() => (document.querySelector('.console-output') || {}).textContent"
                                   "?.includes('iter')", timeout=30_000)
            page.wait_for_timeout(1500)  # the charts' last paint and the console's jump to its end
            path = os.path.join(out, f"result-{kind}.png")
            save_small(page.screenshot(clip={"x": 0, "y": 0, **SIZE}), path)
            print(f"{path}: {os.path.getsize(path) // 1024} KB")
        browser.close()


def save_small(png: bytes, path: str) -> None:
    """A palette PNG: the page's flat colours survive, the file is a fraction of the size."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT)
    image.save(path, optimize=True)
    if os.path.getsize(path) > MAX_PNG_BYTES:
        raise SystemExit(f"{path} is {os.path.getsize(path)} bytes, more than {MAX_PNG_BYTES}")


class Server:
    """``trainui server`` on a free port with its own data folder, talked to over its API."""

    def __init__(self, tmp: str):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        os.makedirs(os.path.join(tmp, "runs"))
        env = dict(os.environ, TRAINUI_ROOT=os.path.join(tmp, "server"), PYTHONPATH=REPO)
        self.url = f"http://127.0.0.1:{port}/"
        self.proc = subprocess.Popen([sys.executable, "-m", "trainui.cli", "server", "--port", str(port),
                                      "--poll-interval", "0.5"], cwd=REPO, env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.until(lambda: self.get("projects") is not None, "the server to answer")

    def get(self, path: str):
        try:
            answer = requests.get(f"{self.url}api/v1/{path}", timeout=10)
        except requests.ConnectionError:
            return None
        return answer.json() if answer.ok else None

    def post(self, path: str, body: dict) -> dict:
        answer = requests.post(f"{self.url}api/v1/{path}", json=body, timeout=10)
        answer.raise_for_status()
        return answer.json()

    def wait_for_run(self, project_id: int, name: str, ready) -> int:
        def found():
            results = (self.get(f"projects/{project_id}/results") or {}).get("results", [])
            return next((r["id"] for r in results if r["name"] == name and ready(r)), None)

        return self.until(found, f"run {name!r}")

    def until(self, predicate, what: str, timeout: float = 60.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.2)
        raise SystemExit(f"timed out waiting for {what}")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


if __name__ == "__main__":
    main()
