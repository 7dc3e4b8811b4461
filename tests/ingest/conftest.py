from __future__ import annotations

import json
from pathlib import Path

import pytest

from trainui.store import Database
from trainui.store.schema import ensure_schema
from trainui.store import projects as project_store


@pytest.fixture
def database(request, tmp_path):
    """A fresh store (and so the `project` below) on SQLite; on SQLite and on PostgreSQL in a module
    whose tests take `db_url` (tests/conftest.py), e.g. with ``pytestmark = pytest.mark.usefixtures("db_url")``."""
    url = request.getfixturevalue("db_url") if "db_url" in request.fixturenames else f"sqlite:///{tmp_path / 'trainui.db'}"
    db = Database(url)
    ensure_schema(db)
    yield db
    db.dispose()


@pytest.fixture
def project(database, tmp_path):
    root = tmp_path / "project"
    root.mkdir()
    with database.session(write=True) as s:
        created = project_store.create_project(s, str(root), "p")
    return created["id"], created["path"]


def _write_log(directory: Path, entries, indent=None) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "log"
    path.write_text(json.dumps(entries, indent=indent))
    return path


@pytest.fixture
def write_log():
    """write_log(directory, entries, indent=None): a Chainer-format `log` (a JSON array)."""
    return _write_log
