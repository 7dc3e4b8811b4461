"""Issue 19, point 1: one process, one result. A job started into a directory that holds a run
goes to a numbered sibling (and says so); resuming is explicit (``resume=True``, or a snapshot of
that directory loaded through trainui); two jobs never share one directory; torchrun ranks agree."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
import torch

import trainui
from trainui import protocol
from trainui.trainer.result_dir import RunInUse
from trainui_job_helpers import (finish, job_env, post_command, quickstart_argv, read_log, read_rank_records,
                                 start_job, wait_for_response)


def short_run(out, *values, **kwargs):
    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with trainui.Run(str(out), model=model, optimizer=optimizer, progress=False, handle_signals=False,
                     **kwargs) as run:
        for it, value in enumerate(values, 1):
            run.log({"v": value}, iteration=it)
            run.step(iteration=it)
        if kwargs.get("resume") is None:
            run.snapshot()
    return run


def test_a_rerun_goes_to_a_numbered_sibling_and_says_where(tmp_path, capfd):
    out = tmp_path / "tour"
    first = short_run(out, 1, 2, 3)
    post_command(str(out), "stop")  # something the first run was asked, still there afterwards
    before = sorted(os.listdir(out)), (out / "log").read_bytes(), (out / protocol.STATUS).read_bytes()
    capfd.readouterr()

    second = short_run(out, 7)
    assert first.out == str(out) and second.out == str(tmp_path / "tour-2")
    err = capfd.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "tour holds an earlier run" in lines[0] and "tour-2" in lines[0], err
    assert (sorted(os.listdir(out)), (out / "log").read_bytes(), (out / protocol.STATUS).read_bytes()) == before
    assert [e["v"] for e in read_log(second.out)] == [7]
    assert os.listdir(os.path.join(second.out, protocol.COMMANDS_INBOX)) == []  # no old command beside it
    assert not os.path.exists(out / ".trainui" / "log.replayed.jsonl")

    third = short_run(out, 9)
    assert third.out == str(tmp_path / "tour-3")


def test_a_chainer_result_directory_is_left_as_it_is(tmp_path):
    out = tmp_path / "chainer"
    out.mkdir()
    (out / "log").write_text(json.dumps([{"iteration": 100, "main/loss": 0.5}], indent=4))
    run = short_run(out, 1)
    assert run.out == str(tmp_path / "chainer-2")
    assert json.loads((out / "log").read_text()) == [{"iteration": 100, "main/loss": 0.5}]
    assert not (out / ".trainui").exists()


def test_an_empty_or_unrelated_directory_is_used_as_it_is(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("my own file")
    assert short_run(out, 1).out == str(out)


def test_resume_true_continues_the_run_in_place(tmp_path):
    out = tmp_path / "run"
    short_run(out, 1, 2, 3)
    resumed = short_run(out, 10, 20, 30, 40, resume=True)
    assert resumed.out == str(out)
    assert [e["v"] for e in read_log(out)] == [1, 2, 3, 40]  # 1..3 replayed, to the replayed log
    with open(out / ".trainui" / "log.replayed.jsonl") as f:
        assert [json.loads(line)["v"] for line in f] == [10, 20, 30]
    assert not (tmp_path / "run-2").exists()


def test_a_snapshot_loaded_through_trainui_resumes_its_own_directory_only(tmp_path):
    out = tmp_path / "run"
    short_run(out, 1, 2, 3)
    model = torch.nn.Linear(2, 1)
    trainui.load_snapshot(trainui.find_latest_snapshot(str(out)), model=model)
    with trainui.Run(str(out), model=model, progress=False, handle_signals=False) as run:
        assert run.out == str(out)
    with trainui.Run(str(out), model=model, progress=False, handle_signals=False) as again:
        assert again.out == str(tmp_path / "run-2")  # the loaded snapshot resumed one run, not every later one
    # fine-tuning from another run's snapshot is a new run, in its own directory
    trainui.load_snapshot(trainui.find_latest_snapshot(str(out)), model=model)
    other = tmp_path / "finetune"
    short_run(other, 5)
    with trainui.Run(str(other), model=model, progress=False, handle_signals=False) as run:
        assert run.out == str(tmp_path / "finetune-2")


def test_continue_log_still_works_and_says_it_is_deprecated(tmp_path):
    out = tmp_path / "run"
    short_run(out, 1, 2)
    with pytest.warns(FutureWarning, match="resume=True"):
        kept = trainui.Run(str(out), progress=False, handle_signals=False, continue_log=True)
    kept.close()
    assert kept.out == str(out)
    with pytest.warns(FutureWarning, match="deprecated"):
        beside = trainui.Run(str(out), progress=False, handle_signals=False, continue_log=False)
    beside.close()
    assert beside.out == str(tmp_path / "run-2")
    assert [e["v"] for e in read_log(out)] == [1, 2]  # never moved aside any more
    assert not [n for n in os.listdir(out / ".trainui") if n.startswith("log.previous")]


def write_status(out, pid, host, heartbeat_age=0.5):
    status = protocol.JobStatus(status=protocol.RUNNING, pid=pid, host=host, started_at=time.time() - 10,
                                heartbeat_at=time.time() - heartbeat_age)
    protocol.atomic_write_json(os.path.join(out, protocol.STATUS), status.to_json())


def test_resume_is_refused_while_the_directory_s_job_is_alive(tmp_path):
    out = tmp_path / "run"
    short_run(out, 1)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        write_status(out, sleeper.pid, socket.gethostname())
        with pytest.raises(RunInUse, match=f"pid {sleeper.pid}"):
            trainui.Run(str(out), progress=False, handle_signals=False, resume=True)
        write_status(out, 4242, "another-host")  # elsewhere, beating: alive as far as we can tell
        with pytest.raises(RunInUse, match="another-host"):
            trainui.Run(str(out), progress=False, handle_signals=False, resume=True)
    finally:
        sleeper.kill()
        sleeper.wait()
    write_status(out, sleeper.pid, socket.gethostname())  # its process is gone (killed without a word)
    trainui.Run(str(out), progress=False, handle_signals=False, resume=True).close()
    write_status(out, 4242, "another-host", heartbeat_age=60)  # elsewhere, silent for a minute
    trainui.Run(str(out), progress=False, handle_signals=False, resume=True).close()


CLAIMER = """
import sys, time, trainui
start = float(sys.argv[2])
time.sleep(max(0.0, start - time.time()))
run = trainui.Run(sys.argv[1], progress=False)
run.log({"v": 1}, iteration=1)
run.close()
print(run.out)
"""


def test_jobs_started_at_the_same_moment_get_a_directory_each(tmp_path):
    out = tmp_path / "same"
    start = time.time() + 3
    jobs = [subprocess.Popen([sys.executable, "-c", CLAIMER, str(out), str(start)], env=job_env(),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outs = [job.communicate(timeout=60)[0].strip() for job in jobs]
    assert all(job.returncode == 0 for job in jobs)
    assert sorted(outs) == sorted(str(tmp_path / name) for name in ("same", "same-2", "same-3", "same-4"))
    assert all([e["v"] for e in read_log(o)] == [1] for o in outs)  # one entry each: nothing shared


@pytest.mark.slow  # a real torchrun of 2 ranks
def test_torchrun_into_a_directory_that_holds_a_run_moves_every_rank_beside_it(tmp_path):
    """`python tour.py`, then `torchrun --nproc_per_node=2 tour.py`: the second run is its own result,
    and rank 1 (which writes its own record of applied commands) agrees with rank 0 on where."""
    out = str(tmp_path / "mlp")
    finish(start_job(quickstart_argv(out, "--iterations", "20", "--log-every", "5", "--image-every", "0")))
    first = read_log(out)
    job = start_job(quickstart_argv(out, "--iterations", "100000", "--sleep", "0.01", "--log-every", "5",
                                    "--image-every", "0", nproc=2))
    try:
        sibling = str(tmp_path / "mlp-2")
        deadline = time.time() + 120
        while not (os.path.exists(os.path.join(sibling, protocol.STATUS)) and read_log(sibling)):
            assert job.poll() is None and time.time() < deadline, job.stderr.read() if job.poll() is not None else ""
            time.sleep(0.2)
        uid = post_command(sibling, "stop")
        assert wait_for_response(sibling, uid, timeout=60, job=job)["status"] == "SUCCESS"
        _, stderr = finish(job, timeout=60)
    finally:
        if job.poll() is None:
            job.send_signal(signal.SIGKILL)
    assert f"this run writes to {sibling}" in stderr or "mlp-2" in stderr
    assert sorted(read_rank_records(sibling)) == [0, 1]  # both ranks wrote into the new directory
    assert not os.path.exists(os.path.join(out, protocol.RANKS_DIR))
    assert read_log(out) == first  # the first run untouched
    status = protocol.read_json(os.path.join(sibling, protocol.STATUS))
    assert status["world_size"] == 2 and status["status"] == "stopped"
    assert protocol.read_json(os.path.join(out, protocol.STATUS))["world_size"] == 1
