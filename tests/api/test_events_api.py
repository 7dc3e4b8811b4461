"""GET /results/<id>/events (fast tier): what was done to a run, at the iteration it took effect.

Real trainer files (trainui.Run in this process), ingested and served by the real app: each
command the job applied is an event at the iteration of its answer (an lr change names the old
and the new value), each resume by a later process is one, and what a job's files say wrongly
is left out, never a 500."""
from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")

from trainui import Run, protocol  # noqa: E402


def open_run(out, resume=False, lr=0.1):
    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    return Run(str(out), args={"lr": lr}, model=model, optimizer=optimizer, progress=False, handle_signals=False,
               poll_interval=0, flush_interval=0, resume=resume, console=False)


def train(run, first, last):
    for it in range(first, last + 1):
        run.log({"main/loss": 1.0 / it}, iteration=it, epoch=it // 4)
        if run.step(iteration=it, epoch=it // 4):
            return


def command(app, project_id, rid, root, run, name, body, at):
    status, answer = app.api("POST", f"results/{rid}/commands", json={"name": name, "body": body})
    assert status == 201, answer
    app.ingest(project_id, root / "run")  # delivered into the job's inbox
    train(run, at, at)
    return answer["command"]["id"]


def test_applied_commands_are_events_at_their_iteration_with_old_and_new_values(app, tmp_path):
    root = tmp_path / "project"
    run = open_run(root / "run")
    run.command("double_batch", lambda body: {"batch_size": 64})
    train(run, 1, 5)
    project_id = app.api("POST", "projects", json={"path": str(root), "name": "p"})[1]["project"]["id"]
    rid = app.ingest(project_id, root / "run")
    assert app.api("GET", f"results/{rid}/events") == (200, {"events": []})

    lr_id = command(app, project_id, rid, root, run, "adjust_hyperparams", {"lr": 0.01}, 6)
    train(run, 7, 8)  # answered once it held for two steps, with the iteration it was applied at
    snap_id = command(app, project_id, rid, root, run, "take_snapshot", {}, 9)
    custom_id = command(app, project_id, rid, root, run, "double_batch", {"by": 2}, 10)
    unknown_id = command(app, project_id, rid, root, run, "no_such_command", {}, 11)
    stop_id = command(app, project_id, rid, root, run, "stop", {}, 12)
    run.close()
    app.ingest(project_id, root / "run")

    status, body = app.api("GET", f"results/{rid}/events")
    assert status == 200
    events = body["events"]
    assert [(e["kind"], e["iteration"], e["command_id"], e["status"]) for e in events] == [
        ("command", 6, lr_id, "SUCCESS"), ("command", 9, snap_id, "SUCCESS"), ("command", 10, custom_id, "SUCCESS"),
        ("command", 11, unknown_id, "FAILURE"), ("command", 12, stop_id, "SUCCESS")]
    lr, snap, custom, unknown, stop = events
    assert lr["summary"] == "lr 0.1 -> 0.01" and lr["epoch"] == 1
    assert lr["details"]["response"]["changes"][0]["previous"] == pytest.approx(0.1)
    assert snap["summary"] == "snapshot snapshot_iter_9.pt"
    assert custom["summary"] == "double_batch" and custom["details"]["body"] == {"by": 2}
    assert unknown["summary"].startswith("no_such_command (failed: unknown command 'no_such_command'")
    assert stop["summary"] == "stop"
    # the job's clock at each: on a chart against elapsed_time they stand where the log's points are
    times = [e["elapsed_time"] for e in events]
    assert all(isinstance(t, float) for t in times) and times == sorted(times)
    logged = app.api("GET", f"results/{rid}/logs?keys=elapsed_time&x=iteration")[1]["series"]["elapsed_time"]
    by_iteration = dict(zip(logged["x"], logged["y"]))
    assert by_iteration[6] <= lr["elapsed_time"] <= by_iteration[7]  # step(6) applies it after log(6)
    # the command list carries it too
    listed = {c["id"]: c for c in app.api("GET", f"results/{rid}/commands")[1]["commands"]}
    assert listed[lr_id]["elapsed_time"] == lr["elapsed_time"]


def test_every_resume_is_an_event_at_the_iteration_the_new_process_starts(app, tmp_path):
    root = tmp_path / "project"
    out = root / "run"
    first = open_run(out)
    train(first, 1, 8)
    first.close(status=protocol.CRASHED, message="RuntimeError: out of memory")
    second = open_run(out, resume=True)
    train(second, 9, 12)
    second.close(status=protocol.STOPPED)
    third = open_run(out, resume=True)  # as if from a snapshot of iteration 4: it goes on from 5
    train(third, 5, 6)
    third.close()
    project_id = app.api("POST", "projects", json={"path": str(root), "name": "p"})[1]["project"]["id"]
    rid = app.ingest(project_id, out)

    status, body = app.api("GET", f"results/{rid}/events")
    assert status == 200
    resumes = [e for e in body["events"] if e["kind"] == "resume"]
    assert [(e["iteration"], e["details"]["after"], e["details"]["previous_iteration"]) for e in resumes] == [
        (5, "stopped", 12), (9, "crashed", 8)]  # by iteration
    assert resumes[1]["summary"] == "resumed (it had crashed)"
    assert resumes[0]["summary"] == "resumed (it had stopped); the log had reached iteration 12"
    assert all(e["elapsed_time"] is not None and e["time"] is not None for e in resumes)
    # a run that was never resumed has none
    fresh = open_run(root / "other")
    train(fresh, 1, 3)
    fresh.close()
    other = app.ingest(project_id, root / "other")
    assert app.api("GET", f"results/{other}/events") == (200, {"events": []})


def test_what_a_job_wrote_wrongly_is_left_out_and_a_missing_result_is_404(app, tmp_path):
    root = tmp_path / "project"
    out = root / "run"
    run = open_run(out)
    train(run, 1, 3)
    run.close()
    status_path = out / protocol.STATUS
    status = json.loads(status_path.read_text())
    status["resumes"] = ["not a dict", {"iteration": "seven"}, {"iteration": 2**70}, {"after": "<b>x</b>",
                                                                                      "iteration": 2, "at": "soon"},
                        {"iteration": 3, "elapsed_time": float("inf")}]
    status_path.write_text(json.dumps(status))
    project_id = app.api("POST", "projects", json={"path": str(root), "name": "p"})[1]["project"]["id"]
    rid = app.ingest(project_id, out)

    status, body = app.api("GET", f"results/{rid}/events")
    assert status == 200, body
    assert [(e["iteration"], e["details"]["after"], e["time"], e["elapsed_time"]) for e in body["events"]] == [
        (2, None, None, None), (3, None, None, None)]
    assert app.api("GET", "results/999999/events")[0] == 404


def test_an_answer_without_the_new_fields_still_reads(tmp_path):
    """Answers written by an earlier trainui have no elapsed_time, and no previous value in a change."""
    old = {"uid": "u1", "name": "adjust_hyperparams", "status": "SUCCESS", "iteration": 4, "epoch": None,
           "body": {"changes": [{"param_group": 0, "key": "lr", "asked": 0.5, "in_force": 0.5}]}, "ranks": 1,
           "applied_at": 1.0}
    answer = protocol.CommandResponse.from_json(old)
    assert answer.elapsed_time is None
    assert protocol.CommandResponse.from_json({**old, "elapsed_time": "x"}).elapsed_time is None

    from trainui.store.timeline import command_summary
    assert command_summary("adjust_hyperparams", {"lr": 0.5}, answer.body) == "lr -> 0.5"
    assert command_summary("adjust_hyperparams", {"lr": 0.5, "mode": "hold"}, {}) == "lr -> 0.5"


def test_a_run_shipped_over_http_has_the_same_events(app):
    """An uploader ships the same records: the answer's elapsed_time and the status's resumes."""
    import time

    status, opened = app.api("POST", "runs", json={"project": "cloud", "run_uid": "0123456789abcdef"})
    assert status == 201, opened
    rid = opened["result"]["id"]
    job = protocol.JobStatus(status="running", pid=1, host="gpu-node", started_at=time.time(),
                             heartbeat_at=time.time(), resumes=[{"at": 5.0, "iteration": 7, "epoch": 1,
                                                                 "elapsed_time": 70.5, "after": "crashed",
                                                                 "previous_iteration": 9}]).to_json()
    entries = [{"iteration": i, "main/loss": 1.0 / i} for i in range(1, 11)]
    assert app.api("POST", f"results/{rid}/batches", json={"log": {"first_entry": 0, "entries": entries},
                                                            "status": job})[0] == 200
    posted = app.api("POST", f"results/{rid}/commands", json={"name": "adjust_hyperparams", "body": {"lr": 0.5}})[1]
    answer = protocol.CommandResponse(
        uid=posted["command"]["uid"], name="adjust_hyperparams", status="SUCCESS", iteration=10, epoch=1,
        body={"changes": [{"param_group": 0, "key": "lr", "previous": 0.1, "asked": 0.5, "in_force": 0.5}]},
        elapsed_time=99.25).to_json()
    assert app.api("POST", f"results/{rid}/batches", json={"answers": [answer], "status": job})[0] == 200

    status, body = app.api("GET", f"results/{rid}/events")
    assert status == 200
    assert [(e["kind"], e["iteration"], e["elapsed_time"], e["summary"]) for e in body["events"]] == [
        ("resume", 7, 70.5, "resumed (it had crashed); the log had reached iteration 9"),
        ("command", 10, 99.25, "lr 0.1 -> 0.5")]


def test_an_automation_firing_is_an_event_at_the_entry_that_set_it_off(app, tmp_path):
    import math

    root = tmp_path / "project"
    root.mkdir()
    project_id = app.api("POST", "projects", json={"path": str(root), "name": "p"})[1]["project"]["id"]
    for rule in ({"name": "NaN guard", "condition": {"kind": "nan", "key": "main/loss"},
                  "action": {"kind": "adjust_hyperparams", "multiply": {"lr": 0.5}}},
                 {"name": "by epoch", "condition": {"kind": "nan", "key": "main/loss", "x": "epoch"},
                  "action": {"kind": "mark"}},
                 {"name": "by loss", "condition": {"kind": "nan", "key": "main/loss", "x": "main/acc"},
                  "action": {"kind": "mark"}}):
        status, body = app.api("POST", f"projects/{project_id}/rules", json=rule)
        assert status == 201, body
    run = open_run(root / "run")
    for it, loss in enumerate([1.0, 0.8, math.nan, 0.5], start=1):
        run.log({"main/loss": loss, "main/acc": 0.5}, iteration=it, epoch=it // 2)
        run.step(iteration=it, epoch=it // 2)
    rid = app.ingest(project_id, root / "run")
    train(run, 5, 7)  # the guard's command reaches the job and is answered
    run.close()
    app.ingest(project_id, root / "run")

    status, body = app.api("GET", f"results/{rid}/events")
    assert status == 200, body
    firings = [e for e in body["events"] if e["kind"] == "automation"]
    guard, by_epoch = firings  # the rule on x main/acc has no place on a curve: left out
    assert (guard["iteration"], guard["epoch"], guard["details"]["rule"], guard["details"]["outcome"]) == (
        3, None, "NaN guard", "sent")
    assert guard["summary"] == "NaN guard: main/loss is nan -> adjust_hyperparams", guard
    assert (by_epoch["iteration"], by_epoch["epoch"], by_epoch["details"]["action"]) == (None, 1, "mark")
    assert body["events"][-1]["id"] == by_epoch["id"]  # without an iteration: after those with one
    (command,) = [e for e in body["events"] if e["kind"] == "command"]
    assert command["command_id"] == guard["command_id"] and command["summary"] == "lr 0.1 -> 0.05"
