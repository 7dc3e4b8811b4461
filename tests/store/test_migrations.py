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
