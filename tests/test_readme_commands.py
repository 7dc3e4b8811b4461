"""The README's commands, top to bottom, in one fresh clone, *after* `trainui demo` has filled the
database (issue 19: the tour assumed an empty one): the demo, the tour script, `trainui server
results`, the steering block (which finds its result by name), the "Jobs anywhere" block and its
Client block. The only changes: a free port for 5000 and `trainui-host`, and the user's `train.py`
of "Jobs anywhere" is the quickstart, shortened."""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

pytest.importorskip("torch")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "examples"))
from clone_helpers import _shims  # noqa: E402  (python, torchrun, trainui as a user's install has them)


def blocks(readme: str, section: str, language: str) -> list[str]:
    start = readme.index(section)
    end = readme.index("\n## ", start + 1)
    return re.findall(rf"```{language}\n(.*?)```", readme[start:end], re.S)


def commands(block: str) -> list[str]:
    """A block's command lines, comments and blank lines left out, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", "", block)
    return [line for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Clone:
    def __init__(self, tmp_path: Path):
        self.root = tmp_path / "trainui"
        subprocess.run(["git", "clone", "-q", str(REPO), str(self.root)], check=True)
        _shims(tmp_path / "bin")
        self.env = dict(os.environ, TRAINUI_ROOT=str(tmp_path / "home"), PYTHONPATH=str(self.root),
                        PATH=f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}", PYTHONUNBUFFERED="1",
                        OMP_NUM_THREADS="1")
        self.env.pop("TRAINUI_DB_URL", None)
        self.readme = (self.root / "README.md").read_text()
        self.port = free_port()
        self.background: list[subprocess.Popen] = []

    def local(self, text: str) -> str:
        return (text.replace("http://trainui-host:5000", f"http://localhost:{self.port}")
                .replace("localhost:5000", f"localhost:{self.port}"))

    def run(self, script: str, timeout: float = 300) -> subprocess.CompletedProcess:
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=self.root, env=self.env,
                              capture_output=True, text=True, timeout=timeout)
        assert done.returncode == 0, f"{script}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        return done

    def start(self, line: str, log: str) -> subprocess.Popen:
        proc = subprocess.Popen(["bash", "-c", f"exec {line}"], cwd=self.root, env=self.env,
                                stdout=open(self.root / log, "wb"), stderr=subprocess.STDOUT, start_new_session=True)
        self.background.append(proc)
        return proc

    def said(self, log: str) -> str:
        return (self.root / log).read_text(errors="replace")

    def wait_for(self, what, predicate, timeout: float = 120, log: str | None = None):
        deadline = time.time() + timeout
        while not (value := predicate()):
            assert time.time() < deadline, f"{what}\n{self.said(log) if log else ''}"
            time.sleep(0.3)
        return value

    def api(self, path: str):
        return requests.get(f"http://localhost:{self.port}/api/v1/{path}", timeout=10).json()

    def stop_all(self):
        for proc in reversed(self.background):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGINT)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()


def test_the_readme_top_to_bottom_after_the_demo(tmp_path):
    if not shutil.which("curl"):
        pytest.skip("curl is not installed")
    clone = Clone(tmp_path)
    try:
        # "Two commands": everything is installed here already; the demo, with short jobs
        (install,) = blocks(clone.readme, "## Two commands", "bash")[:1]
        assert install.strip().endswith("&& trainui demo")
        demo = clone.start(f"trainui demo --port {clone.port} --iterations 300", "demo.log")
        clone.wait_for("the demo's jobs end", lambda: "all demo jobs have ended" in clone.said("demo.log"),
                       timeout=240, log="demo.log")
        os.killpg(demo.pid, signal.SIGINT)
        assert demo.wait(timeout=30) == 0, clone.said("demo.log")

        # "A short tour": the script, the server on its folder, a job steered by name
        tour = blocks(clone.readme, "## A short tour", "python")[0]
        serve_block, steer_block = blocks(clone.readme, "## A short tour", "bash")
        (clone.root / "tour.py").write_text(tour)
        clone.run("python tour.py")
        (serve_line,) = commands(serve_block)
        clone.start(clone.local(serve_line.split("#")[0].strip()) + f" --port {clone.port}", "server.log")
        clone.wait_for("the server serves", lambda: "trainui serving on" in clone.said("server.log"), log="server.log")
        said = clone.said("server.log")
        assert "project 'results'" in said and ": 1 result" in said, said
        names = {p["name"] for p in clone.api("projects")["projects"]}
        assert names == {"demo", "results"}, names  # the demo's project is there: ids are not 1 and 2

        job_line, *steer_lines = commands(clone.local(steer_block))
        assert job_line.rstrip().split("#")[0].rstrip().endswith("&")
        clone.start(job_line.split("#")[0].strip().rstrip("&"), "job.log")
        steered = clone.run("\n".join(steer_lines) + "\necho ID=$ID", timeout=120).stdout
        result_id = int(re.search(r"ID=(\d+)", steered).group(1))
        result = clone.api(f"results/{result_id}")["result"]
        assert result["name"] == "steered" and result["status"] == "running", result
        assert '"status":"PENDING"' in steered.replace(" ", "")
        command = clone.wait_for("the command is answered", lambda: [
            c for c in clone.api(f"results/{result_id}/commands")["commands"] if c["status"] != "PENDING"],
            log="job.log")[0]
        assert command["status"] == "SUCCESS" and command["iteration"] >= 500 and command["ranks"] == 1, command
        assert command["response"]["hyperparams"][0]["lr"] == 0.01

        # "Jobs anywhere": a project of remote runs, its job token, a torchrun job shipped over HTTP
        anywhere = blocks(clone.readme, "## Jobs anywhere", "bash")[0]
        quickstart = clone.root / "examples" / "quickstart" / "train.py"
        (clone.root / "train.py").write_text(
            f"import runpy, sys\nsys.argv[1:] += ['--iterations', '200', '--no-progress']\n"
            f"runpy.run_path({str(quickstart)!r}, run_name='__main__')\n")
        shipped = clone.run(clone.local(anywhere), timeout=600)
        assert "registered project 'my-project'" in shipped.stdout, shipped.stdout
        runs = clone.api("projects")["projects"]
        remote = next(p for p in runs if p["name"] == "my-project")
        assert [r["name"] for r in clone.api(f"projects/{remote['id']}/results")["results"]] == ["run1"]
        client_block = blocks(clone.readme, "## Jobs anywhere", "python")[0]
        (clone.root / "notebook.py").write_text(clone.local(client_block))
        clone.run("python notebook.py")  # reads the newest run (finished: nothing to steer)
    finally:
        clone.stop_all()
    said = clone.said("server.log") + clone.said("demo.log")
    assert "Traceback" not in said, said
