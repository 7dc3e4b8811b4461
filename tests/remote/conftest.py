"""Fixtures for remote jobs: a real server on a fixed port (so it can be SIGKILLed and started again
at the same address), job tokens made with the real CLI, and jobs joined to it by TRAINUI_* only."""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
TRAINER_TESTS = os.path.join(os.path.dirname(HERE), "trainer")
for folder in (HERE, TRAINER_TESTS):
    if folder not in sys.path:
        sys.path.insert(0, folder)

from remote_helpers import free_port, make_token  # noqa: E402


@dataclass
class Remote:
    """A server, a project name and a job token for it: what a remote job is given."""

    server: object  # tests/conftest.py TrainuiServer
    project: str
    token: str

    @property
    def url(self) -> str:
        return self.server.url.rstrip("/")

    def job_env(self, **extra) -> dict:
        from trainui_job_helpers import job_env

        settings = {"TRAINUI_SERVER": self.url, "TRAINUI_PROJECT": self.project, "TRAINUI_TOKEN": self.token}
        return job_env(**{**settings, **extra})

    def client(self):
        import trainui

        return trainui.Client(self.url)  # the server runs on loopback without --token: full access


@pytest.fixture
def remote(start_server, tmp_path) -> Remote:
    """A started server on a port of its own (kill() and start() keep the address), a project and a
    job token for it. The project's directory is empty: jobs write elsewhere (tmp_path/"job-host")."""
    port = free_port()
    server = start_server(extra_args=("--port", str(port), "--threads", "16"), root=tmp_path / "server")
    registered = tmp_path / "registered"
    registered.mkdir()
    server.create_project(registered, "remote-project")
    return Remote(server, "remote-project", make_token(server, "job", "remote-project"))
