"""How the commands report a mistake: one line on stderr and exit status 2, never a traceback."""
from __future__ import annotations

import functools

import click

from .config import ConfigError, ServerConfig


class UsageProblem(click.ClickException):
    """One line on stderr, exit status 2 (what a usage error exits with)."""

    exit_code = 2


def user_errors(command):
    """Turn the errors a user can fix into one clear line."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        from .serve import UserError

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
