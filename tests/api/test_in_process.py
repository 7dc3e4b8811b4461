"""The API in process (fast tier): a real trainer's files, ingested and served by the real app on
SQLite, and a command's whole path (API -> store -> inbox -> the job -> its answer -> API) without
starting a process."""
from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")

from trainui import Run  # noqa: E402


def training_run(out, iterations=5):
    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    run = Run(str(out), args={"lr": 0.1, "note": "fast"}, model=model, optimizer=optimizer, progress=False,
              handle_signals=False, poll_interval=0, flush_interval=0)
    for it in range(1, iterations + 1):
        run.log({"main/loss": 1.0 / it}, iteration=it)
        run.step(iteration=it)
    return run


def test_a_run_written_by_the_trainer_is_listed_read_and_drawn(app, tmp_path):
    root = tmp_path / "project"
    run = training_run(root / "exp" / "run1")
    run.close()
    status, body = app.api("POST", "projects", json={"path": str(root), "name": "p"})
    assert status == 201, body
    project_id = body["project"]["id"]
    rid = app.ingest(project_id, root / "exp" / "run1")

    status, body = app.api("GET", f"projects/{project_id}/results")
    assert status == 200
    (listed,) = body["results"]
    assert (listed["id"], listed["name"], listed["entry_count"], listed["status"]) == (rid, "exp/run1", 5, "finished")
    assert listed["args"]["note"] == "fast"
    status, body = app.api("GET", f"results/{rid}/logs?keys=main/loss&max_points=100")
    assert status == 200 and body["series"]["main/loss"]["x"] == [1, 2, 3, 4, 5]
    assert body["series"]["main/loss"]["y"][-1] == pytest.approx(0.2)


def test_a_command_goes_to_the_job_and_its_answer_comes_back(app, tmp_path):
    root = tmp_path / "project"
    run = training_run(root / "run")
    seen = []

    @run.command("note")
    def note(body):
        seen.append(body)
        return {"noted": body["text"]}

    project_id = app.api("POST", "projects", json={"path": str(root), "name": "p"})[1]["project"]["id"]
    rid = app.ingest(project_id, root / "run")
    status, body = app.api("POST", f"results/{rid}/commands", json={"name": "note", "body": {"text": "hi"}})
    assert status == 201 and body["command"]["status"] == "PENDING"
    app.ingest(project_id, root / "run")  # delivers it: the job's inbox holds it now
    assert run.step(iteration=6) is False  # the job reads and answers it
    assert seen == [{"text": "hi"}]
    run.close()
    app.ingest(project_id, root / "run")
    status, body = app.api("GET", f"results/{rid}/commands")
    (command,) = body["commands"]
    assert (command["status"], command["response"], command["iteration"]) == ("SUCCESS", {"noted": "hi"}, 6), command


@pytest.mark.parametrize("payload, field", [
    ({"name": ""}, "name"),
    ({"name": "note", "body": [1, 2]}, "body"),
    ({"name": "note", "schedule": {"key": "iteration", "value": "soon"}}, "schedule"),
])
def test_a_wrong_command_payload_is_a_422_that_names_the_field(app, tmp_path, payload, field):
    root = tmp_path / "project"
    training_run(root / "run").close()
    project_id = app.api("POST", "projects", json={"path": str(root), "name": "p"})[1]["project"]["id"]
    rid = app.ingest(project_id, root / "run")
    status, body = app.api("POST", f"results/{rid}/commands", json=payload)
    assert status == 422 and field in body["message"], body
    assert app.api("GET", f"results/{rid}/commands")[1]["commands"] == []


def test_unknown_ids_are_404_and_a_missing_directory_is_refused(app, tmp_path):
    assert app.api("GET", "results/999")[0] == 404
    assert app.api("GET", "projects/999/results")[0] == 404
    status, body = app.api("POST", "projects", json={"path": str(tmp_path / "nowhere")})
    assert status == 404 and "nowhere is not a directory" in body["message"], body
    (tmp_path / "a-file").write_text("")
    status, body = app.api("POST", "projects", json={"path": str(tmp_path / "a-file")})
    assert status == 422 and "a-file is not a directory" in body["message"], body
