"""Start and stop a real `trainui server` for the benchmarks (loopback only)."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent


class Server:
    def __init__(self, root: Path, extra_args=(), repo: Path = REPO):
        """``repo``: the checkout whose code the server runs (another revision for a baseline)."""
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.log = root / "server.log"
        env = dict(os.environ, TRAINUI_ROOT=str(root), TRAINUI_LOG_LEVEL="WARNING", PYTHONPATH=str(repo))
        env.pop("TRAINUI_DB_URL", None)
        self.proc = subprocess.Popen([sys.executable, "-m", "trainui.cli", "server", "--port", "0", *extra_args],
                                     cwd=repo, env=env, stdout=open(self.log, "ab"), stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            found = re.findall(r"serving on (http://\S+?/)\s", self.log.read_text(errors="replace"))
            if found:
                self.url = found[-1]
                self.api = self.url + "api/v1/"
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(self.log.read_text(errors="replace"))

    def peak_rss_mb(self) -> float:
        """VmHWM: the highest resident set size the server process has had."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def get(self, path: str, session=None, **kw):
        return (session or requests).get(self.api + path, timeout=30, **kw)

    def post(self, path: str, json=None):
        return requests.post(self.api + path, json=json, timeout=30)
