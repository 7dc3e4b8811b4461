"""Server-level behaviour: live ingestion, restarts and kills, security defaults, sub-paths."""
import json
import os
import signal
import statistics
import time

import pytest
import requests


def append(log_path, entry):
    with open(log_path, "rb+") as f:
        f.seek(-1, 2)
        f.write(b"," + json.dumps(entry).encode() + b"]")


def test_appended_entry_is_visible_fast(trainui_server, tmp_path):
    run = tmp_path / "proj" / "live"
    run.mkdir(parents=True)
    (run / "log").write_text(json.dumps([{"iteration": 0, "loss": 1.0}]))
    project = trainui_server.create_project(tmp_path / "proj")
    trainui_server.wait_for(lambda: trainui_server.results(project["id"]) and
                            trainui_server.results(project["id"])[0]["entry_count"] == 1)
    rid = trainui_server.results(project["id"])[0]["id"]
    delays = []
    for i in range(1, 11):
        append(run / "log", {"iteration": i, "loss": 1.0 / (i + 1)})
        start = time.perf_counter()
        trainui_server.wait_for(lambda: trainui_server.api("GET", f"results/{rid}")[1]["result"]["entry_count"]
                                == i + 1, timeout=5, interval=0.01)
        delays.append(time.perf_counter() - start)
    # The figures with targets live in benchmarks/bench_latency.py; here: it arrives, well within polling.
    assert statistics.median(delays) < 1.0, delays


def test_new_result_directory_and_deleted_one(trainui_server, tmp_path):
    root = tmp_path / "proj"
    root.mkdir()
    project = trainui_server.create_project(root)
    run = root / "later" / "run1"
    run.mkdir(parents=True)
    (run / "log").write_text(json.dumps([{"iteration": 1, "loss": 2.0}]))
    (result,) = trainui_server.wait_for(lambda: trainui_server.results(project["id"]))
    assert result["name"] == os.path.join("later", "run1")
    for f in run.iterdir():
        f.unlink()
    run.rmdir()
    trainui_server.wait_for(lambda: trainui_server.results(project["id"])[0]["missing"])
    assert trainui_server.results(project["id"])[0]["entry_count"] == 1  # nothing lost


def test_sigkill_during_ingest_then_restart_gives_every_entry_once(start_server, tmp_path):
    root = tmp_path / "proj"
    run = root / "big"
    run.mkdir(parents=True)
    n = 200_000
    with open(run / "log", "w") as f:
        f.write("[")
        f.write(",".join(json.dumps({"iteration": i, "loss": i * 0.5, "acc": 1.0}) for i in range(n)))
        f.write("]")
    server_root = tmp_path / "server"
    server = start_server(root=server_root)
    project = server.create_project(root)
    server.wait_for(lambda: server.results(project["id"]) and 0 < server.results(project["id"])[0]["entry_count"],
                    interval=0.005)
    server.kill(signal.SIGKILL)  # in the middle of the ingest
    server.start()
    (result,) = server.wait_for(lambda: [r for r in server.results(project["id"]) if r["entry_count"] == n],
                                timeout=60)
    half = n // 2
    for low in (0, half):
        _, body = server.api("GET", f"results/{result['id']}/logs?keys=loss&max_points={half}"
                                    f"&x_min={low}&x_max={low + half - 1}")
        loss = body["series"]["loss"]
        assert not loss["downsampled"]
        assert loss["x"] == [float(i) for i in range(low, low + half)]  # each entry exactly once, in order
        assert loss["y"][-1] == (low + half - 1) * 0.5


def test_token_required_beyond_loopback(start_server, tmp_path):
    server = start_server(extra_args=("--host", "0.0.0.0", "--token", "s3cret"))
    url = server.url.replace("0.0.0.0", "127.0.0.1")
    assert requests.get(url + "api/v1/projects", timeout=5).status_code == 401
    assert requests.get(url, timeout=5).status_code == 401
    assert requests.get(url + "api/v1/projects", headers={"Authorization": "Bearer s3cret"},
                        timeout=5).status_code == 200
    session = requests.Session()
    assert session.get(url + "?token=s3cret", timeout=5).status_code == 200
    assert session.get(url + "api/v1/projects", timeout=5).status_code == 200  # the cookie carries it


def test_generated_token_is_printed(start_server):
    server = start_server(extra_args=("--host", "0.0.0.0"))
    log = server.log_path.read_text()
    token = log.split("?token=")[1].split()[0]
    url = server.url.replace("0.0.0.0", "127.0.0.1")
    assert len(token) >= 20
    assert requests.get(url + "api/v1/projects", timeout=5).status_code == 401
    assert requests.get(url + f"api/v1/projects?token={token}", timeout=5).status_code == 200


def test_base_url_and_forwarded_prefix(start_server, tmp_path):
    server = start_server(extra_args=("--base-url", "/trainui/"))
    assert server.url.endswith("/trainui/")
    page = requests.get(server.url, timeout=5)
    assert page.status_code == 200 and '"/trainui/' in page.text
    assert requests.get(server.url + "api/v1/projects", timeout=5).status_code == 200
    assert requests.get(server.url + "static/vendor/plotly.min.js", timeout=10).status_code == 200
    root = server.url.rsplit("/trainui/", 1)[0] + "/"
    assert requests.get(root + "api/v1/projects", timeout=5).status_code == 404
    other = start_server()
    page = requests.get(other.url, headers={"X-Forwarded-Prefix": "/proxy"}, timeout=5)
    assert '"/proxy/' in page.text
    spec = requests.get(other.url + "api/v1/openapi.json", headers={"X-Forwarded-Prefix": "/proxy"}, timeout=5)
    assert spec.json()["servers"][0]["url"] == "/proxy/api/v1"


def test_plotly_served_compressed_and_cached(trainui_server):
    response = requests.get(trainui_server.url + "static/vendor/plotly.min.js", timeout=10)
    assert response.status_code == 200 and response.headers["Content-Encoding"] == "gzip"
    assert "max-age" in response.headers["Cache-Control"]
    again = requests.get(trainui_server.url + "static/vendor/plotly.min.js",
                         headers={"If-None-Match": response.headers["ETag"]}, timeout=10)
    assert again.status_code == 304


def test_files_only_from_inside_result_directories(trainui_server, tmp_path):
    root = tmp_path / "proj"
    run = root / "run"
    (run / ".trainui").mkdir(parents=True)
    (run / "log").write_text(json.dumps([{"iteration": 1}]))
    secret = tmp_path / "secret.txt"
    secret.write_text("do not serve")
    (run / "assets").mkdir()
    (run / "assets" / "ok.png").write_bytes(b"\x89PNG fake")
    os.symlink(secret, run / "assets" / "link.png")
    lines = [{"tag": "t", "step": 1, "path": "assets/ok.png"},
             {"tag": "t", "step": 2, "path": "../../secret.txt"},
             {"tag": "t", "step": 3, "path": str(secret)},
             {"tag": "t", "step": 4, "path": "assets/link.png"}]
    (run / ".trainui" / "assets.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    project = trainui_server.create_project(root)
    (result,) = trainui_server.wait_for(lambda: trainui_server.results(project["id"]))
    assets = trainui_server.wait_for(
        lambda: len(trainui_server.api("GET", f"results/{result['id']}/assets")[1]["assets"]) == 4
        and trainui_server.api("GET", f"results/{result['id']}/assets")[1]["assets"])
    codes = {a["step"]: requests.get(trainui_server.api_url + a["url"], timeout=5) for a in assets}
    assert codes[1].status_code == 200 and codes[1].content == b"\x89PNG fake"
    for step in (2, 3, 4):
        assert codes[step].status_code == 404 and b"do not serve" not in codes[step].content
    for path in ("static/../../../etc/passwd", "static/%2e%2e/%2e%2e/etc/passwd"):
        assert b"root:" not in requests.get(trainui_server.url + path, timeout=5).content


def test_out_of_date_schema_is_refused_with_the_fix(tmp_path, start_server):
    import subprocess
    import sys

    db = tmp_path / "old.db"
    url = f"sqlite:///{db}"
    subprocess.run([sys.executable, "-m", "trainui.cli", "db", "upgrade", "--db", url], check=True)
    import sqlite3

    with sqlite3.connect(db) as c:
        c.execute("UPDATE alembic_version SET version_num='0000_older'")
    with pytest.raises(RuntimeError, match="trainui db upgrade"):
        start_server(db_url=url)
    out = subprocess.run([sys.executable, "-m", "trainui.cli", "db", "status", "--db", url],
                         capture_output=True, text=True)
    assert out.returncode == 1 and "out of date" in out.stdout


def test_bad_files_warn_once_and_recover_when_fixed(trainui_server, tmp_path):
    root = tmp_path / "proj"
    good, bad = root / "good", root / "bad"
    good.mkdir(parents=True)
    bad.mkdir()
    (good / "log").write_text(json.dumps([{"iteration": 1, "loss": 1.0}]))
    (bad / "log").write_bytes(b"\x00\x01 not json at all")
    (bad / "args").write_text("[1, 2, 3]")
    project = trainui_server.create_project(root)

    def by_name():
        return {r["name"]: r for r in trainui_server.results(project["id"])}
    trainui_server.wait_for(lambda: by_name().get("good", {}).get("entry_count") == 1
                            and by_name().get("bad", {}).get("ingest_error"))
    assert "not a JSON array" in by_name()["bad"]["ingest_error"]
    time.sleep(1.5)  # several polling passes
    log = trainui_server.log_path.read_text()
    assert log.count("log is not a JSON array") == 1 and log.count("args must be a JSON object") == 1
    (bad / "log").write_text(json.dumps([{"iteration": 5, "loss": 0.25}]))
    (bad / "args").write_text(json.dumps({"lr": 0.5}))
    fixed = trainui_server.wait_for(lambda: by_name()["bad"]["entry_count"] == 1 and by_name()["bad"])
    assert fixed["ingest_error"] is None and fixed["args"] == {"lr": 0.5}
    assert fixed["last_values"] == {"iteration": 5, "loss": 0.25}
