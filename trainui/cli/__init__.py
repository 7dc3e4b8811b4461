"""The `trainui` command: one module per command group (server, project, result, db, token, demo, remote,
rule), each parsing its flags into a ``ServerConfig`` (trainui.config); a mistake ends with one line on
stderr and exit status 2, never a traceback (usage.py)."""
from __future__ import annotations

import click

from . import db, demo, project, remote, result, rule, server, token


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="trainui", message="trainui %(version)s")
def main() -> None:
    """trainui: watch PyTorch training runs live and steer them from the browser.

    \b
    Quick start:
      trainui server ./results      # registers ./results, ingests it; then open http://127.0.0.1:5000
    """


for command in (server.server, server.ingest, project.project, result.result, token.token, db.db, demo.demo,
                remote.sync, remote.command, rule.rule):
    main.add_command(command)
