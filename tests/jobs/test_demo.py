"""`trainui demo`: a newcomer's first command starts the dashboard with live jobs."""
import os
import re
import signal
import subprocess
import sys
import time

import pytest
import requests

pytest.importorskip("torch")
pytest.importorskip("sklearn")


def test_demo_serves_live_jobs(tmp_path):
    env = dict(os.environ, TRAINUI_ROOT=str(tmp_path / "root"))
    env.pop("TRAINUI_DB_URL", None)
    log = tmp_path / "demo.log"
    proc = subprocess.Popen([sys.executable, "-m", "trainui.cli", "demo", "--port", "0", "--dir",
                             str(tmp_path / "demo"), "--iterations", "400"], env=env,
                            stdout=open(log, "wb"), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = None
        for _ in range(600):
            found = re.findall(r"serving on (http://\S+?/)\s", log.read_text(errors="replace"))
            if found:
                url = found[-1]
                break
            assert proc.poll() is None, log.read_text()
            time.sleep(0.1)
        assert url, log.read_text()
        (project,) = requests.get(url + "api/v1/projects", timeout=10).json()["projects"]

        def moving():
            results = requests.get(url + f"api/v1/projects/{project['id']}/results", timeout=10).json()["results"]
            return len(results) == 2 and all(r["status"] == "running" and r["entry_count"] > 2 for r in results)
        deadline = time.time() + 90
        while not moving():
            assert time.time() < deadline, log.read_text()
            time.sleep(0.5)
        assert requests.get(url, timeout=10).status_code == 200
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
