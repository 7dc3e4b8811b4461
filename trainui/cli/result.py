"""`trainui result delete`: delete a result from the database (its directory too with --files),
as DELETE /api/v1/results/<id> does. Works while a server runs on the same database."""
from __future__ import annotations

import click

from .db import in_store
from .usage import DB_OPTION, UserError, load_config, user_errors


@click.group()
def result() -> None:
    """Manage single results."""


@result.command("delete")
@click.argument("result_id", type=click.IntRange(min=1))
@click.option("--files", is_flag=True, help="Also delete the result's directory (only one inside its project's "
                                            "directory, symbolic links resolved).")
@click.option("--force", is_flag=True, help="Delete it even while its job runs.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@DB_OPTION
@user_errors
def result_delete(result_id, files, force, yes, db_url):
    """Delete result RESULT_ID and everything stored for it (series, commands, snapshots, images).

    Without --files its directory must be gone already (else the next scan would register it
    again: delete its files too, or unregister it in the UI to hide it).
    """
    config = load_config(db_url=db_url)
    found = in_store(config, lambda store: store.results.get(result_id))
    if not yes:
        what = f"result {result_id} ({found['name']!r})" + (f" and its directory {found['path']}" if files else "")
        if not click.confirm(f"delete {what}?", default=False, err=True):
            raise UserError("nothing deleted")
    deleted = in_store(config, lambda store: store.results.delete(result_id, files=files, force=force))
    click.echo(f"deleted result {result_id} ({deleted['name']!r})"
               + (f" and its directory {deleted['path']}" if deleted["files_deleted"] else "")
               + (f"; could not remove {deleted['files_left']}" if deleted.get("files_left") else ""))
