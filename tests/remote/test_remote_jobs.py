"""Remote jobs end to end: a real server, real torchrun jobs whose result directory the server cannot
see, joined to it only by TRAINUI_SERVER / TRAINUI_PROJECT / TRAINUI_TOKEN."""
from __future__ import annotations

import time

from remote_helpers import (kill_tree, local_entries, snapshot_names, start_remote_job, wait_for_remote_run,
                            server_entries)
from trainui_job_helpers import api_post_command, api_wait_command, read_log, read_rank_records, wait_for_log


def test_a_torchrun_job_joined_by_environment_alone_is_live_and_steerable(remote, tmp_path):
    out = tmp_path / "job-host" / "quickstart"  # outside the project's directory: no file ingestion
    job = start_remote_job(remote, out, "--iterations", "1000000", "--sleep", "0.01", "--log-every", "5",
                           "--image-every", "50", nproc=2)
    try:
        run = wait_for_remote_run(remote, job, name="quickstart")
        assert run["source"] == "http"
        live = wait_for_remote_run(remote, job, min_entries=run["entry_count"] + 5)  # still growing
        assert live["id"] == run["id"]
        rid = run["id"]

        lr = api_wait_command(remote.server, rid, api_post_command(remote.server, rid, "adjust_hyperparams",
                                                                   {"lr": 0.01})["id"])
        snap = api_wait_command(remote.server, rid, api_post_command(remote.server, rid, "take_snapshot")["id"])
        remote.server.wait_for(lambda: snap["response"]["path"] in snapshot_names(remote, rid), timeout=30)
        stop = api_wait_command(remote.server, rid, api_post_command(remote.server, rid, "stop")["id"])
        for answered in (lr, snap, stop):
            assert (answered["status"], answered["ranks"]) == ("SUCCESS", 2), answered
        assert lr["response"]["hyperparams"][0]["lr"] == 0.01
        stdout, stderr = job.communicate(timeout=120)
        assert job.returncode == 0, stderr[-3000:]
    finally:
        kill_tree(job)

    ranks = read_rank_records(str(out))
    for answered in (lr, snap, stop):
        applied = [(rank, r["iteration"]) for rank, records in ranks.items() for r in records
                   if r["uid"] == answered["uid"]]
        assert sorted(applied) == [(0, answered["iteration"]), (1, answered["iteration"])]  # once per rank, together

    status, body = remote.server.api("GET", f"results/{rid}")
    result = body["result"]
    assert result["status"] == "stopped"
    assert result["entry_count"] == len(read_log(str(out)))  # everything, shipped before the job ended
    assert server_entries(remote, rid) == local_entries(out)
    assert result["asset_tags"] == ["hidden_weights"]
    assert result["hyperparams"][0]["lr"] == 0.01


OUTAGE_SECONDS = 10.0


def test_server_killed_before_and_twice_during_a_job_leaves_each_entry_once(remote, tmp_path):
    server = remote.server
    out = tmp_path / "job-host" / "outage"
    server.kill()  # down before the job starts: the job trains anyway
    down_since = time.monotonic()
    job = start_remote_job(remote, out, "--iterations", "1000000", "--sleep", "0.01", "--log-every", "2",
                           "--image-every", "0", nproc=2)
    try:
        wait_for_log(str(out), 10, timeout=90, job=job)
        time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - down_since)))
        server.start()
        rid = wait_for_remote_run(remote, job)["id"]
        for _ in range(2):
            wait_for_remote_run(remote, job, min_entries=len(read_log(str(out))))  # caught up again
            server.kill()
            trained_to = len(read_log(str(out)))
            time.sleep(OUTAGE_SECONDS)
            assert len(read_log(str(out))) > trained_to  # training went on while the server was down
            server.start()
        wait_for_remote_run(remote, job, min_entries=len(read_log(str(out))))
        stop = api_wait_command(server, rid, api_post_command(server, rid, "stop")["id"])
        assert (stop["status"], stop["ranks"]) == ("SUCCESS", 2), stop
        _, stderr = job.communicate(timeout=120)
        assert job.returncode == 0, stderr[-3000:]
    finally:
        kill_tree(job)

    # each outage said once when it began and once when it ended (a slow answer may add a pair)
    assert stderr.count("cannot reach the trainui server") == stderr.count("answers again") >= 3
    held = server_entries(remote, rid)
    assert held == local_entries(out)  # each entry once, none missing
    assert len({x for x, _ in held}) == len(held)
    status, body = server.api("GET", f"results/{rid}")
    assert body["result"]["entry_count"] == len(read_log(str(out))) and body["result"]["status"] == "stopped"


def test_a_command_posted_just_before_the_server_is_killed_is_applied_once(remote, tmp_path):
    server = remote.server
    out = tmp_path / "job-host" / "command-outage"
    job = start_remote_job(remote, out, "--iterations", "1000000", "--sleep", "0.01", "--image-every", "0", nproc=2)
    try:
        rid = wait_for_remote_run(remote, job)["id"]
        posted = api_post_command(server, rid, "adjust_hyperparams", {"lr": 0.02})
        server.kill()  # just after the post: the job may or may not have fetched it
        time.sleep(OUTAGE_SECONDS)
        server.start()
        answered = api_wait_command(server, rid, posted["id"], timeout=60)
        wait_for_remote_run(remote, job, min_entries=len(read_log(str(out))))
        stop = api_wait_command(server, rid, api_post_command(server, rid, "stop")["id"])
        _, stderr = job.communicate(timeout=120)
        assert job.returncode == 0, stderr[-3000:]
    finally:
        kill_tree(job)
    assert (answered["status"], answered["ranks"], stop["status"]) == ("SUCCESS", 2, "SUCCESS"), answered
    ranks = read_rank_records(str(out))
    for rank in (0, 1):
        assert [r["iteration"] for r in ranks[rank] if r["uid"] == answered["uid"]] == [answered["iteration"]]
