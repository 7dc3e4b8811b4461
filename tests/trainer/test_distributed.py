"""The quickstart under a real ``torchrun --nproc_per_node=2`` (gloo): commands reach both ranks
at the same iteration, ``stop`` ends both together, responses count 2 ranks."""
from __future__ import annotations

import os
import re
import sys

import torch

import trainui
from trainui_job_helpers import (
    finish, post_command, quickstart_argv, read_log, read_rank_records, read_responses, start_job,
    wait_for_log, wait_for_response,
)


def test_torchrun_two_ranks_apply_lr_snapshot_stop_together(tmp_path):
    out = str(tmp_path / "ddp")
    # posted before the job starts: delivered at its first poll at or after iteration 5
    scheduled = post_command(out, "adjust_hyperparams", {"momentum": 0.8}, {"key": "iteration", "value": 5})
    job = start_job(quickstart_argv(out, "--iterations", "100000", "--sleep", "0.02", "--log-every", "5",
                                    "--image-every", "0", nproc=2))
    try:
        wait_for_log(out, 20, timeout=60, job=job)
        lr = post_command(out, "adjust_hyperparams", {"lr": 0.01})
        lr_response = wait_for_response(out, lr, job=job)
        bad = post_command(out, "adjust_hyperparams", {"lr": "fast"})
        snapshot = post_command(out, "take_snapshot")
        snapshot_response = wait_for_response(out, snapshot, job=job)
        per_rank = post_command(out, "take_snapshot", {"per_rank": True})
        per_rank_response = wait_for_response(out, per_rank, job=job)
        wait_for_response(out, bad, job=job)
        stop = post_command(out, "stop")
        stop_response = wait_for_response(out, stop, job=job)
        stdout, _ = finish(job, timeout=60)
    finally:
        if job.poll() is None:
            job.kill()

    responses = read_responses(out)
    for uid in (scheduled, lr, snapshot, per_rank, stop):
        assert responses[uid]["status"] == "SUCCESS", responses[uid]
        assert responses[uid]["ranks"] == 2
    assert responses[scheduled]["iteration"] == 5
    assert responses[bad]["status"] == "FAILURE" and "'lr' must be a number" in responses[bad]["body"]["error"]

    # each rank's own record: same command, same iteration, same resulting lr
    records = read_rank_records(out)
    assert sorted(records) == [0, 1]
    by_rank = [{r["uid"]: r for r in records[rank]} for rank in (0, 1)]
    for uid in (scheduled, lr, snapshot, stop):
        assert by_rank[0][uid]["iteration"] == by_rank[1][uid]["iteration"], uid
    assert by_rank[0][lr]["iteration"] == lr_response["iteration"]
    for rank in (0, 1):
        assert by_rank[rank][lr]["hyperparams"][0]["lr"] == 0.01
        assert by_rank[rank][scheduled]["hyperparams"][0]["momentum"] == 0.8
        assert by_rank[rank][bad]["status"] == "FAILURE"

    # the log (rank 0, averaged over ranks) shows the new lr from the next report on
    changed_at = lr_response["iteration"]
    for entry in read_log(out):
        assert entry["lr"] == (0.05 if entry["iteration"] <= changed_at else 0.01), entry

    # both ranks ended at the stop's iteration
    ended = {int(r): int(i) for r, i in re.findall(r"rank (\d) ended at iteration (\d+)", stdout)}
    assert ended == {0: stop_response["iteration"], 1: stop_response["iteration"]}

    # snapshots: one from rank 0 by default, one per rank on request
    at = per_rank_response["iteration"]
    assert per_rank_response["body"]["path"] == f"snapshot_iter_{at}.rank0.pt"
    assert {f"snapshot_iter_{at}.rank0.pt", f"snapshot_iter_{at}.rank1.pt"} <= set(os.listdir(out))
    assert f"snapshot_iter_{at}.pt" not in os.listdir(out)

    # the snapshot loads into a plain (non-DDP) model
    path = os.path.join(out, snapshot_response["body"]["path"])
    import importlib.util
    spec = importlib.util.spec_from_file_location("quickstart_train", os.path.join(
        os.path.dirname(__file__), "..", "..", "examples", "quickstart", "train.py"))
    quickstart = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(quickstart)
    model = quickstart.MLP(64)
    state = trainui.load_snapshot(path, model=model, restore_rng=False)
    assert state["iteration"] == snapshot_response["iteration"]
    assert state["extra"]["world_size"] == 2
    assert isinstance(state["model"]["hidden.weight"], torch.Tensor)


def test_average_over_ranks_logs_the_mean(tmp_path):
    script = os.path.join(os.path.dirname(__file__), "jobs", "ddp_average.py")
    job = start_job([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
                     script, "--out", str(tmp_path)])
    finish(job, timeout=90)
    averaged = read_log(str(tmp_path / "average_True"))
    assert [(e["iteration"], e["value"], e["tag"]) for e in averaged] == [(1, 0.5, "rank0"), (2, 1.0, "rank0"), (3, 1.5, "rank0")]
    rank0_only = read_log(str(tmp_path / "average_False"))
    assert [e["value"] for e in rank0_only] == [0.0, 0.0, 0.0]


def test_idle_step_costs_one_collective_and_a_command_three(tmp_path):  # and its checking steps one each
    """Counted by wrapping every torch.distributed collective in two real gloo processes."""
    benchmarks = os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks")
    sys.path.insert(0, os.path.abspath(benchmarks))
    try:
        import bench_trainer
    finally:
        sys.path.pop(0)
    for rank, per_step, _micros, on_command, checking, answered, first in bench_trainer.distributed_collectives(
            steps=200):
        assert per_step == 1.0, rank  # the length broadcast, nothing else
        assert on_command == 3, rank  # length, payload, and the all_reduce counting ranks
        # the steps that check the change and answer it: still one each (the verdicts ride with the length)
        assert checking == [1, 1], rank
        assert answered or rank != 0
        assert first == 3, rank  # once per run: rank 0's result directory (length, payload), then the poll
