"""Fixtures shared by every test package: a real trainui server process, a real PostgreSQL server."""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


# A test that asks for one of these starts a real process (a server, Chromium, PostgreSQL, a clone's
# jobs): it belongs to the slow tier, left out by `pytest -m "not slow"`.
PROCESS_FIXTURES = frozenset({"start_server", "trainui_server", "remote", "page", "browser", "fresh_clone",
                              "postgres_url", "own_postgres", "fresh_postgres_db"})


# Test files that start processes themselves (jobs, torchrun, the CLI, pip), run the examples'
# science, or build series of hundreds of thousands of entries.
SLOW_PATHS = ("examples/", "jobs/", "test_readme_commands.py", "test_packaging.py", "test_cli_errors.py",
              "trainer/test_distributed.py", "trainer/test_readme_tour.py", "trainer/test_job_process.py",
              "trainer/test_resume.py", "store/test_block_groups.py")


def pytest_collection_modifyitems(items):
    for item in items:
        where = Path(str(item.fspath)).relative_to(REPO / "tests").as_posix()
        on_postgres = getattr(item, "callspec", None) is not None and item.callspec.params.get("db_url") == "postgresql"
        if (on_postgres or PROCESS_FIXTURES.intersection(item.fixturenames)
                or any(where == p or where.startswith(p) for p in SLOW_PATHS)):
            item.add_marker(pytest.mark.slow)


class TrainuiServer:
    """A `trainui server` subprocess on a free loopback port, with its own TRAINUI_ROOT."""

    def __init__(self, root: Path, db_url: str | None = None, extra_args: tuple = (), env: dict | None = None):
        self.root = root
        self.db_url = db_url
        self.extra_args = list(extra_args)
        self.env = dict(os.environ, TRAINUI_ROOT=str(root), PYTHONUNBUFFERED="1", **(env or {}))
        self.env.pop("TRAINUI_DB_URL", None)
        self.log_path = root / "server.log"
        self.proc: subprocess.Popen | None = None
        self.url = ""
        self._session = None

    def start(self, timeout: float = 30) -> "TrainuiServer":
        self.root.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "trainui.cli", "server", "--port", "0", "--poll-interval", "0.5",
               *self.extra_args]
        if self.db_url:
            cmd += ["--db", self.db_url]
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(cmd, cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        starts_before = getattr(self, "_starts", 0)
        deadline = time.time() + timeout
        while time.time() < deadline:
            text = self.log_path.read_text(errors="replace")
            urls = re.findall(r"trainui serving on (http://[^\s?]+)", text)
            if len(urls) > starts_before:
                self._starts, self.url = len(urls), urls[-1]
                return self
            if self.proc.poll() is not None:
                raise RuntimeError(f"trainui server exited early:\n{text}")
            time.sleep(0.05)
        raise RuntimeError(f"trainui server did not start:\n{self.log_path.read_text(errors='replace')}")

    @property
    def api_url(self) -> str:
        return self.url + "api/v1/"

    def api(self, method: str, path: str, json=None, **kwargs):
        import requests

        if self._session is None:
            self._session = requests.Session()
        response = self._session.request(method, self.api_url + path.lstrip("/"), json=json, timeout=30, **kwargs)
        try:
            body = response.json()
        except ValueError:
            body = None
        return response.status_code, body

    def create_project(self, path, name=None) -> dict:
        status, body = self.api("POST", "projects", json={"path": str(path), "name": name or Path(path).name})
        assert status == 201, body
        return body["project"]

    def results(self, project_id: int) -> list[dict]:
        status, body = self.api("GET", f"projects/{project_id}/results")
        assert status == 200, body
        return body["results"]

    def wait_for(self, predicate, timeout: float = 10, interval: float = 0.05):
        deadline = time.time() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.time() > deadline:
                raise AssertionError(f"condition not met within {timeout}s; server log:\n"
                                     + self.log_path.read_text(errors="replace")[-3000:])
            time.sleep(interval)

    def kill(self, sig=signal.SIGKILL) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=20)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._session is not None:
            self._session.close()
            self._session = None


@pytest.fixture
def start_server(tmp_path):
    """Factory: start_server(db_url=None, extra_args=()) -> a started TrainuiServer, stopped after the test."""
    servers = []

    def start(db_url=None, extra_args=(), root=None, env=None):
        server = TrainuiServer(Path(root) if root else tmp_path / f"server{len(servers)}", db_url, extra_args, env)
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def trainui_server(start_server):
    return start_server()


# PostgreSQL ------------------------------------------------------------------------------------

def _pg_bin(name: str) -> str | None:
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    return shutil.which(name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """A real PostgreSQL server in a temporary folder, on a fixed loopback port (its URL survives a
    stop and a start), run as the postgres user when the tests run as root."""

    def __init__(self):
        self.initdb, self.pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.folder = Path(tempfile.mkdtemp(prefix="trainui-pg-"))
        if self.as_user:
            shutil.chown(self.folder, "postgres")
        self.port = _free_port()
        self.url = f"postgresql+psycopg2://trainui@127.0.0.1:{self.port}/postgres"
        subprocess.run(self.as_user + [self.initdb, "-D", str(self.folder / "db"), "-U", "trainui", "--auth=trust",
                                       "-E", "UTF8"], check=True, capture_output=True)

    def start(self) -> "PostgresServer":
        subprocess.run(self.as_user + [self.pg_ctl, "-D", str(self.folder / "db"), "-l", str(self.folder / "pg.log"),
                                       "-w", "-o", f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
                                       "-c fsync=off", "start"], check=True, capture_output=True)
        return self

    def stop(self) -> None:
        subprocess.run(self.as_user + [self.pg_ctl, "-D", str(self.folder / "db"), "-m", "immediate", "stop"],
                       capture_output=True)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def _require_postgres() -> None:
    if not _pg_bin("initdb") or not _pg_bin("pg_ctl"):
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql); PostgreSQL tests skipped")
    pytest.importorskip("psycopg2", reason="psycopg2 is not installed; PostgreSQL tests skipped")


@pytest.fixture(scope="session")
def postgres_url():
    """A real PostgreSQL server for the whole test session."""
    _require_postgres()
    server = PostgresServer().start()
    try:
        yield server.url
    finally:
        server.remove()


@pytest.fixture
def own_postgres():
    """A PostgreSQL server of this test's own, which the test may stop and start again."""
    _require_postgres()
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.remove()


@pytest.fixture
def fresh_postgres_db(postgres_url):
    """A new, empty database on the session's PostgreSQL server."""
    import sqlalchemy

    name = f"t{os.getpid()}_{time.time_ns()}"
    engine = sqlalchemy.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        c.exec_driver_sql(f"CREATE DATABASE {name}")
    engine.dispose()
    yield postgres_url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """Every test that takes this runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'trainui.db'}"
    return request.getfixturevalue("fresh_postgres_db")
