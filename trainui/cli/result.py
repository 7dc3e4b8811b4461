"""`trainui result tag` and `trainui result note`: a run's labels from a shell, as a client of a
server's API (no database opened, like `trainui command`); `trainui result delete`: a result out of
the database (its directory too with --files), as DELETE /api/v1/results/<id> does, on the database
itself (it works while a server runs on it). A refusal is one line on stderr and exit status 2, as
everywhere in the CLI."""
from __future__ import annotations

import click

from .. import protocol
from ..config import JobEnvironment
from .db import in_store
from .remote import SERVER_HELP, TOKEN_HELP
from .usage import DB_OPTION, UsageProblem, UserError, load_config, user_errors


@click.group("result")
def result() -> None:
    """One result: its tags (chips in the UI, `tag=NAME` in the search box), its notes (markdown), or
    deleting it."""


@result.command("tag")
@click.argument("result_id", type=click.IntRange(1))
@click.argument("action", type=click.Choice(["add", "remove", "set", "list"]))
@click.argument("tags", nargs=-1, metavar="[TAG]...")
@click.option("--server", default=None, help=SERVER_HELP)
@click.option("--token", default=None, help=TOKEN_HELP)
def tag(result_id, action, tags, server, token):
    """Add, remove or set the tags of RESULT_ID, or list them; prints the run's tags after.

    \b
    A tag is 1 to 64 letters, digits and _ . : / + @ - (at most 32 per run):
      trainui result tag 3 add baseline lr:0.1
      trainui result tag 3 remove draft
      trainui result tag 3 set best          # exactly these ('set' alone clears them)
      trainui result tag 3 list

    Tags set here win over those the job gives trainui.Run(tags=...) from then on.
    """
    if action in ("add", "remove") and not tags:
        raise UsageProblem(f"name the tags to {action}: trainui result tag {result_id} {action} TAG...")
    if action == "list" and tags:
        raise UsageProblem("'list' takes no tags")
    from ..client import ClientError

    try:
        protocol.check_tags(tags)  # said here, naming the tag (the server checks again)
    except ValueError as error:
        raise UsageProblem(str(error)) from None
    client = _client(server, token)
    try:
        if action == "list":
            now = client.result(result_id)["tags"]
        elif action == "set":
            now = client.set_tags(result_id, list(tags))
        else:
            now = client.tag(result_id, **{action: list(tags)})
    except ClientError as error:  # the server's own message says what was wrong
        raise UsageProblem(str(error)) from None
    click.echo(" ".join(now) if now else f"result {result_id} has no tags")


@result.command("note")
@click.argument("result_id", type=click.IntRange(1))
@click.option("--text", "text", default=None, help="The notes (markdown).")
@click.option("--file", "file", type=click.File("r", encoding="utf-8"), default=None,
              help="Read the notes from FILE ('-': stdin).")
@click.option("--clear", is_flag=True, help="Remove the notes.")
@click.option("--server", default=None, help=SERVER_HELP)
@click.option("--token", default=None, help=TOKEN_HELP)
def note(result_id, text, file, clear, server, token):
    """Set the markdown notes of RESULT_ID (or print them, given no option).

    \b
      trainui result note 3 --text "lr 0.01 after the plateau"
      trainui result note 3 --file notes.md
      trainui result note 3 --clear
      trainui result note 3                  # prints them

    Notes set here win over those the job gives trainui.Run(notes=...) from then on.
    """
    given = [name for name, value in (("--text", text), ("--file", file), ("--clear", clear or None))
             if value is not None]
    if len(given) > 1:
        raise UsageProblem(f"give one of --text, --file and --clear, not {' and '.join(given)}")
    from ..client import ClientError

    client = _client(server, token)
    try:
        if not given:
            notes = client.result(result_id)["notes"]
            click.echo(notes if notes else f"result {result_id} has no notes")
            return
        notes = "" if clear else text if text is not None else file.read()
        client.set_notes(result_id, notes)
    except UnicodeDecodeError as error:
        raise UsageProblem(f"{file.name} is not UTF-8 text: {error.reason} at byte {error.start}") from None
    except ClientError as error:  # the server's own message says what was wrong
        raise UsageProblem(str(error)) from None
    click.echo(f"result {result_id}: notes {'cleared' if not notes else f'set ({len(notes):,} characters)'}")


def _client(server, token):
    from ..client import Client

    env = JobEnvironment.read()
    return Client(server or env.server, token or env.token)


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
