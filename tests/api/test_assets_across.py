"""GET /api/v1/assets?results=...&tag=...: one image tag across several runs in one request (the
project page's image grid), from images written by the real trainer library."""
from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from trainui import Run  # noqa: E402


def run_with_images(out, steps, tags=("sample",)):
    with Run(str(out), args={}, progress=False, handle_signals=False, poll_interval=0, flush_interval=0) as run:
        for step in steps:
            run.log({"main/loss": 1.0 / step}, iteration=step)
            for tag in tags:
                run.log_image(tag, torch.full((3, 4, 4), step / 100.0), step=step)


def test_one_tag_of_several_runs_in_one_answer(app, tmp_path):
    root = tmp_path / "project"
    run_with_images(root / "a", [10, 20, 30], tags=("sample", "noise"))
    run_with_images(root / "b", [10, 25])
    run_with_images(root / "c", [])  # logged no image
    project_id = app.api("POST", "projects", json={"path": str(root), "name": "p"})[1]["project"]["id"]
    a, b, c = (app.ingest(project_id, root / name) for name in "abc")

    status, body = app.api("GET", f"assets?results={a},{b},{c},999999")
    assert status == 200, body
    assert body["tags"] == ["noise", "sample"] and body["tag"] == "noise"  # the first, when none is asked for
    assert [x["step"] for x in body["results"][str(a)]] == [10, 20, 30]
    assert body["results"][str(b)] == [] and body["results"][str(c)] == [] and body["missing"] == [999999]

    status, body = app.api("GET", f"assets?results={a},{b},{c}&tag=sample")
    assert status == 200 and body["tag"] == "sample" and body["missing"] == []
    assert {rid: [x["step"] for x in xs] for rid, xs in body["results"].items()} == {
        str(a): [10, 20, 30], str(b): [10, 25], str(c): []}
    first = body["results"][str(b)][1]
    file = app.client.get("/api/v1/" + first["url"])
    assert file.status_code == 200 and file.data.startswith(b"\x89PNG")

    status, body = app.api("GET", f"assets?results={a}&tag=never-logged")
    assert status == 200 and body["tag"] == "never-logged" and body["results"] == {str(a): []}

    status, body = app.api("GET", f"assets?results={c}")
    assert status == 200 and body == {"tags": [], "tag": None, "results": {str(c): []}, "missing": []}


@pytest.mark.parametrize("query", ["", "results=", "results=a,b", "results=0", "results=1,,2",
                                   "results=" + ",".join(["1"] * 501)])
def test_bad_result_lists_are_refused(app, query):
    status, body = app.api("GET", f"assets?{query}")
    assert status == 400 and "results" in body["message"], body
