"""The uploader's reading side on real result directories: what goes into each batch, and how the
server's acknowledgements and entry counts move it. No network here (see test_remote_jobs.py)."""
from __future__ import annotations

import json
import os

import pytest

import trainui
from trainui import protocol
from trainui.trainer import outgoing as outgoing_module
from trainui.trainer.commands import write_response
from trainui.trainer.outgoing import LogReplaced, Outgoing
from trainui.trainer.upload_state import LogPosition, UploadState, load_state, read_state, save_state
from trainui.trainer.uploader import deliver_commands


def recorded_run(out, entries: int, first: int = 1, args=None, close=True):
    run = trainui.Run(str(out), args=args, progress=False, handle_signals=False, resume=True)
    for i in range(first, first + entries):
        run.log({"main/loss": 1.0 / i}, iteration=i, epoch=0)
    run.flush()
    if close:
        run.close()
    return run


def shipped(outgoing: Outgoing, server_count_after=None) -> list:
    """Take batches until none is left, acknowledging each as a server would; the entries sent."""
    sent = []
    while True:
        batch = outgoing.next_batch()
        if batch is None:
            return sent
        if batch.log is not None:
            assert batch.log.first_entry == len(sent)  # contiguous: never a gap, never a repeat
            sent.extend(batch.log.entries)
        outgoing.acknowledge(batch, {"entry_count": len(sent)})


def test_first_batch_carries_log_args_status_and_snapshots_then_only_what_is_new(tmp_path):
    out = tmp_path / "run"
    run = recorded_run(out, 5, args={"lr": 0.1}, close=False)
    run.snapshot()
    outgoing = Outgoing(str(out), UploadState("http://s", "p"))
    batch = outgoing.next_batch()
    assert batch.body["log"]["first_entry"] == 0
    assert [e["iteration"] for e in batch.body["log"]["entries"]] == [1, 2, 3, 4, 5]
    assert batch.body["args"] == {"lr": 0.1}
    assert batch.body["status"]["status"] == "running"
    assert [s["name"] for s in batch.body["snapshots"]] == ["snapshot_iter_5.pt"]
    json.dumps(batch.body, allow_nan=False)  # what goes on the wire is plain JSON
    outgoing.acknowledge(batch, {"entry_count": 5})
    assert outgoing.state.log.entries == 5

    for i in range(6, 9):
        run.log({"main/loss": 1.0 / i}, iteration=i, epoch=0)
    run.close()
    batch = outgoing.next_batch()
    assert batch.body["log"]["first_entry"] == 5
    assert [e["iteration"] for e in batch.body["log"]["entries"]] == [6, 7, 8]
    assert "args" not in batch.body and "snapshots" not in batch.body  # unchanged since acknowledged
    assert batch.body["status"]["status"] == "finished"
    outgoing.acknowledge(batch, {"entry_count": 8})
    assert outgoing.next_batch() is None


def test_a_batch_not_acknowledged_is_sent_again_the_same(tmp_path):
    out = tmp_path / "run"
    recorded_run(out, 4)
    outgoing = Outgoing(str(out), UploadState("http://s", "p"))
    first = outgoing.next_batch()
    again = outgoing.next_batch()  # no acknowledgement came (a timeout, the server down)
    assert again.body == first.body


def test_a_big_log_goes_in_bounded_contiguous_batches(tmp_path, monkeypatch):
    monkeypatch.setattr(outgoing_module, "MAX_LOG_BYTES", 4096)
    out = tmp_path / "run"
    recorded_run(out, 600)
    outgoing = Outgoing(str(out), UploadState("http://s", "p"))
    sizes = []
    sent = []
    while (batch := outgoing.next_batch()) is not None:
        if batch.log is not None:
            assert batch.log.first_entry == len(sent)
            sizes.append(len(batch.log.entries))
            sent.extend(batch.log.entries)
        outgoing.acknowledge(batch, {"entry_count": len(sent)})
    assert [e["iteration"] for e in sent] == list(range(1, 601))
    assert len(sizes) > 10 and max(sizes) < 100


def test_entries_the_server_holds_already_are_skipped(tmp_path):
    out = tmp_path / "run"
    recorded_run(out, 10)
    outgoing = Outgoing(str(out), UploadState("http://s", "p"))
    outgoing.set_server_entries(7)  # e.g. POST /runs after a restart: the server has 7
    batch = outgoing.next_batch()
    assert batch.body["log"]["first_entry"] == 7
    assert [e["iteration"] for e in batch.body["log"]["entries"]] == [8, 9, 10]


def test_a_server_holding_fewer_entries_than_believed_gets_them_from_its_count(tmp_path):
    out = tmp_path / "run"
    recorded_run(out, 10)
    outgoing = Outgoing(str(out), UploadState("http://s", "p"))
    shipped(outgoing)
    assert outgoing.state.log.entries == 10
    outgoing.set_server_entries(3)  # a 409 gap answer, or a server restored from an older backup
    batch = outgoing.next_batch()
    assert batch.body["log"]["first_entry"] == 3
    assert [e["iteration"] for e in batch.body["log"]["entries"]] == list(range(4, 11))


def test_the_final_status_waits_for_the_last_entries(tmp_path, monkeypatch):
    monkeypatch.setattr(outgoing_module, "MAX_LOG_BYTES", 2048)
    out = tmp_path / "run"
    recorded_run(out, 200)  # finished
    outgoing = Outgoing(str(out), UploadState("http://s", "p"))
    statuses = []
    sent = 0
    while (batch := outgoing.next_batch()) is not None:
        statuses.append((batch.body.get("status") or {}).get("status"))
        if batch.log is not None:
            sent += len(batch.log.entries)
            if not batch.log.at_eof:
                assert "status" not in batch.body
        outgoing.acknowledge(batch, {"entry_count": sent})
    assert sent == 200 and statuses[-1] == "finished" and statuses.count("finished") == 1


def test_answers_go_once_and_an_unusable_answer_never_blocks_the_others(tmp_path):
    out = tmp_path / "run"
    recorded_run(out, 1)
    outbox = os.path.join(out, protocol.COMMANDS_OUTBOX)
    write_response(str(out), protocol.CommandResponse(uid="a1", name="stop", status=protocol.SUCCESS, iteration=1))
    protocol.atomic_write_json(os.path.join(outbox, "bad.json"), {"uid": "bad", "status": "MAYBE"})
    deliver_commands(str(out), [{"uid": "a1", "name": "stop"}], set())  # answered already: not delivered
    outgoing = Outgoing(str(out), UploadState("http://s", "p"))
    batch = outgoing.next_batch()
    assert [a["uid"] for a in batch.body["answers"]] == ["a1"]
    outgoing.acknowledge(batch, {"entry_count": 1})
    assert outgoing.state.answers == ["a1"]
    assert outgoing.next_batch() is None
    # a later process in the same directory knows from upload.json what was acknowledged
    save_state(str(out), outgoing.state)
    later = Outgoing(str(out), read_state(str(out))).next_batch()
    assert later is not None and "answers" not in later.body and "status" in later.body


def test_a_replaced_log_is_noticed(tmp_path):
    out = tmp_path / "run"
    recorded_run(out, 5)
    outgoing = Outgoing(str(out), UploadState("http://s", "p"))
    shipped(outgoing)
    protocol.atomic_write_bytes(os.path.join(out, protocol.LOG), b'[\n{"iteration":1}\n]')  # another writer's log
    with pytest.raises(LogReplaced):
        outgoing.next_batch()


def test_new_images_are_read_with_their_bytes_and_a_torn_index_line_waits(tmp_path):
    out = tmp_path / "run"
    run = recorded_run(out, 1, close=False)
    run.log_image("weights", bytes(protocol_png()), step=1)
    run.close()
    index = os.path.join(out, protocol.ASSETS_INDEX)
    with open(index, "ab") as f:
        f.write(b'{"tag": "weights", "step": 2, "pa')  # being written
    outgoing = Outgoing(str(out), UploadState("http://s", "p"))
    (asset,) = list(outgoing.new_assets())
    assert asset.record.tag == "weights" and asset.record.step == 1 and asset.data == protocol_png()
    outgoing.acknowledge_asset(asset)
    assert list(outgoing.new_assets()) == []


def test_commands_are_delivered_once_into_the_inbox_and_unsafe_uids_never(tmp_path):
    out = str(tmp_path)
    known: set[str] = set()
    commands = [{"uid": "c1", "name": "stop", "body": {}}, {"uid": "../escape", "name": "stop"},
                {"uid": ".hidden", "name": "stop"}, "garbage"]
    assert deliver_commands(out, commands, known) == 1
    assert protocol.read_json(protocol.command_inbox_path(out, "c1"))["name"] == "stop"
    assert deliver_commands(out, commands, known) == 0  # the same poll answer again
    assert deliver_commands(out, commands, set()) == 0  # a new process: the inbox file says it
    assert sorted(os.listdir(os.path.join(out, protocol.COMMANDS_INBOX))) == ["c1.json"]
    assert not os.path.exists(os.path.join(tmp_path, ".trainui", "commands", "escape.json"))


def test_upload_state_keeps_the_run_identity_and_forgets_positions_for_another_server(tmp_path):
    out = str(tmp_path)
    state = UploadState("http://a:5000", "p", result_id=4, log=LogPosition(100, "f", 7), assets_offset=9,
                        answers=["u"])
    save_state(out, state)
    again = load_state(out, "http://a:5000", "p")
    assert again == state
    elsewhere = load_state(out, "http://b:5000", "p")
    assert elsewhere.run_uid == state.run_uid
    assert (elsewhere.result_id, elsewhere.log, elsewhere.assets_offset, elsewhere.answers) == (None, LogPosition(), 0, [])
    with open(os.path.join(out, ".trainui", "upload.json"), "w") as f:
        f.write("{not json")
    assert read_state(out) is None
    assert load_state(out, "http://a:5000", "p").run_uid != state.run_uid


def protocol_png() -> bytes:
    return trainui.encode_png([[0, 255], [255, 0]])
