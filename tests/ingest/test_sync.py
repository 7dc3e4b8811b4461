"""One result directory into the store, with every kind of bad input a user's disk can hold."""
import json
import math
import os
import subprocess
import sys
import time

import numpy as np
import pytest

from trainui.ingest.discovery import find_result_dirs
from trainui.ingest.reader import TORN_TAIL_GRACE
from trainui.ingest.sync import sync_result
from trainui.store import Store
from trainui.store import results as result_store



def sync(database, project, path):
    return sync_result(database, project[0], str(path))


def result(database, result_id):
    with database.session() as s:
        return result_store.get_result(s, result_id)


def series(database, result_id, key, x="iteration"):
    out = Store(database).series.read(result_id, [key], x, 100_000)["series"][key]
    return out["x"].tolist(), out["y"].tolist()


def age(path, seconds):
    t = time.time() - seconds
    os.utime(path, (t, t))


def test_chainer_result_with_args(database, project, tmp_path, write_log):
    run = tmp_path / "project" / "run"
    write_log(run, [{"epoch": 1, "iteration": i, "main/loss": 1 / i} for i in range(1, 11)], indent=4)
    (run / "args").write_text(json.dumps({"lr": 0.1, "batchsize": 32}))
    (run / "snapshot_iter_10").write_bytes(b"x" * 10)
    rid = sync(database, project, run)
    r = result(database, rid)
    assert r["args"] == {"lr": 0.1, "batchsize": 32}
    assert r["last_values"]["main/loss"] == pytest.approx(0.1)
    assert r["entry_count"] == 10 and r["ingest_error"] is None
    with database.session() as s:
        assert [x["iteration"] for x in result_store.get_result(s, rid, detail=True)["snapshots"]] == [10]


def test_sync_is_idempotent_and_incremental(database, project, tmp_path, write_log):
    run = tmp_path / "project" / "run"
    write_log(run, [{"iteration": i, "v": float(i)} for i in range(3000)])
    rid = sync(database, project, run)
    sync(database, project, run)
    xs, ys = series(database, rid, "v")
    assert xs == list(map(float, range(3000))) and ys == xs
    write_log(run, [{"iteration": i, "v": float(i)} for i in range(3001)])
    sync(database, project, run)
    assert series(database, rid, "v")[0][-2:] == [2999.0, 3000.0]
    assert result(database, rid)["entry_count"] == 3001


def test_empty_log_then_data(database, project, tmp_path, write_log):
    run = tmp_path / "project" / "run"
    run.mkdir()
    (run / "log").write_text("")
    rid = sync(database, project, run)
    assert result(database, rid)["entry_count"] == 0
    write_log(run, [{"iteration": 1, "loss": 2.0}])
    sync(database, project, run)
    assert result(database, rid)["last_values"] == {"iteration": 1.0, "loss": 2.0}


def test_truncated_mid_entry_shows_what_it_can_and_recovers(database, project, tmp_path):
    run = tmp_path / "project" / "run"
    run.mkdir()
    log = run / "log"
    log.write_text('[{"iteration": 1, "loss": 1.0}, {"iteration": 2, "loss": 0.5}, {"iteration": 3, "lo')
    rid = sync(database, project, run)
    assert result(database, rid)["entry_count"] == 2
    assert result(database, rid)["ingest_error"] is None  # fresh: a writer may be mid-flush
    age(log, TORN_TAIL_GRACE + 1)
    sync(database, project, run)
    assert "incomplete entry at byte 63 (2 entries read before it)" in result(database, rid)["ingest_error"]
    log.write_text('[{"iteration": 1, "loss": 1.0}, {"iteration": 2, "loss": 0.5}, {"iteration": 3, "loss": 0.2}]')
    sync(database, project, run)
    r = result(database, rid)
    assert r["entry_count"] == 3 and r["ingest_error"] is None
    assert series(database, rid, "loss") == ([1.0, 2.0, 3.0], [1.0, 0.5, 0.2])


def test_garbage_bytes_then_fixed(database, project, tmp_path, write_log):
    run = tmp_path / "project" / "run"
    run.mkdir()
    (run / "log").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00garbage")
    rid = sync(database, project, run)
    assert "not a JSON array" in result(database, rid)["ingest_error"]
    write_log(run, [{"iteration": 1, "loss": 3.0}])
    sync(database, project, run)
    r = result(database, rid)
    assert r["ingest_error"] is None and r["last_values"]["loss"] == 3.0


def test_garbage_in_the_middle_keeps_the_prefix(database, project, tmp_path):
    run = tmp_path / "project" / "run"
    run.mkdir()
    (run / "log").write_bytes(b'[{"iteration": 1, "loss": 1.0}, \x00\x01 nonsense {"iteration": 2}]')
    rid = sync(database, project, run)  # just written, but closed by its bracket: damaged, not mid-flush
    r = result(database, rid)
    assert r["entry_count"] == 1 and "invalid JSON at byte 32" in r["ingest_error"]
    assert "1 entries read before it" in r["ingest_error"]


def test_non_finite_strings_and_nested_values(database, project, tmp_path):
    run = tmp_path / "project" / "run"
    run.mkdir()
    (run / "log").write_text('[{"iteration": 1, "loss": NaN, "acc": Infinity, "note": "warmup", '
                             '"nested": {"a": 1}, "list": [1, 2], "flag": true},'
                             ' {"iteration": 2, "loss": 0.5, "acc": -Infinity}]')
    rid = sync(database, project, run)
    r = result(database, rid)
    assert r["ingest_error"] is None
    assert set(r["keys"]) == {"iteration", "loss", "acc", "flag"}
    assert r["last_values"]["acc"] == "-Infinity"  # not JSON as a number: said in words, never null
    xs, ys = series(database, rid, "loss")
    assert xs == [1.0, 2.0] and math.isnan(ys[0]) and ys[1] == 0.5
    marked = Store(database).series.read(rid, ["loss", "acc"], "iteration", 1000)["series"]
    assert marked["loss"]["nonfinite"]["x"].tolist() == [1.0] and marked["loss"]["nonfinite"]["value"] == ["NaN"]
    assert marked["acc"]["nonfinite"]["value"] == ["Infinity", "-Infinity"]


@pytest.mark.parametrize("content", ["", "[1, 2]", "not json", "null"])
def test_bad_args_do_not_block_the_log(database, project, tmp_path, content, write_log):
    run = tmp_path / "project" / "run"
    write_log(run, [{"iteration": 1, "loss": 1.0}])
    (run / "args").write_text(content)
    rid = sync(database, project, run)
    r = result(database, rid)
    assert r["args"] == {} and r["entry_count"] == 1


def test_deleted_directory_keeps_what_was_ingested(database, project, tmp_path, write_log):
    run = tmp_path / "project" / "run"
    write_log(run, [{"iteration": i, "loss": 1.0} for i in range(5)])
    rid = sync(database, project, run)
    for f in run.iterdir():
        f.unlink()
    run.rmdir()
    assert sync(database, project, run) == rid
    r = result(database, rid)
    assert r["missing"] and r["entry_count"] == 5


def test_directory_deleted_while_being_read(database, project, tmp_path, write_log, monkeypatch):
    from trainui.protocol import logreader

    run = tmp_path / "project" / "run"
    write_log(run, [{"iteration": i, "loss": float(i)} for i in range(20000)])
    real_open = logreader.open_regular
    calls = {"n": 0}

    def deleting_open(path, *args, **kwargs):  # the directory goes away between two chunk reads
        if str(path).endswith("log"):
            calls["n"] += 1
            if calls["n"] == 2:
                for f in run.iterdir():
                    f.unlink()
                run.rmdir()
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(logreader, "open_regular", deleting_open)
    rid = sync_result(database, project[0], str(run), chunk_bytes=64 * 1024)
    r = result(database, rid)
    assert 0 < r["entry_count"] < 20000  # what was read is kept
    assert r["missing"]  # and the result says its directory is gone


def test_symlink_loop_ends_the_walk(tmp_path, write_log):
    root = tmp_path / "project"
    write_log(root / "a" / "run", [{"iteration": 1}])
    os.symlink(root, root / "a" / "loop")
    os.symlink(root / "missing", root / "dangling")
    assert find_result_dirs(str(root)) == [str(root / "a" / "run")]


def test_unreadable_log_is_reported_not_fatal(database, project, tmp_path, write_log):
    """As root, drop the capabilities that bypass file permissions so that the test means something."""
    run = tmp_path / "project" / "run"
    write_log(run, [{"iteration": 1, "loss": 1.0}])
    (run / "log").chmod(0)
    if os.geteuid() != 0:
        rid = sync(database, project, run)
    else:
        code = ("from trainui.store import Database; from trainui.ingest.sync import sync_result;"
                f"print(sync_result(Database({database.url!r}), {project[0]}, {str(run)!r}))")
        out = subprocess.run(["setpriv", "--bounding-set", "-dac_override,-dac_read_search", sys.executable,
                              "-c", code], capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        rid = int(out.stdout.strip().splitlines()[-1])
    r = result(database, rid)
    assert "cannot read log" in r["ingest_error"] and "ermission" in r["ingest_error"]
    (run / "log").chmod(0o644)
    sync(database, project, run)
    assert result(database, rid)["ingest_error"] is None
    assert result(database, rid)["entry_count"] == 1


def test_large_chunked_ingest_matches_the_file(database, project, tmp_path, write_log):
    run = tmp_path / "project" / "run"
    rng = np.random.default_rng(0)
    values = rng.normal(size=30000)
    write_log(run, [{"iteration": i, "v": float(v)} for i, v in enumerate(values)])
    rid = sync_result(database, project[0], str(run), chunk_bytes=100_000)
    xs, ys = series(database, rid, "v")
    assert len(xs) == 30000 and np.allclose(ys, values)


def test_cached_series_follow_appends_and_replacements(database, project, tmp_path, write_log):
    run = tmp_path / "project" / "run"
    write_log(run, [{"iteration": i, "v": 1.0} for i in range(1500)])
    rid = sync(database, project, run)

    def cached(key="v"):
        out = Store(database).series.read(rid, [key], "iteration", 100_000)["series"][key]
        return out["x"].tolist(), out["y"].tolist()

    assert cached()[1] == [1.0] * 1500
    write_log(run, [{"iteration": i, "v": 1.0} for i in range(2100)])
    sync(database, project, run)
    assert len(cached()[0]) == 2100  # grown across a block boundary
    write_log(run, [{"iteration": i, "v": 2.0} for i in range(2100)])  # same size, other content
    sync(database, project, run)
    xs, ys = cached()
    assert len(xs) == 2100 and set(ys) == {2.0}


def test_silent_job_on_another_host_is_crashed_after_its_heartbeat_times_out(database, project, tmp_path,
                                                                              write_log):
    from trainui import protocol
    from trainui.store import commands as command_store

    run = tmp_path / "project" / "remote"
    write_log(run, [{"iteration": 1}])
    status = protocol.JobStatus(status="running", pid=1, host="gpu-node-7", started_at=time.time() - 60,
                                heartbeat_at=time.time(), heartbeat_interval=2.0)
    protocol.atomic_write_json(str(run / protocol.STATUS), status.to_json())
    rid = sync(database, project, run)
    assert result(database, rid)["status"] == "running"
    with database.session(write=True) as s:
        command = command_store.create_command(s, rid, {"name": "stop"})
    status.heartbeat_at = time.time() - 3.5 * 2.0  # older than 3 heartbeat intervals
    protocol.atomic_write_json(str(run / protocol.STATUS), status.to_json())
    sync(database, project, run)
    assert result(database, rid)["status"] == "crashed"
    with database.session() as s:
        (listed,) = command_store.list_commands(s, rid)
    assert listed["status"] == "CANCELLED"


def test_answer_and_final_status_seen_in_one_pass_keep_the_answer(database, project, tmp_path, write_log):
    """A job answers `stop` and writes its final status before the server looks: SUCCESS, not CANCELLED."""
    from trainui import protocol
    from trainui.store import commands as command_store

    run = tmp_path / "project" / "stopping"
    write_log(run, [{"iteration": 1}])
    status = protocol.JobStatus(status="running", pid=0, host="elsewhere", heartbeat_at=time.time())
    protocol.atomic_write_json(str(run / protocol.STATUS), status.to_json())
    rid = sync(database, project, run)
    with database.session(write=True) as s:
        command = command_store.create_command(s, rid, {"name": "stop"})
    answer = protocol.CommandResponse(uid=command["uid"], name="stop", status="SUCCESS", iteration=7, ranks=2)
    protocol.atomic_write_json(protocol.command_outbox_path(str(run), command["uid"]), answer.to_json())
    status.status, status.ended_at = "stopped", time.time()
    protocol.atomic_write_json(str(run / protocol.STATUS), status.to_json())
    sync(database, project, run)
    with database.session() as s:
        (listed,) = command_store.list_commands(s, rid)
    assert listed["status"] == "SUCCESS" and listed["iteration"] == 7 and listed["ranks"] == 2
    assert result(database, rid)["status"] == "stopped"


def test_a_failure_no_rank_applied_reports_zero_ranks():
    from trainui import protocol

    parsed = protocol.CommandResponse.from_json({"uid": "u", "status": "FAILURE", "ranks": 0})
    assert parsed.ranks == 0
    assert protocol.CommandResponse.from_json({"uid": "u", "status": "SUCCESS"}).ranks == 1


def test_chainerui_commands_file_is_read_as_history(database, project, tmp_path, write_log):
    from trainui.store import commands as command_store

    run = tmp_path / "project" / "chainer"
    write_log(run, [{"iteration": 100, "epoch": 1}])
    (run / "commands").write_text(json.dumps([
        {"id": 1, "name": "adjust_hyperparams", "request": {"body": {"lr": 0.01}, "status": "OPEN"},
         "response": {"epoch": 1, "iteration": 100, "status": "SUCCESS", "body": {"lr": 0.01}}},
        {"id": 2, "name": "take_snapshot", "request": {"status": "OPEN"}, "response": None},
        "garbage", {"no": "name"}]))
    rid = sync(database, project, run)
    sync(database, project, run)  # idempotent
    with database.session() as s:
        listed = command_store.list_commands(s, rid)
    assert [(c["name"], c["status"], c["iteration"]) for c in listed] == [
        ("adjust_hyperparams", "SUCCESS", 100), ("take_snapshot", "CANCELLED", None)]
    (run / "commands").write_text("{truncated")
    sync(database, project, run)  # a broken file hides nothing already read


def test_very_long_series_drawn_from_block_extremes_match_the_data(database, project, tmp_path, write_log):
    """Past BLOCK_SIZE * max_points entries a whole-series query reads only the blocks' extremes."""
    n = 41_000
    rng = np.random.default_rng(1)
    values = rng.normal(size=n)
    values[12_345], values[30_001] = 50.0, -40.0
    values[2048:3072] = np.nan  # a block of NaN only
    entries = [{"iteration": i * 10, "v": float(v)} for i, v in enumerate(values)]
    for i in range(5000, 5100):
        del entries[i]["iteration"]  # entries without the x key are left out
    write_log(tmp_path / "project" / "long", entries)
    rid = sync(database, project, tmp_path / "project" / "long")
    quick = Store(database).series.read(rid, ["v"], "iteration", 20)["series"]["v"]
    exact = Store(database).series.read(rid, ["v"], "iteration", 20, x_min=-1.0)["series"]["v"]  # a range: decoded
    # total counts the chart's points (entries holding both keys), on either path
    assert quick["downsampled"] and len(quick["x"]) <= 20 and quick["total"] == exact["total"] == n - 100
    assert 50.0 in quick["y"].tolist() and -40.0 in quick["y"].tolist()
    assert max(quick["y"]) == max(exact["y"]) and min(quick["y"]) == min(exact["y"])
    by_x = {e["iteration"]: e["v"] for e in entries if "iteration" in e}
    for x, y in zip(quick["x"].tolist(), quick["y"].tolist()):
        assert by_x[x] == y  # every point is a real entry, at its own x


def test_a_new_result_is_filed_in_the_innermost_project_registered_now(database, project, tmp_path, write_log):
    """A reader whose picture of the projects predates a nested project (it names the outer one)
    still files a new result in the nested project: the store decides by its projects table."""
    from trainui.store import projects as project_store

    inner = tmp_path / "project" / "inner"
    inner.mkdir()
    with database.session(write=True) as s:
        inner_id = project_store.create_project(s, str(inner), "inner")["id"]
    write_log(inner / "new", [{"iteration": 1, "v": 1.0}])
    rid = sync(database, project, inner / "new")  # told: the outer project
    assert result(database, rid)["project_id"] == inner_id
    assert result(database, rid)["name"] == "new"



def test_registering_a_nested_project_moves_the_results_below_it_in_its_transaction(db_url, tmp_path, write_log):
    """Issue 19: the results under a newly registered nested project are its own as soon as it exists,
    on SQLite and PostgreSQL alike (a failed registration moves nothing)."""
    from trainui.store import Conflict, Database
    from trainui.store import projects as project_store
    from trainui.store.schema import ensure_schema

    database = Database(db_url)
    ensure_schema(database)
    try:
        outer = tmp_path / "outer"
        inner = outer / "inner"
        write_log(inner / "run1", [{"iteration": 1, "v": 1.0}])
        write_log(outer / "mine", [{"iteration": 1, "v": 2.0}])
        with database.session(write=True) as s:
            outer_id = project_store.create_project(s, str(outer), "outer")["id"]
        moved, kept = (sync_result(database, outer_id, str(inner / "run1")),
                       sync_result(database, outer_id, str(outer / "mine")))
        assert result(database, moved)["name"] == "inner/run1"
        with pytest.raises(Conflict):
            with database.session(write=True) as s:
                project_store.create_project(s, str(inner), "inner")
                project_store.create_project(s, str(inner), "again")  # refused: the whole transaction goes
        assert result(database, moved)["project_id"] == outer_id
        with database.session(write=True) as s:
            created = project_store.create_project(s, str(inner), "inner")
        assert created["result_count"] == 1
        assert (result(database, moved)["project_id"], result(database, moved)["name"]) == (created["id"], "run1")
        assert result(database, kept)["project_id"] == outer_id
        with database.session() as s:
            assert {p["name"]: p["result_count"] for p in project_store.list_projects(s)} == {"outer": 1, "inner": 1}
    finally:
        database.dispose()
