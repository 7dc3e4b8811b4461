"""Rules evaluated where entries are applied, in process (fast tier): a real trainer's files
ingested by the real ingestion call, and a remote run's uploaded batches, on SQLite and
PostgreSQL. A rule fires once per offending entry, also when the batch comes again or the server
restarts; what it sends is a real command that reaches the job's inbox."""
from __future__ import annotations

import json
import math

import pytest

torch = pytest.importorskip("torch")

from trainui import Run  # noqa: E402
from trainui import protocol  # noqa: E402


NAN_GUARD = {"name": "NaN guard", "condition": {"kind": "nan", "key": "main/loss"},
             "action": {"kind": "adjust_hyperparams", "multiply": {"lr": 0.5}}}


def open_run(out, lr=0.1):
    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    return Run(str(out), args={"lr": lr}, model=model, optimizer=optimizer, progress=False, handle_signals=False,
               poll_interval=0, flush_interval=0)


def write(run, losses, start=1):
    for offset, loss in enumerate(losses):
        run.log({"main/loss": loss}, iteration=start + offset)
        run.step(iteration=start + offset)


def project_with_rule(app, root, rule):
    root.mkdir(parents=True, exist_ok=True)
    status, body = app.api("POST", "projects", json={"path": str(root), "name": "p"})
    assert status == 201, body
    project_id = body["project"]["id"]
    status, body = app.api("POST", f"projects/{project_id}/rules", json=rule)
    assert status == 201, body
    return project_id, body["rule"]


def remote_run(app, run_uid, rule=None):
    """A run shipped over HTTP (its project made with it), and a rule on that project."""
    status, body = app.api("POST", "runs", json={"project": "remote", "run_uid": run_uid})
    assert status in (200, 201), body
    result = body["result"]
    made = None
    if rule is not None:
        status, made = app.api("POST", f"projects/{result['project_id']}/rules", json=rule)
        assert status == 201, made
    return result, made and made["rule"]


def inbox(run_dir):
    folder = run_dir / protocol.COMMANDS_INBOX
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))] if folder.is_dir() else []


def test_a_nan_fires_the_guard_once_and_its_command_reaches_the_job(app_on_both, tmp_path):
    app, root = app_on_both, tmp_path / "project"
    run_dir = root / "run"
    job = open_run(run_dir)
    try:
        project_id, rule = project_with_rule(app, root, NAN_GUARD)
        write(job, [1.0, 0.8, 0.7])
        rid = app.ingest(project_id, run_dir)
        assert app.api("GET", f"results/{rid}/firings")[1]["firings"] == []
        write(job, [0.6, math.nan, math.nan, 0.5], start=4)  # NaN at iteration 5 (entry 4), twice in a row
        app.ingest(project_id, run_dir)
        app.ingest(project_id, run_dir)  # nothing new: nothing fires again

        (firing,) = app.api("GET", f"results/{rid}/firings")[1]["firings"]
        assert (firing["rule_id"], firing["entry"], firing["x"], firing["value"]) == (rule["id"], 4, 5.0, None)
        assert firing["outcome"] == "sent" and "nan" in firing["reason"].lower()
        (command,) = app.api("GET", f"results/{rid}/commands")[1]["commands"]
        assert command["id"] == firing["command_id"] and command["name"] == "adjust_hyperparams"
        assert command["body"] == {"param_groups": {"0": {"lr": 0.05}}}  # half the lr the job reported
        (delivered,) = inbox(run_dir)
        assert delivered["uid"] == command["uid"]

        for iteration in (8, 9, 10):  # the job applies it, and answers once it held through two steps
            job.step(iteration=iteration)
        app.ingest(project_id, run_dir)
        (firing,) = app.api("GET", f"rules/{rule['id']}/firings")[1]["firings"]
        assert firing["command_status"] == "SUCCESS", firing
        assert job.optimizers[0].param_groups[0]["lr"] == pytest.approx(0.05)
    finally:
        job.close()

    restarted = type(app)(tmp_path, app.db.url)  # a new server process on the same database (conftest's App)
    try:
        restarted.ingest(project_id, run_dir)
        assert len(restarted.api("GET", f"results/{rid}/firings")[1]["firings"]) == 1
    finally:
        restarted.db.dispose()


def test_a_batch_applied_again_fires_nothing_again(app, tmp_path):
    from trainui.store import Store
    from trainui.store.batch import LogPart, ResultBatch

    result, rule = remote_run(app, "remote-run-1", {**NAN_GUARD, "action": {"kind": "mark"}})
    rid = result["id"]
    entries = [{"iteration": i, "main/loss": "NaN" if i == 3 else 1.0} for i in range(1, 6)]
    store = Store(app.db)
    batch = ResultBatch(project_id=result["project_id"], path=result["path"], source="http",
                        log=LogPart(entries=entries, first_entry=0))
    store.apply.batch(batch)
    store.apply.batch(batch)  # the uploader retried: the entries are held already, skipped
    (firing,) = app.api("GET", f"results/{rid}/firings")[1]["firings"]
    assert (firing["entry"], firing["outcome"], firing["command_id"]) == (2, "marked", None)


def test_an_uploaded_batch_is_evaluated_like_a_file(app, tmp_path):
    result, rule = remote_run(app, "remote-run-2", {"name": "too high", "condition": {
        "kind": "above", "key": "loss", "threshold": 5, "count": 2}, "action": {"kind": "stop"}})
    rid = result["id"]
    status, body = app.api("POST", f"results/{rid}/batches", json={
        "status": {"status": "running"},
        "log": {"first_entry": 0, "entries": [{"iteration": i, "loss": v} for i, v in
                                              enumerate([1, 6, 2, 6, 7, 8, 1], start=1)]}})
    assert status == 200, body
    (firing,) = app.api("GET", f"results/{rid}/firings")[1]["firings"]
    assert (firing["entry"], firing["x"], firing["outcome"]) == (4, 5.0, "sent")  # 6, 7: two in a row
    (command,) = app.api("GET", f"results/{rid}/commands")[1]["commands"]
    assert command["name"] == "stop"
    # the next stretch above 5 (9, 9 at entries 7, 8) fires again: edge-triggered, no limit set
    status, body = app.api("POST", f"results/{rid}/batches", json={
        "log": {"first_entry": 7, "entries": [{"iteration": 8, "loss": 9}, {"iteration": 9, "loss": 9}]}})
    assert status == 200, body
    assert [f["entry"] for f in app.api("GET", f"results/{rid}/firings")[1]["firings"]] == [4, 8]


def test_limits_dry_run_and_a_run_that_is_not_running(app, tmp_path):
    result, rule = remote_run(app, "remote-run-3", {
        "name": "spiky", "condition": {"kind": "above", "key": "loss", "threshold": 5},
        "action": {"kind": "take_snapshot"}, "cooldown": {"iterations": 10}, "max_firings": 2})
    _, dry = app.api("POST", f"projects/{result['project_id']}/rules", json={
        "name": "would stop", "condition": {"kind": "above", "key": "loss", "threshold": 5},
        "action": {"kind": "stop"}, "dry_run": True})
    rid = result["id"]
    losses = [9, 1, 9, 1] + [1] * 8 + [9, 1, 9, 1, 9]  # edges at iterations 1, 3, 13, 15, 17
    app.api("POST", f"results/{rid}/batches", json={
        "status": {"status": "running"},
        "log": {"first_entry": 0, "entries": [{"iteration": i, "loss": v} for i, v in enumerate(losses, start=1)]}})
    fired = app.api("GET", f"rules/{rule['id']}/firings")[1]["firings"]
    assert [f["x"] for f in fired] == [1.0, 13.0]  # 3 is within the cooldown of 1; at most 2 firings
    dry_fired = app.api("GET", f"rules/{dry['rule']['id']}/firings")[1]["firings"]
    assert [f["outcome"] for f in dry_fired] == ["dry_run"] * 5
    assert all(f["command_id"] is None for f in dry_fired)
    assert [c["name"] for c in app.api("GET", f"results/{rid}/commands")[1]["commands"]] == ["take_snapshot"] * 2

    # a run that ended: the rule fires, the command is refused, and the firing says why
    ended = remote_run(app, "remote-run-4")[0]["id"]
    app.api("POST", f"results/{ended}/batches", json={
        "status": {"status": "finished"}, "log": {"first_entry": 0, "entries": [{"iteration": 1, "loss": 9}]}})
    (refused,) = app.api("GET", f"results/{ended}/firings")[1]["firings"][:1]
    assert refused["outcome"] == "refused" and "not running" in refused["message"]


@pytest.mark.parametrize("bad", [
    {"name": "x", "condition": {"kind": "nan"}, "action": {"kind": "stop"}},
    {"name": "x", "condition": {"kind": "nan", "key": "l"}, "action": {"kind": "launch"}},
    {"name": "x", "condition": {"kind": "spike", "key": "l", "factor": 0.5}, "action": {"kind": "stop"}},
    {"name": "x", "condition": {"kind": "nan", "key": "l"}, "action": {"kind": "adjust_hyperparams",
                                                                     "set": {"lr": 1}, "multiply": {"lr": 2}}},
    {"name": "", "condition": {"kind": "nan", "key": "l"}, "action": {"kind": "stop"}},
    {"name": "x", "condition": {"kind": "nan", "key": "l"}, "action": {"kind": "stop"}, "max_firings": 0},
    [1, 2],
])
def test_a_bad_rule_is_refused_with_a_message_and_nothing_is_stored(app, tmp_path, bad):
    project_id = remote_run(app, "remote-run-6")[0]["project_id"]
    status, body = app.api("POST", f"projects/{project_id}/rules", json=bad)
    assert status in (400, 422) and body["message"], (status, body)
    assert app.api("GET", f"projects/{project_id}/rules")[1]["rules"] == []


def test_a_rule_is_changed_disabled_and_deleted(app, tmp_path):
    result, rule = remote_run(app, "remote-run-5", {**NAN_GUARD, "action": {"kind": "mark"}})
    project_id, rid = result["project_id"], result["id"]
    status, body = app.api("PATCH", f"rules/{rule['id']}", json={"enabled": False, "name": "off"})
    assert status == 200 and (body["rule"]["enabled"], body["rule"]["name"]) == (False, "off")
    assert body["rule"]["condition"] == {"kind": "nan", "key": "main/loss", "x": "iteration"}
    app.api("POST", f"results/{rid}/batches", json={"log": {"first_entry": 0, "entries": [{"main/loss": "NaN"}]}})
    assert app.api("GET", f"results/{rid}/firings")[1]["firings"] == []  # disabled: nothing
    assert app.api("DELETE", f"rules/{rule['id']}")[0] == 204
    assert app.api("GET", f"rules/{rule['id']}")[0] == 404
    status, body = app.api("POST", f"projects/{project_id}/rules", json={**NAN_GUARD, "result_id": 999})
    assert status == 404 and "999" in body["message"]


@pytest.mark.parametrize("condition", [
    {"kind": "nan", "key": "main/loss"},
    {"kind": "above", "key": "main/loss", "threshold": 0.5, "count": 2},
    {"kind": "plateau", "key": "main/loss", "patience": 3, "min_delta": 0.01},
    {"kind": "spike", "key": "main/loss", "factor": 2.0}])
def test_a_backtest_finds_what_the_live_rule_found(app, tmp_path, condition):
    """The same runs, written by the trainer: one project had the rule from the start (live), the
    other is backtested afterwards; the firings are the same, nothing is stored by the backtest."""
    losses = [1.0, 0.9, 0.4, 0.3, math.nan, 0.3, 0.31, 0.32, 0.30, 0.9, 0.95, 0.2, math.inf, 0.2, 0.2, 0.2, 0.2]
    rule = {"name": "r", "condition": condition, "action": {"kind": "mark"}, "cooldown": {"iterations": 2}}
    live_root, later_root = tmp_path / "live", tmp_path / "later"
    for root in (live_root, later_root):
        job = open_run(root / "run")
        write(job, losses)
        job.close()
    live_project, _ = project_with_rule(app, live_root, rule)
    rid = app.ingest(live_project, live_root / "run")
    live = [(f["x"], f["reason"]) for f in app.api("GET", f"results/{rid}/firings")[1]["firings"]]

    status, body = app.api("POST", "projects", json={"path": str(later_root), "name": "later"})
    later_project = body["project"]["id"]
    later_rid = app.ingest(later_project, later_root / "run")
    status, body = app.api("POST", f"projects/{later_project}/rules/backtest", json=rule)
    assert status == 200, body
    (run,) = body["runs"]
    assert run["result_id"] == later_rid and run["points"] == len(losses) and not run["approximate"]
    assert live and [(f["x"], f["reason"]) for f in run["firings"]] == live
    assert body["firings"] == len(live) and body["fired_runs"] == 1
    assert app.api("GET", f"projects/{later_project}/rules")[1]["rules"] == []
    assert app.api("GET", f"results/{later_rid}/firings")[1]["firings"] == []


def test_a_silent_run_fires_once_per_quiet_stretch_and_a_crash_once(app, tmp_path):
    import time
    from trainui.store import Store

    result, silent = remote_run(app, "remote-run-7", {"name": "hung", "condition": {"kind": "silent", "seconds": 1},
                                                     "action": {"kind": "take_snapshot"}})
    _, crashed = app.api("POST", f"projects/{result['project_id']}/rules", json={
        "name": "crash alarm", "condition": {"kind": "crashed"}, "action": {"kind": "mark"}})
    rid, store = result["id"], Store(app.db)

    def batch(first, status="running"):
        status_code, body = app.api("POST", f"results/{rid}/batches", json={
            "status": {"status": status, "iteration": first + 1},
            "log": {"first_entry": first, "entries": [{"iteration": first + 1, "loss": 1.0}]}})
        assert status_code == 200, body

    batch(0)
    assert store.rules.check_runs() == 0  # seen for the first time: the quiet stretch starts now
    time.sleep(1.2)
    assert store.rules.check_runs() == 1
    assert store.rules.check_runs() == 0  # the same stretch: once
    batch(1)
    assert store.rules.check_runs() == 0  # a new entry: armed again
    time.sleep(1.2)
    assert store.rules.check_runs() == 1
    fired = app.api("GET", f"rules/{silent['id']}/firings")[1]["firings"]
    assert [f["entry"] for f in fired] == [1, 2] and all(f["outcome"] == "sent" for f in fired)
    assert "no new entry" in fired[0]["reason"]

    batch(2, status="crashed")
    assert store.rules.check_runs() == 1 and store.rules.check_runs() == 0
    (crash,) = app.api("GET", f"rules/{crashed['rule']['id']}/firings")[1]["firings"]
    assert crash["reason"].startswith("the run crashed") and crash["outcome"] == "marked"


def test_after_a_restore_the_replayed_history_fires_nothing_again_and_the_rerun_does(app, tmp_path):
    """A real restore (trainui's own, in process): the job's log is rewritten to snapshot 5 and read
    again from its start; the rule judged entries up to 5 before, so only what comes after fires."""
    root = tmp_path / "project"
    project_id, rule = project_with_rule(app, root, {
        "name": "high", "condition": {"kind": "above", "key": "main/loss", "threshold": 5}, "action": {"kind": "mark"}})
    model = torch.nn.Linear(2, 1)
    job = Run(str(root / "run"), args={}, model=model, optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
              progress=False, handle_signals=False, poll_interval=0, flush_interval=0)
    try:
        for it in job.iterations(8):
            job.log({"main/loss": 9.0 if it in (3, 8) else 1.0}, iteration=it)
            if it == 5:
                job.snapshot()
        rid = app.ingest(project_id, root / "run")
        assert [f["x"] for f in app.api("GET", f"results/{rid}/firings")[1]["firings"]] == [3.0, 8.0]
        status, body = app.api("POST", f"results/{rid}/commands", json={"name": "restore", "body": {"iteration": 5}})
        assert status == 201, body
        app.ingest(project_id, root / "run")  # delivered
        for it in job.iterations(12):  # the first step applies it: the loop goes on from 6
            job.log({"main/loss": 9.0 if it == 10 else 1.0}, iteration=it)
        app.ingest(project_id, root / "run")
        app.ingest(project_id, root / "run")
        (command,) = app.api("GET", f"results/{rid}/commands")[1]["commands"]
        assert command["status"] == "SUCCESS" and command["response"]["iteration"] == 5, command
        assert [f["x"] for f in app.api("GET", f"results/{rid}/firings")[1]["firings"]] == [3.0, 8.0, 10.0]
    finally:
        job.close()
