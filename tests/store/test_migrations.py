"""The models and the alembic migrations describe the same schema, on SQLite and on PostgreSQL."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from trainui.store import Database
from trainui.store.migrate import status, upgrade
from trainui.store.models import Base


def test_models_and_migrations_agree(db_url):
    db = Database(db_url)
    upgrade(db)
    assert status(db)["up_to_date"]
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata)
    assert diff == [], diff
    db.dispose()


def test_upgrade_is_repeatable_and_downgrade_works(db_url):
    from alembic import command

    from trainui.store.migrate import alembic_config

    db = Database(db_url)
    upgrade(db)
    upgrade(db)
    config = alembic_config(db)
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert status(db)["current"] is None
    upgrade(db)
    assert status(db)["up_to_date"]
    db.dispose()


def test_a_new_database_built_from_the_models_equals_the_migrated_one(db_url):
    """A brand-new database is created from the models and stamped (no alembic at start-up): it
    must be exactly what the migrations build, at the revision they end at."""
    from alembic.script import ScriptDirectory

    from trainui.store.migrate import alembic_config
    from trainui.store.schema import HEAD_REVISION, ensure_schema

    db = Database(db_url)
    assert ScriptDirectory.from_config(alembic_config(db)).get_current_head() == HEAD_REVISION
    ensure_schema(db)
    assert status(db)["up_to_date"]
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata)
    assert diff == [], diff
    upgrade(db)  # alembic agrees that there is nothing to do
    assert status(db)["current"] == HEAD_REVISION
    db.dispose()


def test_two_processes_creating_one_database_take_turns(tmp_path):
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'new.db'}"
    code = f"from trainui.store import Database; from trainui.store.schema import ensure_schema; ensure_schema(Database({url!r}))"
    procs = [subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True) for _ in range(4)]
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    assert status(Database(url))["up_to_date"]
