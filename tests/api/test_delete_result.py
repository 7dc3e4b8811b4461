"""DELETE /api/v1/results/<id>: a result goes with everything stored for it, its directory only
when asked and only from inside its project, never while it runs (unless forced), and neither a
later scan nor an ingestion turn that read it before the delete brings it back. On SQLite and on
a real PostgreSQL."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

torch = pytest.importorskip("torch")

from trainui import Run  # noqa: E402
from trainui.cli import main  # noqa: E402
from trainui.ingest.discovery import find_result_dirs, result_dir_of  # noqa: E402
from trainui.ingest.reader import read_result  # noqa: E402
from trainui.store import Store  # noqa: E402
from trainui.store.models import Result  # noqa: E402


def run_into(out, iterations=4, close=True):
    """A real trainer run: log, args, status, a snapshot, an image and an answered command's files."""
    model = torch.nn.Linear(2, 1)
    run = Run(str(out), args={"lr": 0.1}, model=model, optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
              progress=False, handle_signals=False, poll_interval=0, flush_interval=0)
    for it in range(1, iterations + 1):
        run.log({"main/loss": 1.0 / it}, iteration=it)
        run.step(iteration=it)
    run.log_image("sample", torch.zeros(4, 4), step=iterations)
    run.snapshot()
    if close:
        run.close()
    return run


@pytest.fixture
def project(app_on_both, tmp_path):
    root = tmp_path / "project"
    root.mkdir()
    status, body = app_on_both.api("POST", "projects", json={"path": str(root), "name": "p"})
    assert status == 201, body
    return body["project"]["id"], root


def ingested(app, project_id, directory) -> int:
    rid = app.ingest(project_id, directory)
    assert rid is not None
    return rid


def test_delete_with_files_removes_rows_and_directory_and_nothing_comes_back(app_on_both, project):
    app, (project_id, root) = app_on_both, project
    run_dir = root / "exp" / "run1"
    run = run_into(run_dir, close=False)
    keep_dir = root / "exp" / "run2"
    run_into(keep_dir)
    rid, kept = ingested(app, project_id, run_dir), ingested(app, project_id, keep_dir)
    assert app.api("POST", f"results/{rid}/commands", json={"name": "take_snapshot"})[0] == 201
    app.ingest(project_id, run_dir)  # delivered; the job answers it, then ends
    run.step(iteration=5)
    run.close()
    app.ingest(project_id, run_dir)
    assert [c["status"] for c in app.api("GET", f"results/{rid}/commands")[1]["commands"]] == ["SUCCESS"]
    detail = app.api("GET", f"results/{rid}")[1]["result"]
    assert detail["snapshots"] and detail["asset_tags"] == ["sample"]

    status, body = app.api("DELETE", f"results/{rid}?files=true")
    assert status == 200, body
    assert body["deleted"] == {"id": rid, "name": "exp/run1", "path": str(run_dir), "files_deleted": True}
    assert not run_dir.exists()
    assert not os.listdir(root / ".trainui" / "deleting")  # moved aside, then removed
    assert app.api("GET", f"results/{rid}")[0] == 404
    for sub in ("logs", "commands", "assets"):
        assert app.api("GET", f"results/{rid}/{sub}")[0] == 404
    assert [r["id"] for r in app.api("GET", f"projects/{project_id}/results?include_unregistered=1")[1]["results"]] == [kept]
    with app.db.session() as s:  # the cascade left nothing behind
        for table in ("metric_blocks", "commands", "snapshots", "assets"):
            assert s.execute(__import__("sqlalchemy").text(f"SELECT count(*) FROM {table} WHERE result_id = {rid}")).scalar() == 0
    assert find_result_dirs(str(root)) == [str(keep_dir)]  # a scan finds only the other run
    assert app.ingest(project_id, run_dir) is None
    assert keep_dir.is_dir() and app.api("GET", f"results/{kept}/logs?keys=main/loss")[0] == 200


def test_a_result_whose_files_are_still_there_is_refused_without_files(app_on_both, project):
    app, (project_id, root) = app_on_both, project
    run_into(root / "run")
    rid = ingested(app, project_id, root / "run")
    status, body = app.api("DELETE", f"results/{rid}")
    assert status == 409
    assert "still in" in body["message"] and "files=true" in body["message"] and "unregister" in body["message"]
    assert app.api("GET", f"results/{rid}")[0] == 200 and (root / "run" / "log").is_file()


def test_a_result_whose_directory_is_gone_is_deleted_without_files(app_on_both, project):
    app, (project_id, root) = app_on_both, project
    run_into(root / "run")
    rid = ingested(app, project_id, root / "run")
    shutil.rmtree(root / "run")
    app.ingest(project_id, root / "run")
    status, body = app.api("DELETE", f"results/{rid}")
    assert status == 200 and body["deleted"]["files_deleted"] is False
    assert app.api("GET", f"results/{rid}")[0] == 404
    status, body = app.api("DELETE", f"results/{rid}")
    assert status == 404 and "does not exist" in body["message"]


def test_a_running_result_is_refused_unless_forced(app_on_both, project):
    app, (project_id, root) = app_on_both, project
    run = run_into(root / "live", close=False)
    try:
        rid = ingested(app, project_id, root / "live")
        assert app.api("GET", f"results/{rid}")[1]["result"]["status"] == "running"
        status, body = app.api("DELETE", f"results/{rid}?files=true")
        assert status == 409 and "running" in body["message"] and "stop it first" in body["message"]
        assert (root / "live" / "log").is_file() and app.api("GET", f"results/{rid}")[0] == 200
        status, body = app.api("DELETE", f"results/{rid}?files=true&force=true")
        assert status == 200 and body["deleted"]["files_deleted"] is True
        assert not (root / "live").exists()
    finally:
        run.close()


def test_files_are_deleted_only_inside_the_project(app_on_both, project, tmp_path):
    app, (project_id, root) = app_on_both, project
    outside = tmp_path / "elsewhere" / "precious"
    run_into(outside)
    with app.db.session(write=True) as s:  # a row naming a directory outside its project (an old database)
        row = Result(project_id=project_id, path=str(outside), name="outside", args={}, last_values={}, keys=[], job={})
        s.add(row)
        s.flush()
        outside_id = row.id
    status, body = app.api("DELETE", f"results/{outside_id}?files=true")
    assert status == 409 and "not inside" in body["message"]
    assert (outside / "log").is_file()

    run_into(root / "linked")  # ingested as a directory of the project, then replaced by a link out of it
    linked = ingested(app, project_id, root / "linked")
    shutil.rmtree(root / "linked")
    os.symlink(outside, root / "linked")
    status, body = app.api("DELETE", f"results/{linked}?files=true")
    assert status == 409 and "symbolic links resolved" in body["message"]
    assert (outside / "log").is_file() and os.path.islink(root / "linked")
    assert app.api("GET", f"results/{linked}")[0] == 200


def test_the_project_directory_and_a_directory_holding_other_runs_are_refused(app_on_both, project):
    app, (project_id, root) = app_on_both, project
    run_into(root)  # the project directory is itself a result
    run_into(root / "outer")
    run_into(root / "outer" / "inner")
    top, outer = ingested(app, project_id, root), ingested(app, project_id, root / "outer")
    ingested(app, project_id, root / "outer" / "inner")
    status, body = app.api("DELETE", f"results/{top}?files=true")
    assert status == 409 and "the project directory itself" in body["message"]
    status, body = app.api("DELETE", f"results/{outer}?files=true")
    assert status == 409 and "holds other results" in body["message"]
    assert (root / "outer" / "inner" / "log").is_file() and (root / "log").is_file()


def test_bad_parameters_are_refused(app_on_both, project):
    app = app_on_both
    assert app.api("DELETE", "results/999999")[0] == 404
    status, body = app.api("DELETE", "results/999999?files=perhaps")
    assert status == 400 and "files" in body["message"]


def test_an_ingest_turn_that_read_the_result_before_the_delete_does_not_bring_it_back(app_on_both, project):
    """The race of a delete with an ingestion worker (another process on PostgreSQL): the worker
    read the result's position and files, the delete commits, then the worker hands in its batch."""
    app, (project_id, root) = app_on_both, project
    run = run_into(root / "run", close=False)
    rid = ingested(app, project_id, root / "run")
    run.log({"main/loss": 0.1}, iteration=5)
    run.close()
    store = Store(app.db)
    position = store.apply.position(project_id, str(root / "run"))
    read = read_result(project_id, str(root / "run"), position, 1 << 20, str(root))
    assert read.batch.log is not None and read.batch.log.entries  # it read something new
    store.results.delete(rid, files=True, force=True)  # the store has not seen the job end yet
    applied = store.apply.batch(read.batch)
    assert applied.result_id is None
    assert store.results.list(project_id, include_unregistered=True) == []


def test_a_deleted_directory_waiting_for_removal_is_no_result(tmp_path):
    project_dir = tmp_path / "p"
    waiting = project_dir / ".trainui" / "deleting" / "3-ab12"
    waiting.mkdir(parents=True)
    (waiting / "log").write_text("[]")
    assert result_dir_of(str(waiting / "log"), str(project_dir)) is None
    assert find_result_dirs(str(project_dir)) == []


def test_the_cli_deletes_after_confirmation(app_on_both, project):
    app, (project_id, root) = app_on_both, project
    run_into(root / "run")
    rid = ingested(app, project_id, root / "run")
    runner = CliRunner()
    answered_no = runner.invoke(main, ["result", "delete", str(rid), "--files", "--db", app.db.url], input="n\n")
    assert answered_no.exit_code == 2 and "nothing deleted" in answered_no.output
    assert (root / "run" / "log").is_file()
    refused = runner.invoke(main, ["result", "delete", str(rid), "--yes", "--db", app.db.url])
    assert refused.exit_code == 2 and "still in" in refused.output
    done = runner.invoke(main, ["result", "delete", str(rid), "--files", "--yes", "--db", app.db.url])
    assert done.exit_code == 0, done.output
    assert f"deleted result {rid} ('run') and its directory" in done.output and not (root / "run").exists()
    unknown = runner.invoke(main, ["result", "delete", str(rid), "--yes", "--db", app.db.url])
    assert unknown.exit_code == 2 and "does not exist" in unknown.output


def test_a_run_shipped_over_http_is_deleted_but_has_no_files_here(app_on_both):
    app = app_on_both
    status, body = app.api("POST", "runs", json={"project": "remote", "run_uid": "abcdefgh12", "name": "far"})
    assert status == 201, body
    rid = body["result"]["id"]
    status, body = app.api("DELETE", f"results/{rid}?files=true")
    assert status == 409 and "shipped over HTTP" in body["message"]
    status, body = app.api("DELETE", f"results/{rid}")
    assert status == 200 and body["deleted"]["files_deleted"] is False
    assert app.api("GET", f"results/{rid}")[0] == 404


def test_an_ingest_worker_lets_go_of_a_deleted_result(app_on_both, project):
    """On PostgreSQL a worker holds an advisory lock per result it reads; a deleted result's goes
    on the worker's next polling pass instead of counting against its share for ever."""
    app, (project_id, root) = app_on_both, project
    if app.db.is_sqlite:
        pytest.skip("leases are PostgreSQL's advisory locks; on SQLite one process reads everything")
    from sqlalchemy import text

    run_into(root / "run")
    rid = ingested(app, project_id, root / "run")
    leases = Store(app.db).leases()
    try:
        assert leases.acquire(rid)
        held = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = :space AND objid = :id"
        with app.db.engine.connect() as c:
            assert c.execute(text(held), {"space": 0x7472, "id": rid}).scalar() == 1
        Store(app.db).results.delete(rid, files=True)
        leases.release_all_but({r[0] for r in Store(app.db).results.to_watch()[0]})
        with app.db.engine.connect() as c:
            assert c.execute(text(held), {"space": 0x7472, "id": rid}).scalar() == 0
    finally:
        leases.close()


def test_a_project_trash_that_links_out_of_the_project_is_refused(app_on_both, project, tmp_path):
    app, (project_id, root) = app_on_both, project
    run_into(root / "run")
    rid = ingested(app, project_id, root / "run")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.symlink(elsewhere, root / ".trainui")  # the project's .trainui is a link out of it
    status, body = app.api("DELETE", f"results/{rid}?files=true")
    assert status == 409 and "leads outside" in body["message"]
    assert os.listdir(elsewhere) == [] and (root / "run" / "log").is_file()
    assert app.api("GET", f"results/{rid}")[0] == 200


def test_deleting_a_run_shipped_over_http_removes_the_console_the_server_kept(app, tmp_path):
    status, body = app.api("POST", "runs", json={"project": "shipped", "run_uid": "console-run-1"})
    rid = body["result"]["id"]
    sent = app.client.post(f"/api/v1/results/{rid}/console?rank=0&offset=0", data=b"epoch 1\n",
                           headers={"Content-Type": "text/plain; charset=utf-8"})
    assert sent.status_code == 200, sent.get_json()
    assert "epoch 1" in app.api("GET", f"results/{rid}/console")[1]["text"]
    kept = [p for p in (Path(app.flask.config["TRAINUI"].data_root) / "consoles").iterdir()]
    assert len(kept) == 1
    status, body = app.api("DELETE", f"results/{rid}")
    assert status == 200, body
    assert not kept[0].exists()
