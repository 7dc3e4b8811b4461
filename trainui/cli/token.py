"""`trainui token create/list/revoke`: access tokens with roles, kept hashed in the database."""
from __future__ import annotations

import click

from .db import in_store
from .usage import DB_OPTION, load_config, user_errors


@click.group()
def token() -> None:
    """Access tokens with roles: viewer (reads), operator (also commands and edits), job (creates
    and writes runs in one project, for remote jobs), admin."""


TOKEN_USE = {  # what a token of each role is for, said once when it is made
    "viewer": "Share the dashboard read-only (it never changes anything): http://HOST:PORT/?token=<the token>",
    "operator": "Open the dashboard with it (reads and steers runs, edits): http://HOST:PORT/?token=<the token>",
    "admin": "Full access, like the server's own token: http://HOST:PORT/?token=<the token>",
    "job": "Give it to the training job as TRAINUI_TOKEN=<the token>: it creates and writes runs of this project only "
           "(it opens no dashboard).",
}


@token.command("create")
@click.option("--role", required=True, type=click.Choice(["viewer", "operator", "job", "admin"]))
@click.option("--project", default=None, help="The project a job token writes to (required for --role job).")
@click.option("--label", default="", help="A note to tell tokens apart in `trainui token list`.")
@DB_OPTION
@user_errors
def token_create(role, project, label, db_url):
    """Make a token and print it (only its hash is kept: it is shown this once)."""
    made, info = in_store(load_config(db_url=db_url), lambda store: store.tokens.create(role, project, label),
                          create=True)
    click.echo(made)
    scope = f" for project {info['project']!r}" if info["project"] else ""
    click.echo(f"token {info['id']}: {role}{scope}. Keep it secret; it is not shown again. {TOKEN_USE[role]}",
               err=True)


@token.command("list")
@DB_OPTION
@user_errors
def token_list(db_url):
    """List tokens (never the tokens themselves)."""
    rows = in_store(load_config(db_url=db_url), lambda store: store.tokens.list())
    if not rows:
        click.echo("no tokens yet: trainui token create --role viewer")
    for t in rows:
        click.echo(f"{t['id']:>4}  {t['role']:<8}  {t['project'] or '-':<20}  {'revoked' if t['revoked'] else 'active':<7}  "
                   f"{t['label']}")


@token.command("revoke")
@click.argument("token_id", type=int)
@DB_OPTION
@user_errors
def token_revoke(token_id, db_url):
    """Revoke a token: it stops working within seconds, on every server of this database."""
    in_store(load_config(db_url=db_url), lambda store: store.tokens.revoke(token_id))
    click.echo(f"token {token_id} revoked")
