"""`pip install .` (not editable) into a fresh virtualenv gives a working `trainui` outside the checkout:
the wheel carries the migrations and the frontend, and plotly.js is served from the plotly package."""
import json
import os
import re
import site
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parent.parent


def active_site_packages() -> list[str]:
    """The site-packages folders of the interpreter running the tests (a virtualenv, a conda env or
    the system's), so the fresh venv finds the dependencies already installed here, not the base
    interpreter's (what `--system-site-packages` would give from inside a virtualenv)."""
    folders = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"], *site.getsitepackages()}
    if site.ENABLE_USER_SITE and os.path.isdir(site.getusersitepackages()):
        folders.add(site.getusersitepackages())
    return sorted(f for f in folders if os.path.isdir(f))


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    home = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(home)], check=True)
    python = str(home / "bin" / "python")
    purelib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    # A plain path line: the dependencies become importable, but .pth files in those folders (an
    # editable install of this checkout among them) are not run, so `trainui` comes from the wheel.
    Path(purelib, "_test_dependencies.pth").write_text("\n".join(active_site_packages()) + "\n")
    wheels = tmp_path_factory.mktemp("wheels")
    env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            "-w", str(wheels), str(REPO)], capture_output=True, text=True, cwd=wheels, env=env)
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = wheels.glob("trainui-*.whl")
    # The active environment's pip installs into the new venv (which has none of its own).
    out = subprocess.run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "-q", str(wheel)],
                         capture_output=True, text=True, cwd=wheels, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    return home


def test_installed_package_is_self_contained(venv, tmp_path):
    python = str(venv / "bin" / "python")
    where = subprocess.run([python, "-c", "import trainui, trainui.web.pages as p, trainui.store.migrate as m;"
                            "print(trainui.__file__); print(p.frontend_dir()); print(m.migrations_dir())"],
                           capture_output=True, text=True, cwd=tmp_path, check=True).stdout.split()
    assert all(str(venv) in line for line in where), where  # not the checkout

    results = tmp_path / "chainer-results"
    for name in ("lr0.1", "lr0.01"):
        run = results / name
        run.mkdir(parents=True)
        (run / "log").write_text(json.dumps([{"epoch": 1, "iteration": 100, "main/loss": 0.5,
                                              "elapsed_time": 3.2}], indent=4))
        (run / "args").write_text(json.dumps({"lr": float(name[2:]), "batchsize": 32}))
    env = dict(os.environ, TRAINUI_ROOT=str(tmp_path / "root"))
    env.pop("TRAINUI_DB_URL", None)
    trainui = str(venv / "bin" / "trainui")
    created = subprocess.run([trainui, "project", "create", "-d", str(results), "-n", "demo"],
                             capture_output=True, text=True, cwd=tmp_path, env=env)
    assert created.returncode == 0 and "2 results ingested" in created.stdout, created.stderr
    log = open(tmp_path / "server.log", "wb")
    server = subprocess.Popen([trainui, "server", "--port", "0"], cwd=tmp_path, env=env, stdout=log,
                              stderr=subprocess.STDOUT)
    try:
        url = None
        for _ in range(300):
            found = re.findall(r"serving on (http://\S+?/)\s", (tmp_path / "server.log").read_text())
            if found:
                url = found[-1]
                break
            time.sleep(0.1)
        assert url, (tmp_path / "server.log").read_text()
        projects = requests.get(url + "api/v1/projects", timeout=10).json()["projects"]
        assert [p["name"] for p in projects] == ["demo"]
        listed = requests.get(url + f"api/v1/projects/{projects[0]['id']}/results", timeout=10).json()["results"]
        assert {r["args"]["lr"] for r in listed} == {0.1, 0.01}
        assert all(r["last_values"]["main/loss"] == 0.5 for r in listed)
        page = requests.get(url, timeout=10)
        assert page.status_code == 200 and "text/html" in page.headers["Content-Type"] and "<html" in page.text.lower()
        assert requests.get(url + "static/vendor/plotly.min.js", timeout=10).status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_demo_runs_from_the_installed_package(venv, tmp_path):
    """The quickstart job and its data ship inside the wheel: `trainui demo` outside any checkout
    runs its job to the end and the job's run is served."""
    pytest.importorskip("torch")
    python = str(venv / "bin" / "python")
    script = subprocess.run([python, "-c", "from trainui.cli.demo import quickstart_script; print(quickstart_script())"],
                            capture_output=True, text=True, cwd=tmp_path, check=True).stdout.strip()
    assert script.startswith(str(venv)) and script.endswith("trainui/examples/quickstart/train.py"), script
    env = dict(os.environ, TRAINUI_ROOT=str(tmp_path / "root"))
    env.pop("TRAINUI_DB_URL", None)
    env.pop("PYTHONPATH", None)
    log_path = tmp_path / "demo.log"
    demo = subprocess.Popen([str(venv / "bin" / "trainui"), "demo", "--port", "0", "--jobs", "1", "--iterations", "20"],
                            cwd=tmp_path, env=env, stdout=open(log_path, "wb"), stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 120
        while "all demo jobs have ended" not in log_path.read_text():
            assert time.time() < deadline and demo.poll() is None, log_path.read_text()
            time.sleep(0.5)
        said = log_path.read_text()
        assert "finished (0 still running)" in said, said
        url = re.findall(r"watch them at (http://\S+?/)projects/", said)[-1]
        project = requests.get(url + "api/v1/projects", timeout=10).json()["projects"][0]
        deadline = time.time() + 30
        while True:
            listed = requests.get(url + f"api/v1/projects/{project['id']}/results", timeout=10).json()["results"]
            if listed and listed[0]["status"] == "finished" and listed[0]["entry_count"] > 0:
                break
            assert time.time() < deadline, listed
            time.sleep(0.5)
    finally:
        demo.terminate()
        demo.wait(timeout=30)
