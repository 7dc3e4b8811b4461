"""A change under a scheduler in a real ``torchrun --nproc_per_node=2`` loop: it holds on both
ranks and the answer counts them; with the scheduler left unregistered, or rewritten by one rank's
own code, the answer is a FAILURE that says so (never SUCCESS)."""
from __future__ import annotations

import json
import os
import sys

import pytest

from trainui_job_helpers import finish, post_command, read_responses, start_job

pytestmark = pytest.mark.slow
JOB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "jobs", "schedule_job.py")


def torchrun(out, *extra):
    job = start_job([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", JOB,
                     "--out", out, *extra])
    _, stderr = finish(job, timeout=180)
    lrs = {}
    for rank in (0, 1):
        with open(os.path.join(out, f"lrs.rank{rank}.json")) as f:
            lrs[rank] = {int(k): v for k, v in json.load(f).items()}
    return lrs, stderr


def test_the_change_holds_on_both_ranks(tmp_path):
    out = str(tmp_path / "run")
    uid = post_command(out, "adjust_hyperparams", {"lr": 0.02, "mode": "hold"}, {"key": "iteration", "value": 20})
    lrs, _ = torchrun(out)
    answer = read_responses(out)[uid]
    assert answer["status"] == "SUCCESS" and answer["ranks"] == 2 and answer["iteration"] == 20
    assert lrs[0][70] == lrs[1][70] == 0.02


def test_an_unregistered_scheduler_fails_on_every_rank(tmp_path):
    out = str(tmp_path / "run")
    uid = post_command(out, "adjust_hyperparams", {"lr": 0.02}, {"key": "iteration", "value": 20})
    lrs, _ = torchrun(out, "--no-register")
    answer = read_responses(out)[uid]
    assert answer["status"] == "FAILURE" and answer["ranks"] == 0
    assert "was set to 0.02 at iteration 20, but at iteration 21 it is 0.0" in answer["body"]["error"]
    assert "trainui.Run(..., scheduler=scheduler)" in answer["body"]["error"]
    assert lrs[0][70] == lrs[1][70] != 0.02  # the schedule took it back, on both ranks


def test_a_rewrite_on_one_rank_only_is_a_failure_that_counts_the_ranks(tmp_path):
    out = str(tmp_path / "run")
    uid = post_command(out, "adjust_hyperparams", {"lr": 0.02, "mode": "hold"}, {"key": "iteration", "value": 20})
    lrs, stderr = torchrun(out, "--rewrite-on-rank", "1")
    answer = read_responses(out)[uid]
    assert answer["status"] == "FAILURE" and answer["ranks"] == 1
    assert "it held on 1 of 2 ranks" in answer["body"]["error"]
    assert "rank 1: command adjust_hyperparams" in stderr and "it is 0.05" in stderr  # the failing rank says what it saw
    assert lrs[0][70] == 0.02 and lrs[1][70] == 0.05
