"""What a hostile request or file cannot do through HTTP: a body beyond the limit, script in an
asset served from the dashboard's origin, a token cookie shared by every server on the host, a
Host header that only starts like loopback."""
from __future__ import annotations

import json
import os
import pwd
import socket

import numpy as np
import requests

import trainui
from trainui import protocol

SCRIPT_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/>'
              '<script>fetch("/api/v1/projects",{method:"POST"})</script></svg>')


def result_with_hostile_assets(directory):
    """A real run's result with one PNG, then an svg, an html and a js file listed beside it, as anyone
    who can write into the result directory could."""
    run = trainui.Run(str(directory), args={"lr": 0.1}, progress=False, handle_signals=False)
    run.step(iteration=1, epoch=0)
    run.log({"main/loss": 1.0})
    run.log_image("ok", np.zeros((4, 4, 3), dtype=np.uint8), step=1)
    run.close()
    for name, text in (("evil.svg", SCRIPT_SVG), ("evil.html", "<script>alert(1)</script>"),
                       ("evil.js", "alert(1)"), ("evil.xml", "<a/>")):
        (directory / name).write_text(text)
        line = protocol.AssetRecord(tag=name.split(".")[1], step=1, path=name).to_json()
        with open(directory / protocol.ASSETS_INDEX, "a") as f:
            f.write(json.dumps(line) + "\n")


def test_assets_are_served_inert_and_the_app_allows_no_script_but_its_own(trainui_server, tmp_path):
    result_with_hostile_assets(tmp_path / "p" / "r")
    project = trainui_server.create_project(tmp_path / "p")
    rid = trainui_server.wait_for(lambda: trainui_server.results(project["id"]))[0]["id"]
    assets = trainui_server.wait_for(
        lambda: (lambda a: a if len(a) == 5 else None)(trainui_server.api("GET", f"results/{rid}/assets")[1]["assets"]))
    by_tag = {a["tag"]: a for a in assets}
    for tag, asset in by_tag.items():
        response = requests.get(trainui_server.api_url + asset["url"], timeout=5)
        assert response.status_code == 200, tag
        policy = response.headers["Content-Security-Policy"]
        assert policy.startswith("sandbox") and "script-src" not in policy, tag
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        kind = response.headers["Content-Type"]
        if tag == "ok":
            assert kind == "image/png" and "attachment" not in response.headers.get("Content-Disposition", "")
        else:  # opened, an active type is a download; svg keeps its type so that <img> draws it
            assert "attachment" in response.headers["Content-Disposition"], tag
            assert kind.split(";")[0] == ("image/svg+xml" if tag == "svg" else "application/octet-stream"), (tag, kind)
    page = requests.get(trainui_server.url + f"results/{rid}", timeout=5)
    policy = dict(part.strip().split(" ", 1) for part in page.headers["Content-Security-Policy"].split(";"))
    assert policy["script-src"].split() == ["'self'", "'unsafe-eval'"]  # no inline script, no other origin
    assert policy["object-src"] == "'none'" and page.headers["X-Content-Type-Options"] == "nosniff"


def test_every_body_has_a_limit_checked_before_it_is_read(trainui_server):
    api = trainui_server.api_url
    big = {"path": "x" * (1024 * 1024 + 10)}
    refused = requests.post(api + "projects", json=big, timeout=10)
    assert refused.status_code == 413 and refused.json()["error"] == "too_large"
    assert "at most 1048576 bytes (1 MB)" in refused.json()["message"]
    # the batch endpoint takes more, and says how much, before it asks who is sending
    batch = requests.post(api + "results/1/batches", data=b"{" + b" " * (9 * 1024 * 1024) + b"}",
                          headers={"Content-Type": "application/json"}, timeout=20)
    assert batch.status_code == 413 and "(8 MB)" in batch.json()["message"]
    # a chunked body (no Content-Length) is cut at the same limit
    chunks = (b" " * 65536 for _ in range(40))
    chunked = requests.post(api + "projects", data=chunks, headers={"Content-Type": "application/json"}, timeout=20)
    assert chunked.status_code == 413 and "(1 MB)" in chunked.json()["message"]
    # far beyond every limit, the HTTP server refuses it before keeping any of it
    with socket.create_connection(("127.0.0.1", int(api.split(":")[2].split("/")[0])), timeout=10) as conn:
        conn.sendall(b"POST /api/v1/runs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 943718400\r\n\r\n{")
        assert conn.recv(200).startswith(b"HTTP/1.1 413")
    assert requests.get(api + "projects", timeout=5).status_code == 200


def _port(server) -> str:
    return server.api_url.split(":")[2].split("/")[0]


def test_the_token_cookie_is_one_per_server_and_secure_behind_https(start_server):
    first = start_server(env={"TRAINUI_ADMIN_TOKEN": "first-token-123456"})
    second = start_server(env={"TRAINUI_ADMIN_TOKEN": "second-token-12345"})
    browser = requests.Session()  # keeps cookies by host name, as a browser does (not by port)
    assert browser.get(second.url + "?token=second-token-12345", timeout=5).status_code == 200
    assert browser.get(first.url + "?token=first-token-123456", timeout=5).status_code == 200
    assert {c.name for c in browser.cookies} == {f"trainui_token_{_port(first)}", f"trainui_token_{_port(second)}"}
    assert browser.get(second.api_url + "projects", timeout=5).status_code == 200
    assert browser.get(first.api_url + "projects", timeout=5).status_code == 200
    plain = requests.get(first.url + "?token=first-token-123456", timeout=5)
    assert "secure" not in plain.headers["Set-Cookie"].lower()
    proxied = requests.get(first.url + "?token=first-token-123456", headers={"X-Forwarded-Proto": "https"}, timeout=5)
    assert "; secure" in proxied.headers["Set-Cookie"].lower()


def test_a_host_that_only_starts_like_loopback_is_not_loopback(trainui_server):
    for host in ("[::1]evil.com", "[::1]evil.com:80", "127.0.0.1evil.com", "localhost:80:80"):
        response = requests.get(trainui_server.api_url + "projects", headers={"Host": host}, timeout=5)
        assert response.status_code in (400, 403), host
    assert requests.get(trainui_server.api_url + "projects", headers={"Host": "[::1]:5000"}, timeout=5).status_code == 200


def test_project_paths_that_would_reach_outside_the_projects_are_refused(start_server, tmp_path):
    """``POST /projects {"path": "/"}`` let the server ingest other users' runs through the temp
    folder and /proc/<pid>/root; its own data folder held its database."""
    server = start_server()
    (tmp_path / "runs" / "a").mkdir(parents=True)
    os.symlink("/", tmp_path / "runs" / "to_root")
    refused = ["/", "/proc", "/proc/self/root", "/etc", "/usr/lib", "/tmp", "/home", "/dev",
               str(tmp_path / "runs" / "to_root"), str(server.root), str(tmp_path)]
    refused += [p.pw_dir for p in pwd.getpwall() if p.pw_uid != os.getuid() and p.pw_dir.startswith("/home/")
                and os.path.isdir(p.pw_dir)]
    for path in refused:
        status, body = server.api("POST", "projects", json={"path": path})
        assert status in (400, 403, 422), (path, status, body)
        assert body["message"], path
    assert server.api("GET", "projects")[1]["projects"] == []
    assert server.api("POST", "projects", json={"path": str(tmp_path / "runs" / "a")})[0] == 201

    allowed = tmp_path / "allowed"
    (allowed / "p").mkdir(parents=True)
    rooted = start_server(extra_args=("--projects-root", str(allowed)))
    status, body = rooted.api("POST", "projects", json={"path": str(tmp_path / "runs")})
    assert status in (400, 403, 422) and "--projects-root" in body["message"], body
    assert rooted.api("POST", "projects", json={"path": str(allowed / "p")})[0] == 201
