"""PostgreSQL goes away for 10 s, at the server's start and in the middle of an ingest: once it is
back, every entry is there exactly once, with no restart of trainui."""
from __future__ import annotations

import json
import subprocess
import sys
import time

import requests

N = 200_000


def write_big_log(path, n=N):
    with open(path, "w") as f:
        f.write("[")
        f.write(",".join(json.dumps({"iteration": i, "loss": i * 0.5}) for i in range(n)))
        f.write("]")


def entry_count(server, project_id):
    try:
        status, body = server.api("GET", f"projects/{project_id}/results")
    except requests.RequestException:
        return None
    return body["results"][0]["entry_count"] if status == 200 and body["results"] else None


def test_database_away_at_start_and_mid_ingest(own_postgres, start_server, tmp_path):
    run = tmp_path / "proj" / "big"
    run.mkdir(parents=True)
    write_big_log(run / "log")
    cli = [sys.executable, "-m", "trainui.cli"]
    subprocess.run(cli + ["db", "upgrade", "--db", own_postgres.url], check=True, capture_output=True)
    created = subprocess.run(cli + ["project", "create", "-d", str(tmp_path / "proj"), "--no-ingest",
                                    "--db", own_postgres.url], check=True, capture_output=True, text=True)
    project_id = int(created.stdout.split("(id ")[1].split(")")[0])

    own_postgres.stop()  # away when the server starts
    server_started = {}

    def bring_back_later():
        time.sleep(10)
        own_postgres.start()
        server_started["at"] = time.time()

    import threading
    back = threading.Thread(target=bring_back_later)
    back.start()
    server = start_server(db_url=own_postgres.url, extra_args=("--poll-interval", "0.5"))
    back.join()
    assert "waiting for the database" in server.log_path.read_text()

    # mid-ingest: away again for 10 s while the 200k-entry log is being read
    server.wait_for(lambda: (entry_count(server, project_id) or 0) > 0, timeout=60, interval=0.01)
    own_postgres.stop()
    time.sleep(1)
    status, _ = server.api("GET", f"projects/{project_id}/results")
    assert status == 503  # said plainly, not a 500
    time.sleep(9)
    own_postgres.start()
    server.wait_for(lambda: entry_count(server, project_id) == N, timeout=120, interval=0.2)

    (result,) = server.results(project_id)
    assert result["ingest_error"] is None
    _, body = server.api("GET", f"results/{result['id']}/logs?keys=loss&max_points=100000&x_min=0&x_max=99999")
    loss = body["series"]["loss"]
    assert loss["x"] == [float(i) for i in range(100_000)] and not loss["downsampled"]
    _, body = server.api("GET", f"results/{result['id']}/logs?keys=loss&max_points=100000&x_min=100000&x_max={N}")
    assert body["series"]["loss"]["x"] == [float(i) for i in range(100_000, N)]  # each entry once, in order
    log = server.log_path.read_text()
    assert log.count("the database is unavailable") == 1 and "the database is back" in log
