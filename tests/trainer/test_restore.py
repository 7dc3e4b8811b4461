"""The ``restore`` command in one process: a NaN run goes back to its last snapshot with its lr
halved by one command, the loop follows the rewind, the log keeps one entry per iteration and the
abandoned stretch on record; every refusal (bad body, hostile name, no or unfitting snapshot, a loop
that cannot rewind) is a FAILURE that says why and changes nothing."""
from __future__ import annotations

import json
import math
import os

import pytest
import torch

import trainui
from trainui import protocol
from trainui.trainer.restore import ABANDONED_LOG, OWN_COUNTER, OWN_ITERATION, REWINDS_LOG
from trainui_job_helpers import post_command, read_responses

TARGET = torch.tensor([[1.0], [-2.0], [0.5]])


class Job:
    """A tiny regression whose batch at ``poison_at`` holds a NaN the first time it is drawn."""

    def __init__(self, out, scheduler=False, poison_at=None):
        torch.manual_seed(0)
        self.out = str(out)
        self.model = torch.nn.Linear(3, 1)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0.1, momentum=0.9)
        self.scheduler = torch.optim.lr_scheduler.StepLR(self.optimizer, 5, gamma=0.9) if scheduler else None
        self.run = trainui.Run(self.out, model=self.model, optimizer=self.optimizer, scheduler=self.scheduler,
                               progress=False, poll_interval=0.0, handle_signals=False, flush_every=1)
        self.poison_at, self.poisoned, self.loss = poison_at, False, None

    def train(self, it):
        x = torch.randn(8, 3)
        if it == self.poison_at and not self.poisoned:
            self.poisoned = True
            x[0, 0] = float("nan")
        loss = torch.nn.functional.mse_loss(self.model(x), x @ TARGET)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        if self.scheduler is not None:
            self.scheduler.step()
        self.loss = loss.item()
        self.run.log({"main/loss": self.loss})

    def weights(self):
        return [p.detach().clone() for p in self.model.parameters()]


def log_of(out):
    with open(os.path.join(out, protocol.LOG)) as f:
        return json.load(f)


def jsonl(out, name):
    path = os.path.join(out, name)
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f]


def answer(out, uid):
    return read_responses(out)[uid]


def test_a_nan_run_is_restored_with_its_lr_halved_by_one_command_and_finishes_finite(tmp_path):
    job = Job(tmp_path / "run", scheduler=True, poison_at=14)
    out, uid, seen_nan = job.run.out, None, []
    for it in job.run.iterations(30):
        job.train(it)
        if it % 10 == 0:
            job.run.snapshot()
        if math.isnan(job.loss) and uid is None:  # what the NaN-guard rule does, from the job's side
            seen_nan.append(it)
            uid = post_command(out, "restore", {"multiply": {"lr": 0.5}})
    job.run.close()

    assert seen_nan == [14] and math.isfinite(job.loss)
    body = answer(out, uid)
    assert body["status"] == "SUCCESS" and body["ranks"] == 1, body
    body = body["body"]
    assert body["snapshot"] == "snapshot_iter_10.pt" and body["iteration"] == 10 and body["from_iteration"] == 14
    assert set(body["restored"]) == {"model", "optimizer", "schedulers", "rng"}
    lr_at_10 = 0.1 * 0.9 ** 2  # StepLR(5, 0.9) after 10 steps
    assert body["changes"][0]["asked"] == pytest.approx(lr_at_10 / 2)
    assert "StepLR scaled by 0.5" in body["changes"][0]["schedule"]  # the schedule goes on, halved
    assert body["abandoned_entries"] == 4
    entries = log_of(out)
    assert [e["iteration"] for e in entries] == list(range(1, 31))  # one entry per iteration
    assert all(isinstance(e["main/loss"], float) for e in entries)  # the NaN stretch left the series
    assert entries[10]["lr"] == pytest.approx(lr_at_10 / 2)  # iteration 11 ran at the halved lr
    assert entries[-1]["lr"] == pytest.approx(0.1 * 0.9 ** 6 / 2)
    abandoned = jsonl(out, ABANDONED_LOG)
    assert [a["entry"]["iteration"] for a in abandoned] == [11, 12, 13, 14] and {a["rewind"] for a in abandoned} == {1}
    assert abandoned[-1]["entry"]["main/loss"] in ("NaN", None)  # the NaN, kept where the UI can show it dimmed
    rewinds = jsonl(out, REWINDS_LOG)
    assert [(r["rewind"], r["from_iteration"], r["to_iteration"], r["snapshot"]) for r in rewinds] == \
        [(1, 14, 10, "snapshot_iter_10.pt")]
    assert protocol.read_json(os.path.join(out, protocol.STATUS))["status"] == "finished"


def test_the_rewound_run_repeats_the_snapshot_state_exactly(tmp_path):
    """Model, optimizer (momentum) and RNG are back: the re-run iterations equal the first run."""
    job = Job(tmp_path / "run")
    out, losses, uid = job.run.out, {}, None
    for it in job.run.iterations(12):
        job.train(it)
        losses.setdefault(it, []).append(job.loss)
        if it == 5:
            job.run.snapshot()
        if it == 9 and uid is None:
            uid = post_command(out, "restore", {})
    job.run.close()
    assert answer(out, uid)["status"] == "SUCCESS"
    assert all(len(losses[i]) == 2 and losses[i][0] == losses[i][1] for i in range(6, 10))
    assert [e["iteration"] for e in log_of(out)] == list(range(1, 13))


def test_iteration_and_named_snapshots_choose_and_a_later_snapshot_is_refused(tmp_path):
    job = Job(tmp_path / "run")
    out = job.run.out
    for it in job.run.iterations(12):
        job.train(it)
        if it in (3, 6, 9):
            job.run.snapshot()
        if it == 4:
            job.run.snapshot(per_rank=True)
    loop = job.run.iterations(10 ** 9)  # one loop: each next() steps the iteration before, then yields

    def train_next():
        it = next(loop)
        job.train(it)
        return it

    at = post_command(out, "restore", {"iteration": 8})
    assert train_next() == 13 and train_next() == 7  # step(13) went back to 6: the loop goes on at 7
    assert answer(out, at)["body"]["snapshot"] == "snapshot_iter_6.pt"
    ahead = post_command(out, "restore", {"snapshot": "snapshot_iter_9.pt"})
    named = post_command(out, "restore", {"snapshot": "snapshot_iter_4.rank0.pt", "adjust": {"lr": 0.05}})
    assert train_next() == 5
    while train_next() < 8:
        pass
    loop.close()
    refused = answer(out, ahead)
    assert refused["status"] == "FAILURE" and "ahead of the run (iteration 7)" in refused["body"]["error"]
    body = answer(out, named)
    assert body["status"] == "SUCCESS" and body["body"]["iteration"] == 4, body
    assert body["body"]["hyperparams"][0]["lr"] == 0.05 and body["body"]["abandoned_entries"] == 3
    assert [e["iteration"] for e in log_of(out)] == list(range(1, 9))
    assert [(r["from_iteration"], r["to_iteration"]) for r in jsonl(out, REWINDS_LOG)] == [(13, 6), (7, 4)]
    job.run.close()


def _snapshot_then(tmp_path, prepare=None):
    """A run at iteration 6 with a snapshot at 3 (and whatever ``prepare`` adds)."""
    job = Job(tmp_path / "run")
    for it in job.run.iterations(6):
        job.train(it)
        if it == 3:
            job.run.snapshot()
    if prepare:
        prepare(job.run.out)
    return job


@pytest.mark.parametrize("body, message", [
    ({"iteration": 2}, "no snapshot at or before iteration 2"),
    ({"snapshot": "snapshot_iter_5.pt"}, "no snapshot file snapshot_iter_5.pt"),
    ({"snapshot": "../run/snapshot_iter_3.pt"}, "plain file name"),
    ({"snapshot": "/etc/passwd"}, "plain file name"),
    ({"snapshot": "log"}, "must name a trainui snapshot"),
    ({"snapshot": "snapshot_iter_3.ckpt"}, "must name a trainui snapshot"),
    ({"snapshot": "link"}, "must name a trainui snapshot"),
    ({"snapshot": "snapshot_iter_4.pt"}, "no snapshot file snapshot_iter_4.pt"),  # a symlink to a real one
    ({"snapshot": "snapshot_iter_2.pt"}, "no snapshot file snapshot_iter_2.pt"),  # a FIFO: never opened
    ({"snapshot": "snapshot_iter_1.pt"}, "cannot restore snapshot_iter_1.pt"),  # garbage bytes
    ({"snapshot": "snapshot_iter_0.pt"}, "not a trainui snapshot"),
    ({"snapshot": 3}, "plain file name"),
    ({"iteration": 3, "snapshot": "snapshot_iter_3.pt"}, "not both"),
    ({"iteration": -1}, "whole number"),
    ({"iteration": True}, "whole number"),
    ({"rewind": 3}, "unknown key"),
    ({"multiply": {"lr": 0}}, "finite number > 0"),
    ({"multiply": {"lr": "half"}}, "finite number > 0"),
    ({"multiply": {"nope": 0.5}}, "unknown hyperparameter 'nope'"),
    ({"multiply": {}}, "non-empty object"),
    ({"adjust": {"lr": "fast"}}, "'lr' must be a number"),
    ({"adjust": {"lr": 0.1}, "multiply": {"lr": 0.5}}, "not both"),
    ({"adjust": {"lr": 0.1, "mode": "sideways"}}, "adjust.mode"),
])
def test_a_refused_restore_says_why_and_changes_nothing(tmp_path, body, message):
    def hostile(out):
        os.symlink(os.path.join(out, "snapshot_iter_3.pt"), os.path.join(out, "snapshot_iter_4.pt"))
        os.symlink(os.path.join(out, "snapshot_iter_3.pt"), os.path.join(out, "link"))
        os.mkfifo(os.path.join(out, "snapshot_iter_2.pt"))
        with open(os.path.join(out, "snapshot_iter_1.pt"), "wb") as f:
            f.write(b"\x00garbage, not a pickle")
        torch.save({"model": {}}, os.path.join(out, "snapshot_iter_0.pt"))

    job = _snapshot_then(tmp_path, hostile if "snapshot" in body else None)
    out = job.run.out
    weights, lr, entries, iteration = job.weights(), job.optimizer.param_groups[0]["lr"], log_of(out), job.run.iteration
    rng = torch.get_rng_state()
    uid = post_command(out, "restore", body)
    for _ in job.run.iterations(iteration + 1):
        pass  # the step after this iteration applies the command
    response = answer(out, uid)
    assert response["status"] == "FAILURE" and message in response["body"]["error"], response
    assert job.run.iteration == iteration + 1  # the step's own advance, no rewind
    assert all(torch.equal(a, b) for a, b in zip(weights, job.weights()))
    assert job.optimizer.param_groups[0]["lr"] == lr and torch.equal(rng, torch.get_rng_state())
    assert log_of(out) == entries and not jsonl(out, REWINDS_LOG)
    job.run.close()


def test_a_restore_within_the_loop_changes_nothing_when_the_snapshot_does_not_fit(tmp_path):
    job = _snapshot_then(tmp_path)
    out = job.run.out
    other = torch.nn.Linear(5, 1)  # another model's snapshot under this run's name
    torch.save({"format": "trainui-snapshot-1", "iteration": 5, "model": other.state_dict(),
                "optimizer": torch.optim.SGD(other.parameters(), lr=1.0).state_dict(), "schedulers": []},
               os.path.join(out, "snapshot_iter_5.pt"))
    weights = job.weights()
    uid = post_command(out, "restore", {"multiply": {"lr": 0.5}})
    for it in job.run.iterations(7):
        pass
    response = answer(out, uid)
    assert response["status"] == "FAILURE" and "shape" in response["body"]["error"]
    assert "nothing was changed" in response["body"]["error"]
    assert all(torch.equal(a, b) for a, b in zip(weights, job.weights()))
    assert job.optimizer.param_groups[0]["lr"] == 0.1 and job.run.iteration == 7
    job.run.close()


@pytest.mark.parametrize("own_iteration", [True, False])
def test_a_loop_with_its_own_counter_answers_failure_and_keeps_going(tmp_path, own_iteration):
    job = Job(tmp_path / "run")
    out = job.run.out
    for it in range(1, 5):
        job.train(it)
        if it == 2:
            job.run.snapshot()
        job.run.step(iteration=it) if own_iteration else job.run.step()
    weights, before = job.weights(), job.run.iteration
    uid = post_command(out, "restore", {})
    job.run.step(iteration=before + 1) if own_iteration else job.run.step()
    response = answer(out, uid)
    assert response["status"] == "FAILURE"
    assert (OWN_ITERATION if own_iteration else OWN_COUNTER) in response["body"]["error"]
    assert "this loop passes its own iteration to step(); use run.iterations(...) to allow restore" in OWN_ITERATION
    assert job.run.iteration == before + 1 and all(torch.equal(a, b) for a, b in zip(weights, job.weights()))
    job.run.close()


def test_an_old_snapshot_without_a_scaler_loads_and_a_scaler_is_restored(tmp_path):
    job = Job(tmp_path / "run")
    scaler = torch.amp.GradScaler("cpu", init_scale=1024.0)
    job.run.attach(scaler=scaler)
    out = job.run.out
    for it in job.run.iterations(4):
        job.train(it)
        if it == 1:
            scaler.scale(torch.ones(()))  # the scale exists from its first use
        if it == 2:
            job.run.snapshot()
    old = torch.load(os.path.join(out, "snapshot_iter_2.pt"), weights_only=False)
    assert old["scaler"]["scale"] == 1024.0
    del old["scaler"]  # as written before the scaler was saved
    old["iteration"] = 3
    torch.save(old, os.path.join(out, "snapshot_iter_3.pt"))
    scaler.update(new_scale=8.0)
    first = post_command(out, "restore", {"snapshot": "snapshot_iter_3.pt"})
    for it in job.run.iterations(job.run.iteration + 1):
        job.train(it)
    body = answer(out, first)["body"]
    assert body["iteration"] == 3 and "scaler" not in body["restored"] and scaler.get_scale() == 8.0
    second = post_command(out, "restore", {"snapshot": "snapshot_iter_2.pt"})
    for it in job.run.iterations(job.run.iteration + 1):
        job.train(it)
    body = answer(out, second)["body"]
    assert "scaler" in body["restored"] and scaler.get_scale() == 1024.0
    job.run.close()


def test_a_change_still_checking_its_steps_is_not_failed_by_the_restore(tmp_path):
    job = _snapshot_then(tmp_path)
    out = job.run.out
    adjust = post_command(out, "adjust_hyperparams", {"lr": 0.02})
    for it in job.run.iterations(7):
        job.train(it)
    back = post_command(out, "restore", {})
    for it in job.run.iterations(job.run.iteration + 3):
        job.train(it)
    responses = read_responses(out)
    assert responses[back]["status"] == "SUCCESS" and responses[back]["body"]["hyperparams"][0]["lr"] == 0.1
    assert responses[adjust]["status"] == "SUCCESS", responses[adjust]  # it held until the restore replaced it
    job.run.close()


def test_a_run_shipped_over_http_refuses_restore_instead_of_splitting_in_two(tmp_path):
    """The upload API cannot take back entries yet: a rewound log would reach the server as another run."""
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    run = trainui.Run(str(tmp_path / "run"), model=model, optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
                      progress=False, poll_interval=0.0, handle_signals=False, server="http://127.0.0.1:9",
                      project="p")
    run._upload_timeout = 0.5  # nothing listens there: do not wait for it at close
    for it in run.iterations(3):
        run.snapshot()
    uid = post_command(run.out, "restore", {})
    for it in run.iterations(4):
        pass
    response = answer(run.out, uid)
    assert response["status"] == "FAILURE" and "shipped to a server over HTTP" in response["body"]["error"]
    assert run.iteration == 4 and not jsonl(run.out, REWINDS_LOG)
    run.close()


def test_the_log_rewind_keeps_a_valid_array_that_appends_on(tmp_path):
    from trainui.trainer.logfile import LogWriter

    path = str(tmp_path / "log")
    log = LogWriter(path, flush_every=1)
    for i in range(1, 6):
        log.append({"iteration": i, "main/loss": float("nan") if i == 4 else 1.0 / i, "note": "é"})
    log.append({"epoch": 1})  # an entry without an iteration after the cut goes with it
    assert [e.get("iteration") for e in log.rewind(2)] == [3, 4, 5, None]
    assert log.rewind(2) == []  # nothing past 2 any more
    log.append({"iteration": 3, "main/loss": 0.3})
    log.close()
    with open(path) as f:
        assert [e["iteration"] for e in json.load(f)] == [1, 2, 3]
    again = LogWriter(path)  # reopened: the rewritten file is a whole log
    assert again.entry_count == 3 and again.resume_ceiling == 3
    assert [e["iteration"] for e in again.rewind(0)] == [1, 2, 3] and again.resume_ceiling == 0
    again.append({"iteration": 1})
    again.close()
    with open(path) as f:
        assert json.load(f) == [{"iteration": 1}]
