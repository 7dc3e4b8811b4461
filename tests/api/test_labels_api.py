"""Tags and notes (fast tier): set by a real trainer's Run(tags=, notes=), read by the ingestion,
edited through the API (a user's edit wins over the job's file afterwards), bounded, and the
hostile labels file: too big, not JSON, bad tags; each is the result's ingest error, never a crash."""
from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")

from trainui import Run, protocol  # noqa: E402


def labelled_run(out, **labels):
    run = Run(str(out), args={"lr": 0.1}, progress=False, handle_signals=False, poll_interval=0, flush_interval=0,
              console=False, **labels)
    for it in range(1, 4):
        run.log({"main/loss": 1.0 / it}, iteration=it)
        run.step(iteration=it)
    return run


@pytest.fixture
def project(app, tmp_path):
    root = tmp_path / "project"
    root.mkdir()
    status, body = app.api("POST", "projects", json={"path": str(root), "name": "p"})
    assert status == 201, body
    return root, body["project"]["id"]


def listed(app, project_id, rid):
    (found,) = [r for r in app.api("GET", f"projects/{project_id}/results")[1]["results"] if r["id"] == rid]
    return found


def test_the_jobs_labels_seed_the_run_and_a_users_edit_wins_afterwards(app, project):
    root, project_id = project
    run = labelled_run(root / "run", tags=["baseline", "lr:0.1"], notes="# Baseline\nfirst try")
    rid = app.ingest(project_id, root / "run")
    result = app.api("GET", f"results/{rid}")[1]["result"]
    assert result["tags"] == ["baseline", "lr:0.1"] and result["notes"] == "# Baseline\nfirst try"
    assert listed(app, project_id, rid)["tags"] == ["baseline", "lr:0.1"]
    assert listed(app, project_id, rid)["notes_excerpt"] == "# Baseline"
    assert "notes" not in listed(app, project_id, rid)  # a list carries the excerpt, not whole notes

    run.write_labels(tags=["baseline", "seed:2"])  # the job changes its tags: nobody edited them yet
    app.ingest(project_id, root / "run")
    assert app.api("GET", f"results/{rid}")[1]["result"]["tags"] == ["baseline", "seed:2"]

    status, body = app.api("POST", f"results/{rid}/tags", json={"add": ["keep", "baseline"], "remove": ["seed:2"]})
    assert status == 200 and body["result"]["tags"] == ["baseline", "keep"]
    run.write_labels(tags=["from-job"], notes="the job's later notes")
    app.ingest(project_id, root / "run")
    result = app.api("GET", f"results/{rid}")[1]["result"]
    assert result["tags"] == ["baseline", "keep"]  # the user's edit wins over the job's rewrite
    assert result["notes"] == "the job's later notes"  # the notes were never edited: the job's file still counts

    assert app.api("PATCH", f"results/{rid}", json={"notes": "**mine**"})[0] == 200
    run.write_labels(notes="the job again")
    app.ingest(project_id, root / "run")
    assert app.api("GET", f"results/{rid}")[1]["result"]["notes"] == "**mine**"
    run.close()


def test_patch_sets_and_clears_tags_and_notes(app, project):
    root, project_id = project
    labelled_run(root / "run").close()
    rid = app.ingest(project_id, root / "run")
    assert app.api("GET", f"results/{rid}")[1]["result"]["tags"] == []
    status, body = app.api("PATCH", f"results/{rid}", json={"tags": ["a", "b", "a"], "notes": "hello"})
    assert status == 200 and body["result"]["tags"] == ["a", "b"]
    assert app.api("GET", f"results/{rid}")[1]["result"]["notes"] == "hello"
    status, body = app.api("PATCH", f"results/{rid}", json={"tags": [], "notes": None})
    assert status == 200 and body["result"]["tags"] == []
    assert app.api("GET", f"results/{rid}")[1]["result"]["notes"] == ""


@pytest.mark.parametrize("body, named", [
    ({"tags": ["has space"]}, "tags"),
    ({"tags": ["<script>"]}, "tags"),
    ({"tags": ["x" * 65]}, "tags"),
    ({"tags": [""]}, "tags"),
    ({"tags": "solo"}, "tags"),
    ({"tags": [f"t{i}" for i in range(33)]}, "tags"),
    ({"notes": "x" * (protocol.MAX_NOTES_CHARS + 1)}, "notes"),
    ({"notes": 5}, "notes"),
])
def test_bad_labels_are_refused_with_the_rule(app, project, body, named):
    root, project_id = project
    labelled_run(root / "run", tags=["kept"]).close()
    rid = app.ingest(project_id, root / "run")
    status, answer = app.api("PATCH", f"results/{rid}", json=body)
    assert status == 422 and named in answer["message"], answer
    assert app.api("GET", f"results/{rid}")[1]["result"]["tags"] == ["kept"]  # nothing half-applied


def test_adding_beyond_the_most_tags_is_refused_and_changes_nothing(app, project):
    root, project_id = project
    labelled_run(root / "run", tags=[f"t{i}" for i in range(protocol.MAX_TAGS)]).close()
    rid = app.ingest(project_id, root / "run")
    status, answer = app.api("POST", f"results/{rid}/tags", json={"add": ["one-more"]})
    assert status == 422 and f"at most {protocol.MAX_TAGS} tags" in answer["message"]
    assert len(app.api("GET", f"results/{rid}")[1]["result"]["tags"]) == protocol.MAX_TAGS
    assert app.api("POST", f"results/{rid}/tags", json={"add": ["x"], "bogus": 1})[0] == 422
    assert app.api("POST", "results/999/tags", json={"add": ["x"]})[0] == 404


@pytest.mark.parametrize("content, problem", [
    (b"{not json", "labels: cannot read .trainui/labels.json"),
    (b"[1, 2]", "labels: must be a JSON object"),
    (json.dumps({"tags": ["ok", "bad tag", 7]}).encode(), "labels: tag 'bad tag' is not a tag"),
    (json.dumps({"tags": "ok"}).encode(), "labels: tags must be a list"),
    (json.dumps({"notes": 12}).encode(), "labels: notes must be a string"),
    (b'{"notes": "' + b"x" * (protocol.LABELS_MAX_BYTES + 10) + b'"}', "labels: cannot read .trainui/labels.json"),
])
def test_a_hostile_labels_file_is_the_results_ingest_error(app, project, content, problem):
    root, project_id = project
    labelled_run(root / "run").close()
    (root / "run" / protocol.LABELS).write_bytes(content)
    rid = app.ingest(project_id, root / "run")
    result = app.api("GET", f"results/{rid}")[1]["result"]
    assert problem in (result["ingest_error"] or ""), result["ingest_error"]
    assert result["entry_count"] == 3  # the rest of the run is read as always
    if b"ok" in content and b"[" in content:
        assert result["tags"] == ["ok"]  # the good tags are kept
    (root / "run" / protocol.LABELS).write_text(json.dumps({"tags": ["fixed"]}))
    app.ingest(project_id, root / "run")
    result = app.api("GET", f"results/{rid}")[1]["result"]
    assert result["ingest_error"] is None and result["tags"] == ["fixed"]


def test_labels_shipped_over_http_are_checked_like_the_file(app):
    status, body = app.api("POST", "runs", json={"project": "remote", "run_uid": "a" * 32})
    assert status == 201, body
    rid = body["result"]["id"]
    status, body = app.api("POST", f"results/{rid}/batches",
                           json={"labels": {"tags": ["remote", "bad tag"], "notes": "from afar"}})
    assert status == 200, body
    result = app.api("GET", f"results/{rid}")[1]["result"]
    assert result["tags"] == ["remote"] and result["notes"] == "from afar"
    assert "labels: tag 'bad tag' is not a tag" in result["ingest_error"]


def test_labels_are_stored_and_listed_alike_on_sqlite_and_postgresql(app_on_both, tmp_path):
    app = app_on_both
    root = tmp_path / "both"
    labelled_run(root / "run", tags=["pg", "lr:0.1"], notes="\n\n  first line  \nsecond" + "x" * 500).close()
    project_id = app.api("POST", "projects", json={"path": str(root), "name": "both"})[1]["project"]["id"]
    rid = app.ingest(project_id, root / "run")
    found = listed(app, project_id, rid)
    assert found["tags"] == ["pg", "lr:0.1"] and found["notes_excerpt"] == "first line"
    assert app.api("POST", f"results/{rid}/tags", json={"add": ["b"], "remove": ["pg"]})[1]["result"]["tags"] == \
        ["lr:0.1", "b"]
    assert app.api("GET", f"results/{rid}")[1]["result"]["notes"].endswith("x" * 500)


def test_an_uploaded_labels_file_the_store_cannot_hold_is_a_problem_not_a_refused_batch(app):
    """A job resends a refused batch: one odd labels file must not hold up its entries."""
    rid = app.api("POST", "runs", json={"project": "remote", "run_uid": "b" * 32})[1]["result"]["id"]
    status, body = app.api("POST", f"results/{rid}/batches", json={
        "labels": {"tags": ["fine", {"deep": [[[1]]]}], "notes": "nul\u0000inside"},
        "log": {"first_entry": 0, "entries": [{"iteration": 1, "loss": 0.5}]}})
    assert status == 200, body
    result = app.api("GET", f"results/{rid}")[1]["result"]
    assert result["entry_count"] == 1 and result["tags"] == ["fine"] and result["notes"] == ""
    assert "labels: notes must not contain NUL characters" in result["ingest_error"]
