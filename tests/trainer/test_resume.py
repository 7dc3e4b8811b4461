"""Resuming from a snapshot continues the same ``log`` without duplicated iterations.

Documented behaviour (trainui/trainer/logfile.py): reports for iterations the log already holds
go to ``.trainui/log.replayed.jsonl``; ``log`` keeps each iteration once and stays append-only.
"""
from __future__ import annotations

import json
import os

import pytest

from trainui.trainer.logfile import REPLAYED_LOG
from trainui_job_helpers import finish, quickstart_argv, read_log, start_job


def test_resume_from_snapshot_continues_log_without_duplicates(tmp_path):
    out = str(tmp_path / "run")
    common = ("--log-every", "5", "--image-every", "0")
    finish(start_job(quickstart_argv(out, "--iterations", "60", "--snapshot-every", "25", *common)))
    first = {e["iteration"]: e for e in read_log(out)}
    assert sorted(first) == list(range(5, 61, 5))
    assert os.path.exists(os.path.join(out, "snapshot_iter_50.pt"))

    stdout, _ = finish(start_job(quickstart_argv(out, "--iterations", "90", "--resume", "latest", *common)))
    assert "ended at iteration 90" in stdout

    entries = read_log(out)
    iterations = [e["iteration"] for e in entries]
    assert iterations == list(range(5, 91, 5))  # 55 and 60 once, then the resumed run's 65..90
    assert entries[11] == first[60]  # the first run's entries are untouched
    with open(os.path.join(out, REPLAYED_LOG)) as f:
        replayed = [json.loads(line) for line in f]
    assert [e["iteration"] for e in replayed] == [55, 60]
    # model, optimizer (momentum) and batches restored: the replay reproduces the first run
    for entry in replayed:
        assert entry["main/loss"] == pytest.approx(first[entry["iteration"]]["main/loss"], rel=1e-5)
    # elapsed_time continues from the previous run instead of restarting at 0
    assert entries[12]["elapsed_time"] >= first[60]["elapsed_time"]
