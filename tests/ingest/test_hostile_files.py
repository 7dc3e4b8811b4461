"""Special files in a result directory, through a real server: a FIFO where ``args``, the status or
the asset index belongs, ``args`` linked to ``/dev/zero`` or outside the project, a 300 MB ``args``,
a symbolic link as the command inbox. Before this, the FIFO stopped ingestion for good (no error
anywhere), /dev/zero took the server to gigabytes, the large args was read whole on every pass, and
a posted command was written into whatever the inbox linked to. Now each such result shows an
ingest error, and every other result keeps updating."""
from __future__ import annotations

import os
import time

import requests

import trainui
from trainui import protocol


def live_run(directory):
    run = trainui.Run(str(directory), args={"lr": 0.1}, progress=False, handle_signals=False, flush_interval=0.1)
    run.step(iteration=1)
    run.log({"loss": 1.0}, iteration=1)
    run.flush()
    return run


def hostile_results(project):
    """name -> the words its ingest error must hold."""
    made = {}
    for name, relative in (("fifo_args", "args"), ("fifo_status", protocol.STATUS),
                           ("fifo_assets", protocol.ASSETS_INDEX)):
        directory = project / name
        (directory / ".trainui").mkdir(parents=True)
        (directory / "log").write_text('[{"iteration": 1, "loss": 1.0}]')
        os.mkfifo(directory / relative)
        made[name] = "FIFO"
    zero = project / "zero_args"
    zero.mkdir()
    (zero / "log").write_text('[{"iteration": 1, "loss": 1.0}]')
    os.symlink("/dev/zero", zero / "args")
    made["zero_args"] = "character device"
    outside = project.parent / "secret.json"
    outside.write_text('{"password": "hunter2"}')
    linked = project / "linked_args"
    linked.mkdir()
    (linked / "log").write_text('[{"iteration": 1, "loss": 1.0}]')
    os.symlink(outside, linked / "args")
    made["linked_args"] = "outside the project"
    big = project / "big_args"
    big.mkdir()
    (big / "log").write_text('[{"iteration": 1, "loss": 1.0}]')
    with open(big / "args", "wb") as f:
        f.truncate(300 * 1024 * 1024)  # sparse: 300 MB to read, nothing on disk
    made["big_args"] = "300.0 MB"
    return made


def test_special_files_are_ingest_errors_and_the_live_run_beside_them_keeps_updating(start_server, tmp_path):
    project_dir = tmp_path / "project"
    run = live_run(project_dir / "live")
    expected = hostile_results(project_dir)
    server = start_server()
    project = server.create_project(project_dir)
    try:
        def ready():
            results = {r["name"]: r for r in server.results(project["id"])}
            return results if len(results) == len(expected) + 1 and all(
                results[n]["ingest_error"] for n in expected) else None

        results = server.wait_for(ready, timeout=30)
        for name, words in expected.items():
            assert words in results[name]["ingest_error"], (name, results[name]["ingest_error"])
            assert results[name]["entry_count"] == 1  # its log is read all the same
        assert "hunter2" not in str(results["linked_args"])
        for i in range(2, 40):  # the live run, every entry of it arriving while the others stay damaged
            run.step(iteration=i)
            run.log({"loss": 1.0 / i}, iteration=i)
            run.flush()
            server.wait_for(lambda: server.api("GET", f"results/{results['live']['id']}")[1]["result"]["entry_count"]
                            >= i, timeout=10)
    finally:
        run.close()
    statm = open(f"/proc/{server.proc.pid}/status").read()
    peak_kb = int(statm.split("VmHWM:")[1].split()[0])
    assert peak_kb < 1024 * 1024, f"server peak RSS {peak_kb} kB"  # /dev/zero read whole was gigabytes


def test_a_command_never_goes_through_a_symlinked_inbox(start_server, tmp_path):
    project_dir = tmp_path / "project"
    run = live_run(project_dir / "live")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    inbox = project_dir / "live" / protocol.COMMANDS_INBOX
    for leftover in inbox.iterdir():
        leftover.unlink()
    inbox.rmdir()
    os.symlink(elsewhere, inbox)
    server = start_server()
    try:
        project = server.create_project(project_dir)
        result = server.wait_for(lambda: (lambda r: r[0] if r and r[0]["status"] == "running" else None)(
            server.results(project["id"])), timeout=20)
        status, body = server.api("POST", f"results/{result['id']}/commands", json={"name": "stop", "body": {"x": 1}})
        assert status == 201, body
        server.wait_for(lambda: "not yet delivered" in server.log_path.read_text(errors="replace"), timeout=20)
        time.sleep(1.0)  # more delivery passes
        assert list(elsewhere.iterdir()) == []
        commands = requests.get(server.api_url + f"results/{result['id']}/commands", timeout=5).json()["commands"]
        assert [c["status"] for c in commands] == ["PENDING"]  # never said to be delivered or applied
    finally:
        run.close()


def test_the_metric_key_not_stored_message_stays_while_the_log_grows(start_server, tmp_path):
    """It vanished on the next pass, though the key was still being dropped."""
    run = live_run(tmp_path / "project" / "live")
    server = start_server()
    try:
        run.log({"loss": 0.9, "k" * 300: 1.0}, iteration=2)  # a key longer than the store keeps
        run.flush()
        project = server.create_project(tmp_path / "project")
        rid = server.wait_for(lambda: server.results(project["id"]))[0]["id"]

        def result():
            return server.api("GET", f"results/{rid}")[1]["result"]

        server.wait_for(lambda: "metric key not stored" in (result()["ingest_error"] or ""))
        for i in range(3, 8):
            run.step(iteration=i)
            run.log({"loss": 1.0 / i}, iteration=i)
            run.flush()
            server.wait_for(lambda: result()["entry_count"] >= i, timeout=10)
            time.sleep(0.6)  # another pass
            assert "metric key not stored" in (result()["ingest_error"] or ""), result()["ingest_error"]
    finally:
        run.close()


def test_a_project_deleted_while_it_is_ingested_leaves_no_traceback(start_server, tmp_path):
    project_dir = tmp_path / "project"
    for i in range(60):
        directory = project_dir / f"r{i}"
        directory.mkdir(parents=True)
        (directory / "log").write_text('[%s]' % ", ".join('{"iteration": %d, "loss": 1.0}' % j for j in range(200)))
        (directory / "args").write_text('{"lr": 0.1}')
    server = start_server()
    for delay in (0.0, 0.05, 0.1, 0.2, 0.4, 0.8):
        project = server.create_project(project_dir)
        time.sleep(delay)
        status, body = server.api("DELETE", f"projects/{project['id']}")
        assert status in (200, 204), body
    time.sleep(2.0)  # ingestion passes over what it had in hand
    assert server.api("GET", "projects")[1]["projects"] == []
    log = server.log_path.read_text(errors="replace")
    assert "Traceback" not in log and "Error" not in log.replace("ingest_error", ""), log[-3000:]
