"""A remote run's console: shipped by its uploader, served by the console API as a local run's, and
nothing lost or doubled when the server is killed and started again while the job prints."""
from __future__ import annotations

import re
import subprocess
import sys
import textwrap
import time

import pytest
import requests

from remote_helpers import kill_tree, wait_for_remote_run

pytestmark = pytest.mark.slow

PRINTER = textwrap.dedent('''
    import sys, time
    import trainui

    lines, pause = int(sys.argv[2]), float(sys.argv[3])
    with trainui.Run(sys.argv[1]) as run:
        for i in range(lines):
            print(f"line {i:06d} \\u00e9t\\u00e9", flush=True)
            if i % 50 == 0:
                run.log({"main/loss": 1.0 / (i + 1)}, iteration=i)
            run.step(i)
            time.sleep(pause)
        if len(sys.argv) > 4:
            raise RuntimeError("the job fails at the end")
''')


def start_printer(remote, tmp_path, lines: int, pause: float, *extra: str) -> subprocess.Popen:
    script = tmp_path / "printer.py"
    script.write_text(PRINTER)
    out = tmp_path / "job-host" / "printer"
    return subprocess.Popen([sys.executable, str(script), str(out), str(lines), str(pause), *extra],
                            env=remote.job_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def whole_console(server, rid: int) -> str:
    text, offset = "", 0
    while True:
        status, body = server.api("GET", f"results/{rid}/console", params={"offset": offset, "limit": 1048576})
        assert status == 200, body
        text += body["text"]
        if body["next_offset"] == offset:
            return text
        offset = body["next_offset"]


def printed(text: str) -> list[int]:
    # (found anywhere: the uploader's own notes go to stderr, a second pipe into the same file, and
    # may land between a line and its newline, as on a terminal)
    return [int(n) for n in re.findall(r"line (\d{6}) \u00e9t\u00e9", text)]


def test_a_remote_jobs_console_survives_a_server_restart_in_order(remote, tmp_path):
    server = remote.server
    job = start_printer(remote, tmp_path, 1500, 0.004, "fail")
    try:
        run = wait_for_remote_run(remote, job, name="printer")
        rid = run["id"]
        server.wait_for(lambda: len(printed(whole_console(server, rid))) > 100, timeout=60)
        server.kill()  # mid-run: the job prints on, its uploader keeps the rest until the server is back
        time.sleep(2.0)
        server.start()
        job.communicate(timeout=120)
        assert job.returncode == 1
    finally:
        kill_tree(job)

    def complete():
        text = whole_console(server, rid)
        return text if "RuntimeError: the job fails at the end" in text else None

    text = server.wait_for(complete, timeout=60)
    assert printed(text) == list(range(1500))  # each line once, in order, across the restart
    assert "line 000007 \u00e9t\u00e9\n" in text
    status, tail = server.api("GET", f"results/{rid}/console", params={"tail": 3})
    assert status == 200 and "RuntimeError: the job fails at the end" in tail["text"], tail
    assert tail["ranks"] == [0]


def test_console_pieces_are_refused_clearly_and_taken_once(remote, tmp_path):
    server = remote.server
    job = start_printer(remote, tmp_path, 3, 0.0)
    try:
        job.communicate(timeout=60)
    finally:
        kill_tree(job)
    run = wait_for_remote_run(remote, None, name="printer", status="finished")
    rid = run["id"]
    server.wait_for(lambda: "line 000002" in whole_console(server, rid), timeout=30)
    url = f"{server.api_url}results/{rid}/console"
    text_plain = {"Content-Type": "text/plain; charset=utf-8"}

    def post(data: bytes, offset, rank=1, headers=text_plain):
        params = {"rank": rank} if offset is None else {"rank": rank, "offset": offset}
        return requests.post(url, params=params, data=data, headers=headers, timeout=30)

    first = post(b"hello\n", 0)
    assert first.status_code == 200 and first.json() == {"rank": 1, "received": 6}
    again = post(b"hello\nworld\n", 0)  # its answer was lost: resent whole, only the new tail is kept
    assert again.status_code == 200 and again.json()["received"] == 12
    gap = post(b"later\n", 20)
    assert gap.status_code == 409 and gap.json()["received"] == 12 and "offset" in gap.json()["message"]
    binary = post(b"\xff\xfe\x00bin", 12)
    assert binary.status_code == 400 and "UTF-8" in binary.json()["message"]
    nul = post(b"a\x00b", 12)
    assert nul.status_code == 400 and "NUL" in nul.json()["message"]
    wrong_type = post(b"x", 12, headers={"Content-Type": "application/octet-stream"})
    assert wrong_type.status_code == 415 and "text/plain" in wrong_type.json()["message"]
    no_offset = post(b"x", None)
    assert no_offset.status_code == 400 and "offset" in no_offset.json()["message"]
    huge = post(b"x" * (1024 * 1024 + 1), 12)
    assert huge.status_code == 413 and "smaller pieces" in huge.json()["message"]
    status, body = server.api("GET", f"results/{rid}/console", params={"rank": 1})
    assert (status, body["text"], body["ranks"]) == (200, "hello\nworld\n", [0, 1])  # none of the refused


def test_a_remote_console_is_bounded_by_rotation(remote, tmp_path):
    from trainui.web import remote_console

    server = remote.server
    job = start_printer(remote, tmp_path, 1, 0.0)
    try:
        job.communicate(timeout=60)
    finally:
        kill_tree(job)
    run = wait_for_remote_run(remote, None, name="printer", status="finished")
    rid = run["id"]
    url = f"{server.api_url}results/{rid}/console"
    piece = (("%07d " % 0) + "y" * 1015 + "\n").encode() * 1024  # 1 MiB of 1 KiB lines
    sent = 0
    for _ in range(25):  # 25 MiB: more than a file and its backup hold
        answer = requests.post(url, params={"rank": 2, "offset": sent}, data=piece,
                               headers={"Content-Type": "text/plain"}, timeout=60)
        assert answer.status_code == 200, answer.text
        sent = answer.json()["received"]
    assert sent == 25 * len(piece)
    folder = next((tmp_path / "server" / remote_console.CONSOLES_DIR).glob(f"{rid}-*")) / ".trainui"
    on_disk = sum(p.stat().st_size for p in folder.glob("console.rank2.log*") if not p.name.endswith(".base"))
    assert on_disk <= remote_console.MAX_BYTES * (remote_console.BACKUPS + 1)
    status, body = server.api("GET", f"results/{rid}/console", params={"rank": 2, "tail": 2})
    assert status == 200 and body["text"].count("\n") == 2 and body["size"] <= remote_console.MAX_BYTES
    resent = requests.post(url, params={"rank": 2, "offset": sent - len(piece)}, data=piece,
                           headers={"Content-Type": "text/plain"}, timeout=60)  # counted across rotations
    assert resent.json()["received"] == sent


def test_trainui_sync_ships_an_offline_runs_console_once(remote, tmp_path):
    script = tmp_path / "printer.py"
    script.write_text(PRINTER)
    out = tmp_path / "laptop" / "printer"
    env = {k: v for k, v in remote.job_env().items() if k not in ("TRAINUI_SERVER", "TRAINUI_PROJECT", "TRAINUI_TOKEN")}
    done = subprocess.run([sys.executable, str(script), str(out), "300", "0"], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    ship = [sys.executable, "-m", "trainui.cli", "sync", str(out), "--server", remote.url, "--project",
            remote.project, "--token", remote.token]
    for _ in range(2):  # the second sync sends nothing again
        synced = subprocess.run(ship, env=env, capture_output=True, text=True, timeout=120)
        assert synced.returncode == 0, synced.stderr
        run = wait_for_remote_run(remote, None, name="printer", status="finished")
        text = whole_console(remote.server, run["id"])
        assert text == (out / ".trainui" / "console.log").read_text()
        assert printed(text) == list(range(300))
