"""The job's console: real jobs print (print, fd 2, a child process), and their result directory
keeps it, bounded, while their terminal gets it unchanged; a crash's traceback ends the file."""
from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

import trainui
from trainui import protocol
from trainui_job_helpers import job_env

JOB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "jobs", "console_job.py")


def run_job(out, *args, env=None, nproc=1, timeout=90):
    if nproc > 1:
        argv = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}", JOB]
    else:
        argv = [sys.executable, JOB]
    return subprocess.run([*argv, "--out", str(out), *args], env=job_env(**(env or {})), capture_output=True,
                          text=True, timeout=timeout)


def console_of(out, rank=0) -> str:
    with open(os.path.join(out, protocol.console_file(rank)), encoding="utf-8", newline="") as f:
        return f.read()


def test_a_crashing_job_keeps_what_it_printed_and_its_traceback(tmp_path):
    out = tmp_path / "run"
    job = run_job(out, "--crash", "--lines", "3")
    assert job.returncode == 1, job.stderr
    text = console_of(out)
    for line in ("hello from rank 0", "rank 0 on fd 2 \x1b[31mred\x1b[0m", "child of rank 0",
                 "\rloading 0%\rloading 50%\rloading 100%\n", "line 2 of rank 0", "last line of rank 0"):
        assert line in text
    assert text.rstrip().endswith("RuntimeError: deliberate crash on rank 0")
    assert text.count("Traceback (most recent call last)") == 1
    # the terminal got the same, on the same streams
    assert "hello from rank 0" in job.stdout and "child of rank 0" in job.stdout and "line 2 of rank 0" in job.stdout
    assert "rank 0 on fd 2" in job.stderr and "RuntimeError: deliberate crash on rank 0" in job.stderr
    assert "hello" not in job.stderr and "Traceback" not in job.stdout


def test_the_console_is_rotated_at_its_size_cap(tmp_path):
    out = tmp_path / "run"
    job = run_job(out, "--lines", "20000", "--max-bytes", "4096", "--backups", "2")
    assert job.returncode == 0, job.stderr
    numbered = [line.split()[1] for line in job.stdout.splitlines() if line.startswith("line ")]
    assert numbered == [str(n) for n in range(20000)]  # the terminal lost nothing, in order
    meta = out / ".trainui"
    names = sorted(p.name for p in meta.iterdir() if p.name.startswith("console"))
    assert names == ["console.log", "console.log.1", "console.log.2"]
    for name in names:
        assert 0 < (meta / name).stat().st_size <= 4096
    assert console_of(out).rstrip().endswith("last line of rank 0")
    older = (meta / "console.log.1").read_text()
    assert "line 19" in older and "last line" not in older


@pytest.mark.parametrize("how", ["env", "argument"])
def test_the_console_can_be_turned_off(tmp_path, how):
    out = tmp_path / "run"
    job = run_job(out, *(["--console", "off"] if how == "argument" else []),
                  env={"TRAINUI_CONSOLE": "0"} if how == "env" else None)
    assert job.returncode == 0, job.stderr
    assert "hello from rank 0" in job.stdout
    assert not (out / protocol.CONSOLE).exists()
    assert (out / protocol.LOG).exists()


def test_sigterm_ends_the_job_with_its_console_flushed(tmp_path):
    out = tmp_path / "run"
    job = subprocess.Popen([sys.executable, JOB, "--out", str(out), "--wait"], env=job_env(),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert job.stdout.readline().startswith("hello")
        for line in job.stdout:
            if line.strip() == "ready":
                break
        job.send_signal(signal.SIGTERM)
        job.communicate(timeout=30)  # no deadlock at exit
    finally:
        if job.poll() is None:
            job.kill()
    assert job.returncode == -signal.SIGTERM
    text = console_of(out)
    assert "last line of rank 0" in text and "ready" in text
    assert protocol.read_json(os.path.join(out, protocol.STATUS))["status"] == "stopped"


@pytest.mark.slow  # a real torchrun of 2 ranks
def test_every_rank_keeps_its_console_on_request(tmp_path):
    out = tmp_path / "ddp"
    job = run_job(out, "--console", "all", "--crash", nproc=2, timeout=180)
    assert job.returncode != 0
    for rank in (0, 1):
        text = console_of(out, rank)
        assert f"hello from rank {rank}" in text and f"child of rank {rank}" in text
        assert f"RuntimeError: deliberate crash on rank {rank}" in text
        assert f"rank {1 - rank}" not in text


def test_bad_console_settings_fail_at_once(tmp_path):
    with pytest.raises(ValueError, match="console must be True, False or \"all\""):
        trainui.Run(str(tmp_path / "a"), console="yes", handle_signals=False)
    with pytest.raises(ValueError, match="console_max_bytes must be an integer of at least 1024"):
        trainui.Run(str(tmp_path / "b"), console_max_bytes=10, handle_signals=False)
    with pytest.raises(ValueError, match="console_backups"):
        trainui.Run(str(tmp_path / "c"), console_backups=-1, handle_signals=False)
