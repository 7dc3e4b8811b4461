"""Whatever a job's files hold, ingestion stores what it can, says what it cannot, and keeps going:
on SQLite and on PostgreSQL (which refuses more: NUL characters, over-long keys, huge integers)."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from trainui import protocol
from trainui.ingest.sync import sync_result
from trainui.store import Store
from trainui.store import commands as command_store
from trainui.store import results as result_store
from trainui.trainer.logfile import LogWriter


pytestmark = pytest.mark.usefixtures("db_url")  # the conftest's database: on SQLite and on PostgreSQL


def result(database, rid, detail=False):
    with database.session() as s:
        return result_store.get_result(s, rid, detail=detail)


def test_two_writers_corrupting_one_log_show_where_and_keep_every_entry_before(database, project):
    """Two processes that both think they are rank 0 write one `log` (the torchrun mistake)."""
    run = Path(project[1]) / "run"
    run.mkdir()
    first, second = LogWriter(str(run / "log"), flush_every=3), LogWriter(str(run / "log"), flush_every=3)
    for i in range(30):
        first.append({"iteration": i, "main/loss": 1.0 / (i + 1)})
        second.append({"iteration": i, "main/loss": 1.0 / (i + 1), "note": "x" * (i % 7)})
    first.close()
    second.close()
    data = (run / "log").read_bytes()
    with pytest.raises(ValueError):
        json.loads(data)
    good = _valid_prefix(data)
    rid = sync_result(database, project[0], str(run))  # just written, yet reported at once: the file is closed
    r = result(database, rid)
    assert r["entry_count"] == len(good) > 0
    assert f"past byte {_stop_offset(data, good)}" in r["ingest_error"]
    assert f"({len(good)} entries read before it" in r["ingest_error"]
    series = Store(database).series.read(rid, ["main/loss"], max_points=1000)["series"]["main/loss"]
    assert series["y"].tolist() == [e["main/loss"] for e in good]  # nothing before the damage is lost
    sync_result(database, project[0], str(run))
    assert result(database, rid)["entry_count"] == len(good)  # and nothing is stored twice


def test_status_file_with_wrong_types_is_an_error_not_a_stall(database, project):
    run = Path(project[1]) / "run"
    run.mkdir()
    (run / "log").write_text(json.dumps([{"iteration": 1, "loss": 1.0}]))
    (run / ".trainui").mkdir()
    for bad in ({"status": "running", "pid": "twelve"}, {"status": "running", "heartbeat_at": "soon"},
                {"status": "running", "world_size": 0}, {"status": "running", "iteration": 10 ** 30},
                {"status": "running", "commands": [1, 2]}, {"status": "exploded"}, [1, 2]):
        (run / ".trainui" / "status.json").write_text(json.dumps(bad))
        rid = sync_result(database, project[0], str(run))
        r = result(database, rid)
        assert r["ingest_error"] and "status.json" in r["ingest_error"], bad
        assert r["entry_count"] == 1
    good = protocol.JobStatus(status="finished", pid=1, host="elsewhere", heartbeat_at=time.time(), ended_at=time.time())
    (run / ".trainui" / "status.json").write_text(json.dumps(good.to_json()))
    sync_result(database, project[0], str(run))
    r = result(database, rid)
    assert r["ingest_error"] is None and r["status"] == "finished"


def test_values_beyond_what_columns_hold_are_reported_and_the_rest_stored(database, project):
    run = Path(project[1]) / "run"
    run.mkdir()
    long_key = "k" * 300
    (run / "log").write_text(
        '[{"iteration": 1, "%s": 1.0, "nul\\u0000key": 2.0, "huge": %s, "loss": 0.5}]' % (long_key, "9" * 400))
    (run / "snapshot_iter_99999999999999999999999").write_bytes(b"x")
    (run / "snapshot_iter_5").write_bytes(b"x")
    (run / ".trainui").mkdir()
    (run / ".trainui" / "assets.jsonl").write_text(
        json.dumps({"tag": "t", "step": 10 ** 30, "path": "assets/a.png"}) + "\n"
        + json.dumps({"tag": "t\u0000", "step": 1, "path": "assets/a.png"}) + "\n"
        + json.dumps({"tag": "ok", "step": 2, "path": "assets/b.png"}) + "\n")
    (run / "args").write_text(json.dumps({"name": "a\u0000b", "lr": 0.1}))
    rid = sync_result(database, project[0], str(run))
    r = result(database, rid, detail=True)
    assert r["entry_count"] == 1
    assert "2 metric keys not stored" in r["ingest_error"] and "2 unreadable lines" in r["ingest_error"]
    assert r["last_values"]["loss"] == 0.5 and r["last_values"]["huge"] == "Infinity"
    assert [s["iteration"] for s in r["snapshots"]] == [5]
    assert r["args"] == {"name": "ab", "lr": 0.1}
    with database.session() as s:
        from trainui.store.files import list_assets
        assert [a["tag"] for a in list_assets(s, rid)] == ["ok"]


def test_command_answer_with_unusable_numbers_is_stored_safely(database, project):
    run = Path(project[1]) / "run"
    run.mkdir()
    (run / "log").write_text(json.dumps([{"iteration": 1}]))
    status = protocol.JobStatus(status="running", pid=0, host="elsewhere", heartbeat_at=time.time())
    protocol.atomic_write_json(str(run / protocol.STATUS), status.to_json())
    rid = sync_result(database, project[0], str(run))
    with database.session(write=True) as s:
        uid = command_store.create_command(s, rid, {"name": "evaluate"})["uid"]
    sync_result(database, project[0], str(run))  # delivered into the inbox
    assert (run / protocol.COMMANDS_INBOX / f"{uid}.json").is_file()
    (run / protocol.COMMANDS_OUTBOX).mkdir(parents=True, exist_ok=True)
    (run / protocol.COMMANDS_OUTBOX / f"{uid}.json").write_text(
        '{"uid": "%s", "status": "SUCCESS", "iteration": %s, "ranks": "two", "body": {"loss": NaN, "t": "a\\u0000"}}'
        % (uid, "1" * 40))
    sync_result(database, project[0], str(run))
    with database.session() as s:
        (command,) = command_store.list_commands(s, rid)
    assert command["status"] == "SUCCESS" and command["iteration"] is None and command["ranks"] == 1
    assert command["response"] == {"loss": None, "t": "a"}
    assert not (run / protocol.COMMANDS_INBOX / f"{uid}.json").exists()  # withdrawn once answered


def _valid_prefix(data: bytes) -> list:
    """The entries a careful reader can take from the start of a damaged array."""
    decoder = json.JSONDecoder()
    text = data.decode()
    pos, out = text.index("[") + 1, []
    while True:
        while text[pos] in " \n,":
            pos += 1
        try:
            value, pos = decoder.raw_decode(text, pos)
        except ValueError:
            return out
        out.append(value)


def _stop_offset(data: bytes, good: list) -> int:
    text = data.decode()
    decoder = json.JSONDecoder()
    pos = text.index("[") + 1
    for _ in good:
        while text[pos] in " \n,":
            pos += 1
        _, pos = decoder.raw_decode(text, pos)
    return len(text[:pos].encode())  # just past the last entry that parses


def test_a_lone_surrogate_reported_by_the_trainer_neither_kills_the_job_nor_hides_the_entry(database, project):
    """``run.log({"\\ud800": 1})`` raised UnicodeEncodeError inside the job. UTF-8 cannot spell a lone
    surrogate: the trainer writes it as a JSON escape and ingestion shows the entry, the bad text
    replaced, the key it cannot store named in the result's ingest error, the entries around it kept."""
    import trainui

    run_dir = Path(project[1]) / "surrogates"
    with trainui.Run(str(run_dir), progress=False, flush_interval=3600) as run:
        run.log({"main/loss": 1.0}, iteration=1)
        run.log({"main/loss": 0.5, "\ud800": 1, "note": "a\udc80b"}, iteration=2)
        run.log({"main/loss": 0.25}, iteration=3)
    assert json.loads((run_dir / "log").read_bytes())[1]["\ud800"] == 1  # valid JSON, escaped
    rid = sync_result(database, project[0], str(run_dir))
    r = result(database, rid)
    assert r["entry_count"] == 3, r
    series = Store(database).series.read(rid, ["main/loss"], max_points=1000)["series"]["main/loss"]
    assert series["y"].tolist() == [1.0, 0.5, 0.25]
    assert "metric key not stored" in r["ingest_error"] and "\\ud800" in r["ingest_error"], r  # which key
