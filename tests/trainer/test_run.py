"""The Run object's reporting contract in one process."""
from __future__ import annotations

import argparse
import json
import os

import numpy as np
import pytest
import torch

import trainui
from trainui import protocol


def read(out, name):
    with open(os.path.join(out, name)) as f:
        return json.load(f)


def test_log_adds_iteration_epoch_elapsed_and_lr_and_converts_scalars(tmp_path):
    model = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.3)
    args = argparse.Namespace(lr=0.3, out=tmp_path, layers=[1, 2])
    with trainui.Run(str(tmp_path), args=args, model=model, optimizer=opt, progress=False) as run:
        run.log({"main/loss": torch.tensor(0.5), "acc": np.float32(0.25), "n": np.int64(3)}, iteration=10, epoch=2)
    (entry,) = read(tmp_path, "log")
    assert entry["main/loss"] == 0.5 and entry["acc"] == 0.25 and entry["n"] == 3
    assert entry["iteration"] == 10 and entry["epoch"] == 2 and entry["lr"] == 0.3
    assert entry["elapsed_time"] >= 0
    assert read(tmp_path, "args") == {"lr": 0.3, "out": str(tmp_path), "layers": [1, 2]}


def test_reports_without_iterations_are_numbered(tmp_path):
    with trainui.Run(str(tmp_path), progress=False) as run:
        for _ in range(3):
            run.log({"v": 1})
    assert [e["iteration"] for e in read(tmp_path, "log")] == [1, 2, 3]


def test_exception_in_with_block_reports_crashed_and_flushes(tmp_path):
    with pytest.raises(ZeroDivisionError):
        with trainui.Run(str(tmp_path), progress=False, flush_interval=3600) as run:
            run.log({"v": 1}, iteration=1)
            1 / 0
    status = protocol.read_json(os.path.join(tmp_path, protocol.STATUS))
    assert status["status"] == "crashed" and "ZeroDivisionError" in status["message"]
    assert read(tmp_path, "log") == [{"v": 1, "iteration": 1, "elapsed_time": pytest.approx(0, abs=5)}]


def test_user_snapshot_and_load_restore_model_optimizer_and_rng(tmp_path):
    model = torch.nn.Linear(3, 3)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    model(torch.randn(2, 3)).sum().backward()
    opt.step()
    run = trainui.Run(str(tmp_path), model=model, optimizer=opt, progress=False, handle_signals=False)
    run.step(iteration=42, epoch=3)
    path = run.snapshot()
    expected_draw = torch.rand(3)
    run.close()
    assert os.path.basename(path) == "snapshot_iter_42.pt"
    assert trainui.find_latest_snapshot(str(tmp_path)) == path

    fresh = torch.nn.Linear(3, 3)
    fresh_opt = torch.optim.Adam(fresh.parameters(), lr=0.5)
    state = trainui.load_snapshot(path, model=fresh, optimizer=fresh_opt)
    assert (state["iteration"], state["epoch"]) == (42, 3)
    assert torch.equal(fresh.weight, model.weight)
    assert fresh_opt.param_groups[0]["lr"] == 0.01 and fresh_opt.state_dict()["state"][0]["step"] == 1
    assert torch.equal(torch.rand(3), expected_draw)  # the RNG continues where the snapshot was


def test_per_rank_snapshot_name(tmp_path):
    run = trainui.Run(str(tmp_path), model=torch.nn.Linear(1, 1), progress=False, handle_signals=False)
    run.step(iteration=5)
    assert os.path.basename(run.snapshot(per_rank=True)) == "snapshot_iter_5.rank0.pt"
    run.close()
    assert protocol.SNAPSHOT_PATTERN.match("snapshot_iter_5.rank0.pt").group(1) == "5"
    assert trainui.find_latest_snapshot(str(tmp_path)) is None  # per-rank files are not "the" snapshot


def test_resume_continues_the_existing_log(tmp_path):
    with trainui.Run(str(tmp_path), progress=False) as run:
        for it in (1, 2, 3):
            run.log({"v": it}, iteration=it)
    with trainui.Run(str(tmp_path), progress=False, resume=True) as run:
        assert run.out == str(tmp_path)
        for it in (3, 4):
            run.log({"v": it * 10}, iteration=it)
    assert [(e["iteration"], e["v"]) for e in read(tmp_path, "log")] == [(1, 1), (2, 2), (3, 3), (4, 40)]
    with open(tmp_path / ".trainui" / "log.replayed.jsonl") as f:
        assert [json.loads(line)["v"] for line in f] == [30]
