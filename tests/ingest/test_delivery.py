"""Commands on their own path: the ingestion service's delivery loop writes a real job's inbox and
records its outbox answers without an ingest turn of the result (ingestion is held here: every turn
blocks), each answer once, also across restarts of the service, on SQLite and PostgreSQL."""
from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path

import pytest

from trainui import Run, protocol
from trainui.ingest import service as service_module
from trainui.ingest.service import IngestionService
from trainui.store import Database
from trainui.store import commands as command_store
from trainui.store import projects as project_store
from trainui.store.results import list_results
from trainui.store.schema import ensure_schema


@pytest.fixture
def db(db_url):
    database = Database(db_url)
    ensure_schema(database)
    yield database
    database.dispose()


class HeldIngestion:
    """Counts the ingest turns the service starts and, while ``held``, blocks each one: what the
    delivery loop does meanwhile needs no turn."""

    def __init__(self, monkeypatch):
        self.started = 0
        self.free = threading.Event()
        self.free.set()
        real = service_module.ingest_turn

        def turn(*args, **kwargs):
            self.started += 1
            self.free.wait(30)
            return real(*args, **kwargs)

        monkeypatch.setattr(service_module, "ingest_turn", turn)

    def hold(self) -> None:
        self.free.clear()

    def release(self) -> None:
        self.free.set()


def wait_for(predicate, timeout=10.0, what="the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


def a_running_job(out: Path) -> Run:
    run = Run(str(out), args={"lr": 0.1}, progress=False, handle_signals=False, poll_interval=0, flush_interval=0)
    run.log({"loss": 1.0}, iteration=1)
    run.step(iteration=1)
    return run


def start_service(db) -> IngestionService:
    # a long poll interval: the poller's first pass is the only one a test sees unless it waits
    return IngestionService(db, poll_interval=60.0, use_watchdog=True).start()


def register(db, root: Path) -> int:
    with db.session(write=True) as s:
        return project_store.create_project(s, str(root), "p")["id"]


def running_result(db, project_id: int) -> int:
    def found():
        with db.session() as s:
            results = list_results(s, project_id)
        return results and results[0]["status"] == "running" and results[0]["id"]
    return wait_for(found, what="the job shown as running")


def post(db, result_id: int, name: str, **payload) -> dict:
    with db.session(write=True) as s:
        return command_store.create_command(s, result_id, {"name": name, **payload})


def listed(db, result_id: int) -> dict[str, dict]:
    with db.session() as s:
        return {c["uid"]: c for c in command_store.list_commands(s, result_id)}


def applied_uids(out: Path) -> list[str]:
    path = out / protocol.RANKS_DIR / "rank0.jsonl"
    return [json.loads(line)["uid"] for line in path.read_text().splitlines()] if path.exists() else []


def test_a_command_is_delivered_and_answered_while_ingestion_is_held(db, tmp_path, monkeypatch):
    root = tmp_path / "project"
    run = a_running_job(root / "run")
    seen = []
    run.command("note", lambda body: seen.append(body) or {"noted": body["text"]})
    project_id = register(db, root)
    turns = HeldIngestion(monkeypatch)
    service = start_service(db)
    try:
        rid = running_result(db, project_id)
        turns.hold()  # from here every ingest turn blocks: the log, args and status are not read again
        started = turns.started
        command = post(db, rid, "note", body={"text": "hi"})
        inbox = root / "run" / protocol.COMMANDS_INBOX / f"{command['uid']}.json"
        wait_for(inbox.is_file, timeout=5, what="the inbox file")
        assert turns.started == started  # delivered on the command's notice, not by an ingest turn
        assert json.loads(inbox.read_text())["body"] == {"text": "hi"}

        run.step(iteration=2)  # the job answers: its outbox file's event records the answer
        answered = wait_for(lambda: (c := listed(db, rid)[command["uid"]])["status"] != "PENDING" and c,
                            timeout=5, what="the answer recorded")
        assert (answered["status"], answered["response"], answered["iteration"]) == ("SUCCESS", {"noted": "hi"}, 2)
        assert seen == [{"text": "hi"}]
        wait_for(lambda: not inbox.exists(), timeout=5, what="the inbox file withdrawn")
    finally:
        turns.release()
        service.stop()
        run.close()


def test_each_answer_is_recorded_once_across_repeated_events_and_restarts(db, tmp_path, monkeypatch):
    root = tmp_path / "project"
    out = root / "run"
    run = a_running_job(out)
    project_id = register(db, root)
    service = start_service(db)
    try:
        rid = running_result(db, project_id)
        first = post(db, rid, "take_snapshot")
        wait_for(Path(protocol.command_inbox_path(str(out), first["uid"])).is_file, what="the first delivery")
        run.step(iteration=2)
        recorded = wait_for(lambda: (c := listed(db, rid)[first["uid"]])["status"] == "SUCCESS" and c,
                            what="the first answer")
        # the same answer seen again (its file rewritten: new file events) changes nothing
        outbox = Path(protocol.command_outbox_path(str(out), first["uid"]))
        protocol.atomic_write_json(str(outbox), json.loads(outbox.read_text()))
        time.sleep(0.5)
        assert listed(db, rid)[first["uid"]] == recorded
    finally:
        service.stop()

    # posted while no service runs: the next one delivers it on its first pass
    second = post(db, rid, "take_snapshot")
    service = start_service(db)
    try:
        wait_for(lambda: Path(protocol.command_inbox_path(str(out), second["uid"])).is_file(),
                 what="the delivery after a restart")
        third = post(db, rid, "take_snapshot")
        wait_for(lambda: Path(protocol.command_inbox_path(str(out), third["uid"])).is_file(), what="the third delivery")
    finally:
        service.stop()
    run.step(iteration=3)  # answered while no service runs: recorded by the next one
    assert listed(db, rid)[second["uid"]]["status"] == "PENDING"
    service = start_service(db)
    try:
        wait_for(lambda: all(listed(db, rid)[c["uid"]]["status"] == "SUCCESS" for c in (second, third)),
                 what="the answers given while the service was down")
    finally:
        service.stop()
    final = listed(db, rid)
    assert final[first["uid"]] == recorded  # never recorded a second time
    assert [final[c["uid"]]["iteration"] for c in (first, second, third)] == [2, 3, 3]
    assert sorted(applied_uids(out)) == sorted(c["uid"] for c in (first, second, third))  # each applied once
    answers = [protocol.CommandResponse.from_json(json.loads(Path(protocol.command_outbox_path(str(out), c["uid"]))
                                                             .read_text())) for c in (first, second, third)]
    assert command_store.record_answers(db, rid, answers) == []  # the store closes a command once
    run.close()


def test_a_job_that_ends_answers_what_it_applied_and_the_rest_is_cancelled(db, tmp_path):
    root = tmp_path / "project"
    out = root / "run"
    run = a_running_job(out)
    project_id = register(db, root)
    service = start_service(db)
    try:
        rid = running_result(db, project_id)
        now = post(db, rid, "take_snapshot")
        later = post(db, rid, "take_snapshot", schedule={"key": "iteration", "value": 10 ** 9})
        for command in (now, later):
            wait_for(lambda: Path(protocol.command_inbox_path(str(out), command["uid"])).is_file(), what="delivery")
        run.step(iteration=2)
        run.close()  # the scheduled one is never applied; the job's final status says finished
        commands = wait_for(lambda: (c := listed(db, rid))[later["uid"]]["status"] != "PENDING" and c,
                            what="the open command closed")
    finally:
        service.stop()
    assert commands[now["uid"]]["status"] == "SUCCESS"
    assert commands[later["uid"]]["status"] == "CANCELLED"
    assert "finished" in commands[later["uid"]]["response"]["message"]
    assert not Path(protocol.command_inbox_path(str(out), later["uid"])).exists()  # withdrawn


def test_an_unreadable_answer_leaves_its_command_pending_and_says_so(db, tmp_path, caplog):
    root = tmp_path / "project"
    out = root / "run"
    run = a_running_job(out)
    project_id = register(db, root)
    service = start_service(db)
    try:
        rid = running_result(db, project_id)
        command = post(db, rid, "never_answered_by_the_job")
        wait_for(lambda: Path(protocol.command_inbox_path(str(out), command["uid"])).is_file(), what="delivery")
        with caplog.at_level(logging.WARNING, logger="trainui.ingest"):
            Path(protocol.command_outbox_path(str(out), command["uid"])).write_text('{"uid": "x", "status": ')
            wait_for(lambda: "unreadable answer" in caplog.text, timeout=5, what="the warning")
        assert listed(db, rid)[command["uid"]]["status"] == "PENDING"  # never said to be answered
        other = post(db, rid, "take_snapshot")  # the loop goes on
        wait_for(lambda: Path(protocol.command_inbox_path(str(out), other["uid"])).is_file(), what="next delivery")
    finally:
        service.stop()
        run.close()
