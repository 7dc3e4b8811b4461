"""Trust at the edges, against a real server: results filed in the right project, a loopback API
that other web sites cannot drive, concurrent writes that conflict cleanly."""
from __future__ import annotations

import json
import threading
import time

import requests

from trainui.store.projects import owner_of


def write_run(directory, n=3):
    directory.mkdir(parents=True)
    (directory / "log").write_text(json.dumps([{"iteration": i, "loss": 1.0 / i} for i in range(1, n + 1)]))


def names(server, project_id):
    return sorted(r["name"] for r in server.results(project_id))


def test_owner_is_decided_by_whole_path_components_and_the_innermost_project():
    projects = {1: "/x/run", 2: "/x/run2", 3: "/x/run/inner"}
    assert owner_of("/x/run2/a", projects) == (2, "/x/run2")
    assert owner_of("/x/run/a", projects) == (1, "/x/run")
    assert owner_of("/x/run/inner/a", projects) == (3, "/x/run/inner")
    assert owner_of("/x/run", projects) == (1, "/x/run")
    assert owner_of("/x/ru", projects) is None and owner_of("/x/run2x/a", projects) is None


def test_sibling_projects_sharing_a_name_prefix_never_swallow_each_other(trainui_server, tmp_path):
    run, run2 = tmp_path / "X" / "run", tmp_path / "X" / "run2"
    write_run(run / "before")
    run2.mkdir(parents=True)
    p_run = trainui_server.create_project(run, "run")
    p_run2 = trainui_server.create_project(run2, "run2")
    trainui_server.wait_for(lambda: names(trainui_server, p_run["id"]) == ["before"])
    write_run(run2 / "a")  # created while the server runs: file events and polling both see it
    write_run(run2 / "deep" / "b")
    write_run(run / "c")
    trainui_server.wait_for(lambda: names(trainui_server, p_run2["id"]) == ["a", "deep/b"], timeout=20)
    trainui_server.wait_for(lambda: names(trainui_server, p_run["id"]) == ["before", "c"], timeout=20)
    time.sleep(3)  # several polling passes and a rescan later, nothing has moved
    assert names(trainui_server, p_run["id"]) == ["before", "c"]
    assert names(trainui_server, p_run2["id"]) == ["a", "deep/b"]


def test_nested_project_takes_its_old_and_new_results(trainui_server, tmp_path):
    """Issue 19: a nested project takes the results below it when it is registered (one folder's runs
    are never split over two projects); the outer project keeps the rest."""
    outer, inner = tmp_path / "outer", tmp_path / "outer" / "inner"
    write_run(inner / "old")
    p_outer = trainui_server.create_project(outer, "outer")
    trainui_server.wait_for(lambda: names(trainui_server, p_outer["id"]) == ["inner/old"])
    p_inner = trainui_server.create_project(inner, "inner")
    assert names(trainui_server, p_inner["id"]) == ["old"]  # moved in the registering transaction
    write_run(inner / "new")
    write_run(outer / "mine")
    trainui_server.wait_for(lambda: names(trainui_server, p_inner["id"]) == ["new", "old"], timeout=20)
    trainui_server.wait_for(lambda: names(trainui_server, p_outer["id"]) == ["mine"], timeout=20)
    time.sleep(3)
    assert names(trainui_server, p_inner["id"]) == ["new", "old"]


def test_loopback_api_refuses_other_host_names_and_other_origins(trainui_server, tmp_path):
    api = trainui_server.api_url
    port = api.split(":")[2].split("/")[0]
    assert requests.get(api + "projects", headers={"Host": "evil.example"}, timeout=5).status_code == 403
    assert requests.get(trainui_server.url, headers={"Host": f"evil.example:{port}"}, timeout=5).status_code == 403
    refused = requests.post(api + "projects", json={"path": str(tmp_path)},
                            headers={"Origin": "http://evil.example"}, timeout=5)
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden_origin"
    other_port = requests.post(api + "projects", json={"path": str(tmp_path)},
                               headers={"Origin": "http://127.0.0.1:1"}, timeout=5)
    assert other_port.status_code == 403  # another local site is another origin
    sneaky = requests.post(api + "projects", json={"path": str(tmp_path)},
                           headers={"Sec-Fetch-Site": "cross-site"}, timeout=5)
    assert sneaky.status_code == 403
    assert requests.get(api + "projects", timeout=5).status_code == 200
    assert requests.get(f"http://localhost:{port}/api/v1/projects", timeout=5).status_code == 200
    (tmp_path / "runs").mkdir()  # (tmp_path itself holds the server's data: not a project)
    own = requests.post(api + "projects", json={"path": str(tmp_path / "runs"), "name": "mine"},
                        headers={"Origin": f"http://127.0.0.1:{port}"}, timeout=5)
    assert own.status_code == 201
    assert requests.post(f"http://localhost:{port}/api/v1/projects", json={"path": str(tmp_path / "x")},
                         headers={"Origin": f"http://localhost:{port}"}, timeout=5).status_code != 403


def test_allowed_hosts_and_a_forwarded_prefix_that_is_not_a_path(start_server):
    server = start_server(extra_args=("--allowed-hosts", "dash.example"))
    port = server.api_url.split(":")[2].split("/")[0]
    assert requests.get(server.api_url + "projects", headers={"Host": f"dash.example:{port}"},
                        timeout=5).status_code == 200
    assert requests.get(server.api_url + "projects", headers={"Host": "other.example"}, timeout=5).status_code == 403
    page = requests.get(server.url, headers={"X-Forwarded-Prefix": '/x"><script>alert(1)</script>'}, timeout=5)
    assert page.status_code == 400 and "<script>" not in page.text
    assert '"/proxy/' in requests.get(server.url, headers={"X-Forwarded-Prefix": "/proxy"}, timeout=5).text


def test_concurrent_registrations_conflict_cleanly(trainui_server, tmp_path):
    folders = [tmp_path / f"d{i}" for i in range(8)]
    for folder in folders:
        folder.mkdir()
    codes = []

    def register(folder):
        codes.append(requests.post(trainui_server.api_url + "projects", json={"path": str(folder), "name": "same"},
                                   timeout=30).status_code)
    threads = [threading.Thread(target=register, args=(f,)) for f in folders]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [201] + [409] * 7, codes
