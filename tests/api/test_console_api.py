"""GET /results/<id>/console: a real job's console served in ranges and tails from disk, for the
roles that may read; hostile console files get a clear 422 or a bounded answer, never a stall."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from trainui import protocol
from trainui.store.tokens import create_token

REPO = Path(__file__).resolve().parents[2]
JOB = REPO / "tests" / "trainer" / "jobs" / "console_job.py"


@pytest.fixture
def crashed(app, tmp_path):
    """A project with one run of a real job that printed, then raised; (result id, its directory)."""
    project = tmp_path / "project"
    run_dir = project / "run"
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1")
    job = subprocess.run([sys.executable, str(JOB), "--out", str(run_dir), "--crash", "--lines", "50"],
                         env=env, capture_output=True, text=True, timeout=90)
    assert job.returncode == 1, job.stderr
    status, body = app.api("POST", "projects", json={"path": str(project)})
    assert status == 201, body
    app.ingest(body["project"]["id"], run_dir)
    status, body = app.api("GET", f"projects/{body['project']['id']}/results")
    return body["results"][0]["id"], run_dir


def console(app, result_id, headers=None, **query):
    return app.api("GET", f"results/{result_id}/console", query_string=query, headers=headers or {})


def test_the_tail_ends_with_the_traceback(app, crashed):
    result_id, run_dir = crashed
    status, body = console(app, result_id, tail=3)
    assert status == 200, body
    lines = body["text"].splitlines()
    assert len(lines) == 3 and lines[-1] == "RuntimeError: deliberate crash on rank 0"
    size = (run_dir / protocol.CONSOLE).stat().st_size
    assert body["size"] == size and body["next_offset"] == size and body["exists"] and body["ranks"] == [0]
    assert body["offset"] == size - len(body["text"].encode())


def test_ranges_followed_by_next_offset_give_the_whole_file(app, crashed):
    result_id, run_dir = crashed
    whole = (run_dir / protocol.CONSOLE).read_bytes()
    status, first = console(app, result_id, offset=0, limit=20)
    assert status == 200 and first["text"] == whole[:20].decode() and first["next_offset"] == 20
    pieces, offset = [], 0
    while offset < len(whole):
        status, body = console(app, result_id, offset=offset, limit=100)
        assert status == 200 and body["offset"] == offset and body["next_offset"] > offset
        pieces.append(body["text"])
        offset = body["next_offset"]
    assert "".join(pieces) == whole.decode()
    status, body = console(app, result_id, offset=len(whole))
    assert status == 200 and body["text"] == "" and body["next_offset"] == len(whole) and not body["reset"]
    status, body = console(app, result_id, offset=len(whole) + 10)  # rotated since: from the start again
    assert status == 200 and body["reset"] and body["offset"] == 0 and body["text"].startswith(whole[:10].decode())


@pytest.mark.parametrize("query, message", [
    ({"offset": -1}, "'offset' must be at least 0"), ({"limit": 0}, "'limit' must be at least 1"),
    ({"limit": 10**9}, "'limit' must be at most 1048576"), ({"tail": "many"}, "'tail' must be an integer"),
    ({"rank": -2}, "'rank' must be at least 0"),
])
def test_bad_queries_are_400(app, crashed, query, message):
    status, body = console(app, crashed[0], **query)
    assert status == 400 and message in body["message"]


def test_roles_viewer_reads_a_job_token_does_not(app, crashed, tmp_path):
    result_id, _ = crashed
    (tmp_path / "elsewhere").mkdir()
    assert app.api("POST", "projects", json={"path": str(tmp_path / "elsewhere"), "name": "elsewhere"})[0] == 201
    with app.db.session(write=True) as s:
        viewer, _ = create_token(s, "viewer")
        job, _ = create_token(s, "job", "elsewhere")
    status, body = console(app, result_id, tail=1, headers={"Authorization": f"Bearer {viewer}"})
    assert status == 200 and "deliberate crash" in body["text"]
    status, body = console(app, result_id, tail=1, headers={"Authorization": f"Bearer {job}"})
    assert status == 403 and "deliberate" not in str(body)
    status, body = console(app, 999_999, tail=1)
    assert status == 404


def test_a_run_without_console_answers_empty(app, crashed):
    result_id, run_dir = crashed
    (run_dir / protocol.CONSOLE).unlink()
    status, body = console(app, result_id, tail=10)
    assert status == 200 and body == {"exists": False, "size": 0, "offset": 0, "next_offset": 0, "text": "",
                                      "reset": False, "rank": 0, "ranks": []}


def _fifo(path):
    os.mkfifo(path)


def _dev_zero(path):
    os.symlink("/dev/zero", path)


def _outside(path):
    secret = path.parents[3] / "secret.txt"
    secret.write_text("not the job's\n")
    os.symlink(secret, path)


@pytest.mark.parametrize("make, says", [(_fifo, "a FIFO"), (_dev_zero, "a character device"),
                                        (_outside, "links outside")])
def test_hostile_console_files_are_422_at_once(app, crashed, make, says):
    result_id, run_dir = crashed
    path = run_dir / protocol.CONSOLE
    path.unlink()
    make(path)
    started = time.monotonic()
    for query in ({"tail": 10}, {"offset": 0}):
        status, body = console(app, result_id, **query)
        assert status == 422 and says in body["message"] and "not read" in body["message"]
        assert "not the job's" not in str(body)
    assert time.monotonic() - started < 5


def test_invalid_utf8_is_replaced_and_a_character_is_never_cut(app, crashed):
    result_id, run_dir = crashed
    (run_dir / protocol.CONSOLE).write_bytes(b"ok \xff\xfe bad\n" + "é€😀\n".encode() * 10)
    status, body = console(app, result_id, tail=1)
    assert status == 200 and body["text"] == "é€😀\n"
    status, body = console(app, result_id, offset=0, limit=5)
    assert status == 200 and body["text"] == "ok \ufffd\ufffd"
    for limit in (4, 5, 6, 7):  # a character (at most 4 bytes) is never cut between two ranges
        text, offset = "", len(b"ok \xff\xfe bad\n")
        while True:
            status, body = console(app, result_id, offset=offset, limit=limit)
            if body["next_offset"] == offset:
                break
            text, offset = text + body["text"], body["next_offset"]
        assert text == "é€😀\n" * 10, limit


def test_a_50_mb_console_is_served_in_bounded_ranges(app, crashed):
    result_id, run_dir = crashed
    path = run_dir / protocol.CONSOLE
    with open(path, "wb") as f:
        line = b"x" * 99 + b"\n"
        f.write(line * (50 * 1024 * 1024 // 100))
        f.write(b"the very last line\n")
    started = time.monotonic()
    status, body = console(app, result_id, tail=2)
    assert status == 200 and body["text"] == "x" * 99 + "\nthe very last line\n"
    status, body = console(app, result_id, tail=10_000)  # from the last MiB only
    assert status == 200 and len(body["text"]) <= 1024 * 1024 and body["text"].endswith("the very last line\n")
    status, body = console(app, result_id, offset=0, limit=1024 * 1024)
    assert status == 200 and len(body["text"]) == 1024 * 1024 and body["size"] == path.stat().st_size
    assert time.monotonic() - started < 10


def test_a_tail_with_an_offset_holds_only_what_follows_it(app, crashed):
    result_id = crashed[0]
    _, whole = console(app, result_id, tail=3)
    _, same = console(app, result_id, tail=3, offset=0)
    assert same["text"] == whole["text"] and same["next_offset"] == whole["next_offset"]
    _, before_end = console(app, result_id, tail=1000, offset=whole["offset"])
    assert before_end["text"] == whole["text"]  # the lines since that byte, and no earlier ones
    _, nothing_new = console(app, result_id, tail=5, offset=whole["next_offset"])
    assert nothing_new["text"] == "" and nothing_new["next_offset"] == whole["next_offset"]
