"""The models and the alembic migrations describe the same schema, on SQLite and on PostgreSQL: a new
database is created from the models and stamped (store.schema.create_if_empty, what `db upgrade`
and every command's start do), an existing one is moved by the migrations (store.migrate)."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from trainui.store import Database
from trainui.store.migrate import run_migrations, status, upgrade
from trainui.store.models import Base


def test_models_and_migrations_agree(db_url):
    db = Database(db_url)
    run_migrations(db)
    assert status(db)["up_to_date"]
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata)
    assert diff == [], diff
    db.dispose()


def test_upgrade_is_repeatable_and_downgrade_works(db_url):
    from alembic import command

    from trainui.store.migrate import alembic_config

    db = Database(db_url)
    run_migrations(db)
    upgrade(db)
    config = alembic_config(db)
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert status(db)["current"] is None
    upgrade(db)  # the tables are gone, alembic's version table is left (empty): alembic's way again
    assert status(db)["up_to_date"]
    db.dispose()


def schema_of(db: Database) -> dict:
    """Every table's columns (type, nullability, default), keys, indexes and constraints as the
    database itself reports them, in a form two databases can be compared by."""
    found = {}
    with db.engine.connect() as connection:
        inspector = inspect(connection)
        for table in sorted(inspector.get_table_names()):
            pk = inspector.get_pk_constraint(table)
            found[table] = {
                # by name: a column a migration added comes last, the models may list it earlier
                "columns": sorted((c["name"], str(c["type"]), c["nullable"], str(c.get("default")),
                                   c.get("autoincrement")) for c in inspector.get_columns(table)),
                "primary key": (pk.get("name"), tuple(pk["constrained_columns"])),
                "foreign keys": sorted((fk.get("name") or "", tuple(fk["constrained_columns"]), fk["referred_table"],
                                        tuple(fk["referred_columns"]), str(sorted((fk.get("options") or {}).items())))
                                       for fk in inspector.get_foreign_keys(table)),
                "indexes": sorted((i["name"], tuple(i["column_names"]), bool(i["unique"]))
                                  for i in inspector.get_indexes(table)),
                "unique": sorted((u["name"] or "", tuple(u["column_names"])) for u in inspector.get_unique_constraints(table)),
                "checks": sorted((c["name"] or "", " ".join(c["sqltext"].split()))
                                 for c in inspector.get_check_constraints(table)),
            }
    return found


def test_a_new_database_from_the_models_has_the_schema_the_migrations_build(db_url, tmp_path):
    """`trainui db upgrade` (and every command's start) creates a new database from the models and
    stamps it; inspected, it holds exactly what running every migration builds, at the same revision."""
    from trainui.store.schema import HEAD_REVISION, current_revision

    if db_url.startswith("sqlite"):
        migrated_url = f"sqlite:///{tmp_path / 'migrated.db'}"
    else:  # a second database on the same PostgreSQL server
        import sqlalchemy

        admin = sqlalchemy.create_engine(db_url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
        migrated_name = db_url.rsplit("/", 1)[1] + "_migrated"
        with admin.connect() as c:
            c.exec_driver_sql(f"CREATE DATABASE {migrated_name}")
        admin.dispose()
        migrated_url = db_url.rsplit("/", 1)[0] + "/" + migrated_name
    created, migrated = Database(db_url), Database(migrated_url)
    try:
        upgrade(created)  # new and empty: from the models, no migration runs
        run_migrations(migrated)
        assert current_revision(created) == current_revision(migrated) == HEAD_REVISION
        built, walked = schema_of(created), schema_of(migrated)
        assert set(built) == set(walked) and len(built) > 5
        for table in walked:
            assert built[table] == walked[table], table
        upgrade(created)  # alembic agrees that there is nothing to do
        assert status(created)["up_to_date"]
    finally:
        created.dispose()
        migrated.dispose()


def test_a_new_database_is_created_without_running_a_migration(tmp_path, monkeypatch):
    """The models' way, not alembic's: no migration script is loaded for a new database, and an
    older one is still moved by the migrations."""
    import trainui.store.migrate as migrate

    walked = []
    monkeypatch.setattr(migrate, "run_migrations", lambda db, revision="head": walked.append(revision))
    db = Database(f"sqlite:///{tmp_path / 'new.db'}")
    upgrade(db)
    assert walked == [] and status(db)["up_to_date"]
    with db.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0003'")
    upgrade(db)
    assert walked == ["head"]
    db.dispose()


def test_a_database_that_is_not_trainuis_is_refused_untouched(tmp_path):
    """Tables but no schema version: neither created into nor migrated; the error says why."""
    import pytest

    from trainui.store import Invalid

    db = Database(f"sqlite:///{tmp_path / 'other.db'}")
    with db.engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE projects (id INTEGER PRIMARY KEY)")
    with pytest.raises(Invalid, match=r"holds tables \(projects\) but no trainui schema version"):
        upgrade(db)
    with db.engine.connect() as connection:
        assert inspect(connection).get_table_names() == ["projects"]
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
