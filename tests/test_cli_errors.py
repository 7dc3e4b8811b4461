"""Every common mistake with the `trainui` command ends with one clear line on stderr, the exit
status of a usage error (2), no traceback, and nothing created on disk."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def run_cli(tmp_path, *args, env=None):
    environ = dict(os.environ, TRAINUI_ROOT=str(tmp_path / "root"), **(env or {}))
    environ.pop("TRAINUI_DB_URL", None)
    return subprocess.run([sys.executable, "-m", "trainui.cli", *args], cwd=tmp_path, env=environ,
                          capture_output=True, text=True, timeout=60)


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.fixture
def busy_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


MISTAKES = {
    "mistyped SQLite path for a read-only command": (["project", "list", "--db", "sqlite:///{tmp}/typo/trainui.db"],
                                                     "there is no trainui database at"),
    "db status of a missing SQLite file": (["db", "status", "--db", "sqlite:///{tmp}/typo/trainui.db"],
                                           "there is no trainui database at"),
    "malformed --db URL": (["project", "list", "--db", "not a url"], "is not a database URL"),
    "a database trainui does not store in": (["project", "list", "--db", "mysql://u@h/db"],
                                             "SQLite or PostgreSQL, not 'mysql'"),
    "PostgreSQL URL whose driver is not installed": (["project", "list", "--db", "postgresql+pg8000://u@127.0.0.1/db"],
                                                     "the PostgreSQL driver is not installed"),
    "db upgrade to an unknown revision": (["db", "upgrade", "--revision", "9999", "--db",
                                           "sqlite:///{tmp}/new/trainui.db"], "cannot upgrade to '9999'"),
    "project create on a missing directory": (["project", "create", "-d", "{tmp}/no-such-dir"], "is not a directory"),
    "server on an address this machine does not have": (["server", "--host", "10.254.254.254", "--port", "0"],
                                                        "this machine has no such address"),
    "server on a port in use": (["server", "--port", "{busy}"], "is in use"),
    "a setting from the environment that is not a number": (["server"], "$TRAINUI_PORT='five' is not a valid port"),
    # issue 19: every database URL mistake of `trainui server` too, with the absolute path it resolved to
    "server on a SQLite file whose folder cannot exist": (["server", "--port", "0", "--db",
                                                          "sqlite:////proc/nonexistent/x.db"],
                                                         "the folder /proc/nonexistent of the database"),
    "server on a relative SQLite path whose folder is missing": (["server", "--port", "0", "--db",
                                                                 "sqlite:///nonexistent/dir/x.db"],
                                                                "the folder {tmp}/nonexistent/dir of the database"),
    "server on a SQLite URL with a query argument": (["server", "--port", "0", "--db", "sqlite:///{tmp}/x.db?mode=bogus"],
                                                     "takes no query arguments (got ?mode=bogus)"),
    "server on an in-memory SQLite database": (["server", "--port", "0", "--db", "sqlite://"],
                                               "an in-memory SQLite database"),
    "server on a SQLite file that cannot be opened": (["server", "--port", "0", "--db", "sqlite:////proc/x.db"],
                                                      "cannot open the database sqlite:////proc/x.db"),
    "project create into a database folder that is missing": (["project", "create", "-d", "{tmp}", "--db",
                                                               "sqlite:///{tmp}/typo/trainui.db"],
                                                              "the folder {tmp}/typo of the database"),
    "db upgrade into a database folder that is missing": (["db", "upgrade", "--db", "sqlite:///{tmp}/typo/trainui.db"],
                                                          "the folder {tmp}/typo of the database"),
}


@pytest.mark.parametrize("case", sorted(MISTAKES))
def test_mistake_is_one_clear_line(case, tmp_path, busy_port):
    args, expected = MISTAKES[case]
    args = [a.format(tmp=tmp_path, busy=busy_port) for a in args]
    expected = expected.format(tmp=tmp_path)
    before = files_under(tmp_path)
    out = run_cli(tmp_path, *args, env={"TRAINUI_PORT": "five"} if "environment" in case else None)
    assert out.returncode == 2, (out.stdout, out.stderr)
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and expected in lines[0] and lines[0].startswith("Error: "), out.stderr
    assert "Traceback" not in out.stderr + out.stdout
    assert files_under(tmp_path) == before  # no database, no folder


def test_project_list_on_a_fresh_machine_says_what_to_do_and_creates_nothing(tmp_path):
    out = run_cli(tmp_path, "project", "list")
    assert out.returncode == 0 and "trainui project create -d DIR" in out.stdout
    assert not (tmp_path / "root").exists()


def test_registering_a_directory_twice_reuses_it(tmp_path):
    (tmp_path / "results").mkdir()
    first = run_cli(tmp_path, "project", "create", "-d", str(tmp_path / "results"), "-n", "mine")
    again = run_cli(tmp_path, "project", "create", "-d", str(tmp_path / "results"))
    assert first.returncode == 0 and again.returncode == 0, again.stderr
    assert "already registered: project 'mine' (id 1)" in again.stdout
    assert run_cli(tmp_path, "project", "list").stdout.count("mine") == 1


def test_only_the_default_database_folder_is_made(tmp_path):
    """`trainui project create` with nothing said about the database makes $TRAINUI_ROOT on first use."""
    (tmp_path / "results").mkdir()
    out = run_cli(tmp_path, "project", "create", "-d", str(tmp_path / "results"))
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "root" / "trainui.db").is_file()


def test_a_relative_sqlite_path_in_an_existing_folder_is_shown_resolved(tmp_path):
    (tmp_path / "results").mkdir()
    out = run_cli(tmp_path, "project", "create", "-d", "results", "--db", "sqlite:///here.db")
    assert out.returncode == 0 and (tmp_path / "here.db").is_file(), out.stderr
