"""The "Jobs anywhere" README section, run as written: its shell block (a job token, a torchrun job
joined by three variables, `trainui sync`) and its Client block, against a real server."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from remote_helpers import kill_tree, make_token, start_remote_job, wait_for_remote_run
from trainui_job_helpers import QUICKSTART, job_env, read_log, read_rank_records

HERE = Path(__file__).resolve().parent
HEADING = "## Jobs anywhere"


def section() -> str:
    readme = (HERE.parent.parent / "README.md").read_text()
    text = readme[readme.index(HEADING):]
    following = re.search(r"\n## ", text[len(HEADING):])
    return text[:len(HEADING) + following.start()] if following else text


def block(language: str) -> str:
    return re.search(rf"```{language}\n(.*?)```", section(), re.S).group(1)


def test_the_shell_block_ships_a_torchrun_job_and_sync_finds_nothing_left(remote, tmp_path):
    (tmp_path / "train.py").write_text(  # the user's script: here the quickstart, shortened
        f"import runpy, sys\nsys.argv[1:] += ['--iterations', '300', '--no-progress']\n"
        f"runpy.run_path({QUICKSTART!r}, run_name='__main__')\n")
    script = block("bash").replace("http://trainui-host:5000", remote.url)
    # `trainui project create` and `token create` run where the server's database is; ~ is tmp_path
    env = job_env(TRAINUI_ROOT=str(remote.server.root), HOME=str(tmp_path))
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "holds 30 entries (0 shipped now)" in done.stdout  # the job's own upload had shipped it all
    run = wait_for_remote_run(remote, name="run1", status="finished", min_entries=30, project="my-project")
    assert run["entry_count"] == len(read_log(str(tmp_path / "results" / "run1")))


def test_the_client_block_reads_and_steers_the_latest_run(remote, tmp_path):
    (tmp_path / "my-project").mkdir()
    remote.server.create_project(tmp_path / "my-project", "my-project")
    token = make_token(remote.server, "job", "my-project")
    out = tmp_path / "job-host" / "steered"
    job = start_remote_job(remote, out, "--iterations", "1000000", "--sleep", "0.01", "--image-every", "0",
                           env=job_env(TRAINUI_SERVER=remote.url, TRAINUI_PROJECT="my-project", TRAINUI_TOKEN=token))
    try:
        wait_for_remote_run(remote, job, name="steered", project="my-project")
        (tmp_path / "notebook.py").write_text(block("python").replace("http://trainui-host:5000", remote.url))
        done = subprocess.run([sys.executable, "notebook.py"], cwd=tmp_path, env=job_env(), capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-3000:]
        status, iteration, ranks = done.stdout.split()
        assert (status, ranks) == ("SUCCESS", "1") and int(iteration) > 0
    finally:
        kill_tree(job)
    (applied,) = read_rank_records(str(out))[0]
    assert applied["name"] == "adjust_hyperparams" and applied["hyperparams"][0]["lr"] == 0.01
