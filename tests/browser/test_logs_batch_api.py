"""The API the live page leans on: several results' series in one `GET /logs?results=` request
(the same answers as `/results/<id>/logs`), and answers that a browser revalidates for free
(ETag of the results' entry counts; 304 while nothing was written).

It lives with the browser tests because it is the browser's contract; it needs no browser."""
from __future__ import annotations

import requests
from browser_helpers import curve, write_result


def test_batch_answers_match_single_ones_and_revalidate(trainui_server, tmp_path):
    root = tmp_path / "batch"
    for i in range(3):
        write_result(root / f"run{i}", {"lr": 0.1}, curve(40 + i, 0.1))
    project = trainui_server.create_project(root, "batch")
    results = trainui_server.wait_for(lambda: (lambda rs: rs if len(rs) == 3 and all(r["entry_count"] for r in rs) else None)(
        trainui_server.results(project["id"])))
    ids = sorted(r["id"] for r in results)
    missing = max(ids) + 1000

    status, body = trainui_server.api("GET", f"logs?results={ids[0]},{ids[1]}:30,{missing}&keys=main/loss,lr&max_points=20")
    assert status == 200
    assert body["x"] == "iteration" and body["missing"] == [missing]
    assert sorted(body["results"]) == sorted(str(i) for i in ids[:2])
    _, single = trainui_server.api("GET", f"results/{ids[0]}/logs?keys=main/loss,lr&max_points=20")
    assert body["results"][str(ids[0])] == {k: single[k] for k in ("cursor", "incremental", "series")}
    increment = body["results"][str(ids[1])]
    assert increment["incremental"] is True and increment["cursor"] == 41
    assert increment["series"]["main/loss"]["x"] == [310.0, 320.0, 330.0, 340.0, 350.0, 360.0, 370.0, 380.0, 390.0, 400.0, 410.0]

    # Revalidation: the same answer while nothing changed is a 304, a write changes it.
    url = trainui_server.api_url + f"logs?results={ids[0]},{ids[2]}&keys=main/loss"
    first = requests.get(url, timeout=10)
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "no-cache"
    again = requests.get(url, headers={"If-None-Match": etag}, timeout=10)
    assert again.status_code == 304 and not again.content
    write_result(root / "run2", {"lr": 0.1}, curve(50, 0.1))
    trainui_server.wait_for(lambda: trainui_server.api("GET", f"results/{ids[2]}")[1]["result"]["entry_count"] == 50)
    changed = requests.get(url, headers={"If-None-Match": etag}, timeout=10)
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert changed.json()["results"][str(ids[2])]["cursor"] == 50
    single = requests.get(trainui_server.api_url + f"results/{ids[0]}/logs", timeout=10)
    assert requests.get(single.url, headers={"If-None-Match": single.headers["ETag"]}, timeout=10).status_code == 304
    # Increments are asked once: not stored, no ETag.
    for path in (f"results/{ids[0]}/logs?since=10", f"logs?results={ids[0]}:10,{ids[1]}"):
        increment = requests.get(trainui_server.api_url + path, timeout=10)
        assert increment.status_code == 200 and "ETag" not in increment.headers
        assert increment.headers["Cache-Control"] == "no-store"


def test_batch_rejects_what_it_cannot_read(trainui_server):
    for query in ("", "results=", "results=x", "results=1:-1", "results=0", "results=1:a", "results=99999999999999999999"):
        status, body = trainui_server.api("GET", f"logs?{query}")
        assert status == 400, (query, body)
        assert body["error"] == "bad_request" and body["message"]
    status, body = trainui_server.api("GET", "logs?results=" + ",".join(str(i) for i in range(1, 502)))
    assert status == 400 and "at most 500" in body["message"]
