"""`pip install .` (not editable) into a fresh virtualenv gives a working `trainui` outside the checkout:
the wheel carries the migrations and the frontend, and plotly.js is served from the plotly package."""
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    home = tmp_path_factory.mktemp("venv")
    # System site-packages provide the dependencies (no download); trainui itself is installed anew.
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(home)], check=True)
    wheels = tmp_path_factory.mktemp("wheels")
    env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            "-w", str(wheels), str(REPO)], capture_output=True, text=True, cwd=wheels, env=env)
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = wheels.glob("trainui-*.whl")
    out = subprocess.run([str(home / "bin" / "pip"), "install", "--no-deps", "-q", str(wheel)],
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
