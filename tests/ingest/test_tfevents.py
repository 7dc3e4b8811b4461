"""Result directories written by torch's own `SummaryWriter`: scalars and images ingested like a
`log`, incrementally, several event files in order, damage surfaced with its byte offset; on
SQLite and on PostgreSQL."""
from __future__ import annotations

import os
import struct
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from trainui.ingest import tfevents
from trainui.ingest.sync import sync_result
from trainui.ingest.tfrecord import masked_crc
from trainui.store import Store
from trainui.store import commands as command_store
from trainui.store import files as file_store
from trainui.store import results as result_store
from trainui.store.errors import Conflict

SummaryWriter = pytest.importorskip("torch.utils.tensorboard").SummaryWriter
REPO = Path(__file__).resolve().parents[2]


pytestmark = pytest.mark.usefixtures("db_url")  # the conftest's database: on SQLite and on PostgreSQL


def result(database, rid, detail=False):
    with database.session() as s:
        return result_store.get_result(s, rid, detail=detail)


def series(database, rid, key):
    return Store(database).series.read(rid, [key], max_points=100000)["series"][key]


def f32(x):
    return float(np.float32(x))


def write_steps(writer, steps, image_every=0):
    for step in steps:
        writer.add_scalar("train/loss", 1.0 / step, step)
        writer.add_scalar("train/accuracy", 1 - 1.0 / step, step)
        if image_every and step % image_every == 0:
            writer.add_image("samples/input", np.full((3, 4, 6), step / 100.0), step)
    writer.flush()


def event_files(run: Path) -> list[Path]:
    return sorted(p for p in run.iterdir() if "tfevents" in p.name)


def test_a_summary_writer_run_is_a_result_with_its_scalars_and_images(database, project):
    run = Path(project[1]) / "runs" / "exp1"
    writer = SummaryWriter(str(run))
    write_steps(writer, range(1, 31), image_every=10)
    writer.close()

    rid = sync_result(database, project[0], str(run))
    r = result(database, rid, detail=True)
    assert r["name"] == "runs/exp1" and r["ingest_error"] is None and r["tensorboard"] is True
    assert r["entry_count"] == 30  # one entry per step: its tags together
    assert r["status"] is None and r["started_at"] > 0
    loss = series(database, rid, "train/loss")
    assert loss["x"].tolist() == list(range(1, 31))  # step -> iteration
    assert loss["y"].tolist() == [f32(1.0 / s) for s in range(1, 31)]
    assert series(database, rid, "train/accuracy")["y"].tolist() == [f32(1 - 1.0 / s) for s in range(1, 31)]
    elapsed = series(database, rid, "elapsed_time")["y"].tolist()
    assert elapsed == sorted(elapsed) and 0 <= elapsed[0] and elapsed[-1] < 60  # wall time, from the run's start
    assert r["asset_tags"] == ["samples/input"]
    with database.session() as s:
        assets = file_store.list_assets(s, rid)
        assert [(a["tag"], a["step"], a["iteration"]) for a in assets] == [("samples/input", n, n) for n in (10, 20, 30)]
        picture = file_store.asset_file(s, assets[0]["id"])
    assert isinstance(picture, bytes) and picture.startswith(b"\x89PNG\r\n\x1a\n")

    assert sync_result(database, project[0], str(run)) == rid  # nothing new: nothing stored twice
    assert result(database, rid)["entry_count"] == 30
    with database.session() as s:
        assert len(file_store.list_assets(s, rid)) == 3


def test_a_growing_event_file_is_read_from_where_it_was_read_to(database, project, monkeypatch):
    run = Path(project[1]) / "live"
    writer = SummaryWriter(str(run))
    write_steps(writer, range(1, 11))
    rid = sync_result(database, project[0], str(run))
    [path] = event_files(run)
    read_to = path.stat().st_size
    assert result(database, rid)["entry_count"] == 10

    # Spoil a record the store already holds: a reader that went back to the start would stumble on it.
    data = bytearray(path.read_bytes())
    data[read_to // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    reads = []
    real_read_records = tfevents.read_records
    monkeypatch.setattr(tfevents, "read_records",
                        lambda f, start, max_bytes, crc=None: reads.append(real_read_records(f, start, max_bytes, crc))
                        or reads[-1])
    write_steps(writer, range(11, 21))
    sync_result(database, project[0], str(run))
    r = result(database, rid)
    assert r["ingest_error"] is None and r["entry_count"] == 20
    assert series(database, rid, "train/loss")["x"].tolist() == list(range(1, 21))
    assert [(found.start, found.end) for found in reads] == [(read_to, path.stat().st_size)]  # only the new bytes
    writer.close()


def test_a_restarted_writer_s_new_file_follows_the_old_one(database, project):
    run = Path(project[1]) / "resumed"
    first = SummaryWriter(str(run))
    write_steps(first, range(1, 6))
    rid = sync_result(database, project[0], str(run))
    write_steps(first, range(6, 9))  # the first writer goes on a little before it is gone
    first.close()
    second = SummaryWriter(str(run))  # the restarted job: a new event file, named after the old one
    write_steps(second, range(9, 13))
    assert len(event_files(run)) == 2
    assert sync_result(database, project[0], str(run)) == rid
    assert series(database, rid, "train/loss")["x"].tolist() == list(range(1, 13))
    write_steps(second, range(13, 15))
    second.close()
    sync_result(database, project[0], str(run), chunk_bytes=64)  # bounded turns, one file after the other
    assert series(database, rid, "train/loss")["x"].tolist() == list(range(1, 15))
    assert result(database, rid)["ingest_error"] is None


def test_bounded_turns_read_a_big_file_in_pieces_without_loss(database, project):
    run = Path(project[1]) / "big"
    writer = SummaryWriter(str(run))
    write_steps(writer, range(1, 401), image_every=100)
    writer.close()
    rid = sync_result(database, project[0], str(run), chunk_bytes=1000)
    assert series(database, rid, "train/loss")["x"].tolist() == list(range(1, 401))
    with database.session() as s:
        assert len(file_store.list_assets(s, rid)) == 4


def _records(path: Path) -> list[tuple[int, int]]:
    """(offset, length) of each record of an event file."""
    data, out, pos = path.read_bytes(), [], 0
    while pos < len(data):
        (length,) = struct.unpack_from("<Q", data, pos)
        out.append((pos, 12 + length + 4))
        pos += 12 + length + 4
    return out


def _scalar_steps_before(path: Path, offset: int) -> int:
    """Steps whose two scalars lie wholly before ``offset`` (the first record is the file version)."""
    return (len([o for o, n in _records(path) if o + n <= offset]) - 1) // 2


def test_a_truncated_event_file_is_reported_after_the_grace_and_keeps_what_came_before(database, project):
    run = Path(project[1]) / "crashed"
    writer = SummaryWriter(str(run))
    write_steps(writer, range(1, 21))
    writer.close()
    [path] = event_files(run)
    offset, length = _records(path)[25]
    os.truncate(path, offset + length - 7)  # the job died in the middle of writing a record

    rid = sync_result(database, project[0], str(run))  # just written: a writer may be finishing the record
    r = result(database, rid)
    assert r["ingest_error"] is None and r["entry_count"] == 12
    old = time.time() - 60
    os.utime(path, (old, old))
    sync_result(database, project[0], str(run))
    r = result(database, rid)
    assert f"{path.name} ends in an incomplete record at byte {offset}" in r["ingest_error"]
    assert "(25 events read before it)" in r["ingest_error"]
    assert series(database, rid, "train/loss")["x"].tolist() == list(range(1, 13))  # the step cut in half waits


@pytest.mark.parametrize("damage", ["bad data checksum", "garbage", "not an event"])
def test_a_damaged_record_stops_the_file_there_and_says_where_and_why(database, project, damage):
    run = Path(project[1]) / "damaged"
    writer = SummaryWriter(str(run))
    write_steps(writer, range(1, 21))
    writer.close()
    [path] = event_files(run)
    data = bytearray(path.read_bytes())
    offset, length = _records(path)[21]
    if damage == "bad data checksum":
        data[offset + length - 6] ^= 0x01
        reason = "fails its data checksum"
    elif damage == "garbage":
        data[offset:offset + 16] = b"\x00garbage-bytes!!"
        reason = "header at byte %d fails its checksum" % offset
    else:  # a well-framed record that holds no Event
        crc = masked_crc()
        payload = b"\xff\xff\xff\xff"
        record = struct.pack("<Q", len(payload))
        record = record + struct.pack("<I", crc(record)) + payload + struct.pack("<I", crc(payload))
        data[offset:offset + length] = record
        reason = "is not a TensorBoard event"
    path.write_bytes(bytes(data))

    rid = sync_result(database, project[0], str(run))
    r = result(database, rid)
    assert f"{path.name} cannot be read past byte {offset}" in r["ingest_error"]
    assert reason in r["ingest_error"] and "(21 events read before it" in r["ingest_error"]
    assert series(database, rid, "train/loss")["x"].tolist() == list(range(1, 11))  # every step before it
    sync_result(database, project[0], str(run))
    assert result(database, rid)["entry_count"] == 10  # and nothing twice


def test_a_replaced_event_file_is_read_again_from_its_start(database, project):
    run = Path(project[1]) / "replaced"
    writer = SummaryWriter(str(run))
    write_steps(writer, range(1, 11))
    writer.close()
    rid = sync_result(database, project[0], str(run))
    [path] = event_files(run)
    other = Path(project[1]) / "elsewhere"
    writer = SummaryWriter(str(other))
    write_steps(writer, range(100, 103))
    writer.close()
    os.replace(event_files(other)[0], path)  # the same name, other content, shorter
    sync_result(database, project[0], str(run))
    r = result(database, rid)
    assert series(database, rid, "train/loss")["x"].tolist() == [100, 101, 102] and r["log_generation"] == 1


def test_a_summary_writer_run_takes_no_commands_unless_it_also_uses_trainui(database, project):
    import trainui

    run = Path(project[1]) / "tb-only"
    writer = SummaryWriter(str(run))
    write_steps(writer, range(1, 3))
    writer.close()
    rid = sync_result(database, project[0], str(run))
    with database.session(write=True) as s, pytest.raises(Conflict, match="TensorBoard event files and takes no commands"):
        command_store.create_command(s, rid, {"name": "stop"})

    both = Path(project[1]) / "both"
    with trainui.Run(str(both), args={"lr": 0.1}) as job:  # a trainui job that also writes with SummaryWriter
        writer = SummaryWriter(str(both))
        for it in range(1, 4):
            job.log({"main/loss": 1.0 / it}, iteration=it)
            writer.add_scalar("tb/loss", 2.0 / it, it)
        job.step(iteration=3)
        writer.flush()
        job.flush()
        rid = sync_result(database, project[0], str(both))
        r = result(database, rid)
        assert r["status"] == "running" and r["tensorboard"] is True
        assert {"main/loss", "tb/loss"} <= set(r["keys"])
        with database.session(write=True) as s:
            assert command_store.create_command(s, rid, {"name": "stop"})["status"] == "PENDING"
        writer.close()


def test_without_tensorboard_installed_the_result_says_what_to_install(database, project, db_url):
    run = Path(project[1]) / "no-tb"
    writer = SummaryWriter(str(run))
    write_steps(writer, range(1, 4))
    writer.close()
    code = f"""
import sys
sys.modules["tensorboard"] = None  # as if it were not installed
from trainui.store import Database
from trainui.ingest.sync import sync_result
print(sync_result(Database({db_url!r}), {project[0]}, {str(run)!r}))
"""
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert done.returncode == 0, done.stderr
    rid = int(done.stdout.strip())
    r = result(database, rid)
    assert "pip install 'trainui[tensorboard]'" in r["ingest_error"] and r["entry_count"] == 0
    assert r["tensorboard"] is True  # known as a TensorBoard run: read-only, and read once tensorboard is there
    sync_result(database, project[0], str(run))  # here tensorboard is installed
    r = result(database, rid)
    assert r["ingest_error"] is None and r["entry_count"] == 3
