"""How the commands take their shared flags and report a mistake: one line on stderr and exit
status 2, never a traceback."""
from __future__ import annotations

import functools

import click

from ..config import ConfigError, ServerConfig


class UserError(Exception):
    """A mistake in how trainui was called or set up; the message is the whole explanation."""


class UsageProblem(click.ClickException):
    """One line on stderr, exit status 2 (what a usage error exits with)."""

    exit_code = 2


def user_errors(command):
    """Turn the errors a user can fix into one clear line."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except (UserError, ConfigError) as error:
            raise UsageProblem(str(error)) from None
    return wrapper


def load_config(**flags) -> ServerConfig:
    try:
        return ServerConfig.load(**flags)
    except ConfigError as error:
        raise UsageProblem(str(error)) from None


DB_OPTION = click.option("--db", "db_url", metavar="URL", default=None,
                         help="Database URL (default: $TRAINUI_DB_URL, else SQLite under $TRAINUI_ROOT or ~/.trainui).")
PROJECTS_ROOT_OPTION = click.option(
    "--projects-root", "projects_root", multiple=True, metavar="DIR",
    help="Register projects only inside DIR (repeatable; default: $TRAINUI_PROJECTS_ROOT, else anywhere but "
         "system folders, other users' homes and the server's own data).")


def count(n: int, noun: str) -> str:
    """'1 result', '2 results'."""
    return f"{n} {noun}{'' if n == 1 else 's'}"
