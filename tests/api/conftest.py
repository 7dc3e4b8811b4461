"""In-process fixtures for the fast tier (flaskr-style): the real app on a temporary SQLite store,
driven through Flask's test client, with ingestion run by the same call the server's loop makes."""
from __future__ import annotations

from pathlib import Path

import pytest

from trainui.config import ServerConfig
from trainui.ingest.sync import sync_result
from trainui.store import Database
from trainui.store.schema import ensure_schema
from trainui.web import create_app


class App:
    """The app, its store and a test client; ``ingest(project_id, run_dir)`` is one sync as the
    ingestion service does it (read the files, apply the batch, deliver pending commands)."""

    def __init__(self, tmp_path: Path, db_url: str | None = None):
        self.db = Database(db_url or f"sqlite:///{tmp_path / 'trainui.db'}")
        ensure_schema(self.db)
        # the server's own data (remote runs' consoles and images) in the test's folder, not ~/.trainui
        self.flask = create_app(ServerConfig(db_url=self.db.url, data_root=str(tmp_path / "server-data")), self.db)
        self.client = self.flask.test_client()

    def api(self, method: str, path: str, json=None, **kwargs):
        response = self.client.open("/api/v1/" + path.lstrip("/"), method=method, json=json, **kwargs)
        return response.status_code, response.get_json(silent=True)

    def ingest(self, project_id: int, run_dir: Path) -> int | None:
        return sync_result(self.db, project_id, str(run_dir))


@pytest.fixture
def app(tmp_path):
    application = App(tmp_path)
    yield application
    application.db.dispose()


@pytest.fixture
def app_on_both(tmp_path, db_url):
    """The same in-process app on SQLite and on a real PostgreSQL."""
    application = App(tmp_path, db_url)
    yield application
    application.db.dispose()
