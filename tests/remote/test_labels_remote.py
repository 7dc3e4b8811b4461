"""Tags and notes of a run shipped over HTTP (``trainui.Run(tags=, notes=)`` with a server), then
edited with ``trainui.Client`` and `trainui result tag/note` against the real server."""
from __future__ import annotations

import subprocess
import sys

import pytest

import trainui
from trainui.client import ClientError
from trainui.trainer.uploader import sync
from trainui_job_helpers import job_env


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "trainui.cli", *args], env=job_env(), capture_output=True, text=True,
                          timeout=120, input=stdin)


def test_a_remote_runs_labels_arrive_and_the_client_and_cli_edit_them(remote, tmp_path):
    out = tmp_path / "laptop" / "labelled"
    with trainui.Run(str(out), args={"lr": 0.1}, progress=False, handle_signals=False, console=False,
                     tags=["remote", "lr:0.1"], notes="# Remote\nshipped over *HTTP*") as run:
        for i in range(1, 11):
            run.log({"main/loss": 1.0 / i}, iteration=i)
    report = sync(str(out), remote.url, remote.project, remote.token)
    client = remote.client()
    result = client.result(report.result_id)
    assert result["tags"] == ["remote", "lr:0.1"] and result["notes"] == "# Remote\nshipped over *HTTP*"
    rid, server = str(report.result_id), ("--server", remote.url)

    assert client.tag(report.result_id, add="best", remove=["lr:0.1"]) == ["remote", "best"]
    added = cli("result", "tag", rid, "add", "cli-tag", "seed:1", *server)
    assert added.returncode == 0 and added.stdout.split() == ["remote", "best", "cli-tag", "seed:1"], added.stderr
    removed = cli("result", "tag", rid, "remove", "remote", *server)
    assert removed.returncode == 0 and removed.stdout.split() == ["best", "cli-tag", "seed:1"]
    listed = cli("result", "tag", rid, "list", *server)
    assert listed.stdout.split() == ["best", "cli-tag", "seed:1"]

    bad = cli("result", "tag", rid, "add", "two words", *server)
    assert bad.returncode == 2 and "is not a tag" in bad.stderr and "Traceback" not in bad.stderr
    empty = cli("result", "tag", rid, "add", *server)
    assert empty.returncode == 2 and "name the tags to add" in empty.stderr
    missing = cli("result", "tag", "99999", "list", *server)
    assert missing.returncode == 2 and "does not exist" in missing.stderr

    noted = cli("result", "note", rid, "--text", "**lr** 0.01 after the plateau", *server)
    assert noted.returncode == 0 and "notes set (29 characters)" in noted.stdout, noted.stderr
    assert client.result(report.result_id)["notes"] == "**lr** 0.01 after the plateau"
    notes_file = tmp_path / "notes.md"
    notes_file.write_text("## From a file\n- one\n- two\n", encoding="utf-8")
    assert cli("result", "note", rid, "--file", str(notes_file), *server).returncode == 0
    shown = cli("result", "note", rid, *server)
    assert shown.stdout == "## From a file\n- one\n- two\n\n"
    from_stdin = cli("result", "note", rid, "--file", "-", *server, stdin="piped")
    assert from_stdin.returncode == 0 and client.result(report.result_id)["notes"] == "piped"
    both = cli("result", "note", rid, "--text", "x", "--clear", *server)
    assert both.returncode == 2 and "not --text and --clear" in both.stderr
    binary = tmp_path / "notes.bin"
    binary.write_bytes(b"\xff\xfe\x00bad")
    refused = cli("result", "note", rid, "--file", str(binary), *server)
    assert refused.returncode == 2 and "not UTF-8 text" in refused.stderr
    cleared = cli("result", "note", rid, "--clear", *server)
    assert cleared.returncode == 0 and "notes cleared" in cleared.stdout
    assert client.result(report.result_id)["notes"] == ""

    # the job's labels file changes later (a resumed job): the user's edits win
    (out / trainui.protocol.LABELS).write_text('{"tags": ["job-again"], "notes": "job again"}')
    sync(str(out), remote.url, remote.project, remote.token)
    result = client.result(report.result_id)
    assert result["tags"] == ["best", "cli-tag", "seed:1"] and result["notes"] == ""

    with pytest.raises(ClientError, match="more than 32"):
        client.set_tags(report.result_id, [f"t{i}" for i in range(33)])
    assert client.set_tags(report.result_id, []) == []


def test_result_help_says_what_a_tag_may_hold():
    shown = cli("result", "tag", "--help")
    assert shown.returncode == 0 and "1 to 64 letters, digits" in shown.stdout and "win over" in shown.stdout
    assert "--file" in cli("result", "note", "--help").stdout
