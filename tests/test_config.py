"""Settings are resolved in trainui.config alone: defaults, then TRAINUI_* variables, then flags; every
default is defined there once and the pieces that take a setting default to it."""
import inspect

import pytest
from click.testing import CliRunner

from trainui import config
from trainui.config import ConfigError, JobEnvironment, ServerConfig


def test_flags_override_the_environment_which_overrides_the_defaults(tmp_path):
    env = {"TRAINUI_ROOT": str(tmp_path), "TRAINUI_PORT": "6000", "TRAINUI_POLL_INTERVAL": "0.5"}
    plain = ServerConfig.load(env={"TRAINUI_ROOT": str(tmp_path)})
    assert (plain.port, plain.poll_interval, plain.threads) == (config.DEFAULT_PORT, config.INGEST_POLL_INTERVAL,
                                                                config.DEFAULT_THREADS)
    assert (plain.series_cache_bytes, plain.ingest_chunk_bytes) == (config.SERIES_CACHE_MB * 1024 * 1024,
                                                                    config.INGEST_CHUNK_KB * 1024)
    from_env = ServerConfig.load(env=env)
    assert (from_env.port, from_env.poll_interval) == (6000, 0.5)
    flagged = ServerConfig.load(env=env, port=7000, poll_interval=None)  # a flag not given keeps the variable
    assert (flagged.port, flagged.poll_interval) == (7000, 0.5)


def test_the_database_url_is_the_flag_else_the_variable_else_the_embedded_file(tmp_path):
    embedded = f"sqlite:///{tmp_path / 'trainui.db'}"
    assert ServerConfig.load(env={"TRAINUI_ROOT": str(tmp_path)}).db_url == embedded
    env = {"TRAINUI_ROOT": str(tmp_path), "TRAINUI_DB_URL": "postgresql://db/trainui"}
    assert ServerConfig.load(env=env).db_url == "postgresql://db/trainui"
    assert ServerConfig.load(env=env, db_url="sqlite:////x/y.db").db_url == "sqlite:////x/y.db"
    assert ServerConfig.load(env={"TRAINUI_ROOT": str(tmp_path), "TRAINUI_DB_URL": ""}).db_url == embedded


def test_a_bad_variable_names_itself():
    with pytest.raises(ConfigError, match=r"\$TRAINUI_PORT='fifty' is not a valid port"):
        ServerConfig.load(env={"TRAINUI_PORT": "fifty"})
    with pytest.raises(ConfigError, match="poll_interval must be a positive"):
        ServerConfig.load(env={"TRAINUI_POLL_INTERVAL": "0"})


def test_a_jobs_environment_is_read_in_one_place_and_empty_means_unset():
    job = JobEnvironment.read({"TRAINUI_SERVER": "http://h:1", "TRAINUI_PROJECT": "p", "TRAINUI_TOKEN": "",
                               "TRAINUI_ADMIN_TOKEN": "not the job's"})
    assert job == JobEnvironment("http://h:1", "p", None)
    assert JobEnvironment.read({}) == JobEnvironment()


def test_the_pieces_default_to_the_one_definition(monkeypatch):
    from trainui.client import Client
    from trainui.ingest.service import IngestionService
    from trainui.ingest.sync import DEFAULT_CHUNK_BYTES
    from trainui.store.database import DEFAULT_SERIES_CACHE_BYTES
    from trainui.trainer.commands import Inbox
    from trainui.trainer.run import Run

    assert inspect.signature(IngestionService).parameters["poll_interval"].default == config.INGEST_POLL_INTERVAL
    assert DEFAULT_CHUNK_BYTES == ServerConfig().ingest_chunk_bytes
    assert DEFAULT_SERIES_CACHE_BYTES == ServerConfig().series_cache_bytes
    assert inspect.signature(Run).parameters["poll_interval"].default == config.JOB_POLL_INTERVAL
    assert inspect.signature(Inbox).parameters["poll_interval"].default == config.JOB_POLL_INTERVAL
    monkeypatch.delenv("TRAINUI_SERVER", raising=False)
    assert Client().url == config.DEFAULT_SERVER
    monkeypatch.setenv("TRAINUI_SERVER", "http://elsewhere:8000")
    assert Client().url == "http://elsewhere:8000"


def test_the_help_shows_the_defaults_it_uses():
    from trainui.cli import main

    shown = " ".join(CliRunner().invoke(main, ["server", "--help"]).output.split())
    for default in (f"[default: {config.DEFAULT_HOST}]", f"[default: {config.DEFAULT_PORT};",
                    f"[default: {config.DEFAULT_THREADS}]", f"[default: {config.INGEST_POLL_INTERVAL:g}]"):
        assert default in shown


def test_config_stays_light_for_the_trainer_side():
    """A job imports config (its environment, the inbox poll): no server library comes with it."""
    import subprocess
    import sys

    code = ("import sys, trainui.config, trainui.client, trainui.trainer.run; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'flask', 'sqlalchemy', 'watchdog', 'click', "
            "'alembic', 'numpy'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True).stdout
    assert out.strip() == "[]"
