"""`trainui sync` and `trainui command`: the remote side of the CLI, as a client of a server's API.

Neither opens a database: they talk HTTP (the same code as a job's uploader and ``trainui.Client``),
so they work from any machine that can reach the server. A mistake or a refusal is one line on
stderr and exit status 2, as everywhere in the CLI.
"""
from __future__ import annotations

import json
import sys
import time

import click

from ..config import DEFAULT_SERVER, JobEnvironment
from .usage import UsageProblem

SERVER_HELP = f"The trainui server [default: $TRAINUI_SERVER, else {DEFAULT_SERVER}]."
TOKEN_HELP = "Access token [default: $TRAINUI_TOKEN]."


@click.command("sync")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option("--server", default=None,
              help="The trainui server [default: $TRAINUI_SERVER, else where DIRECTORY was shipped before].")
@click.option("--project", default=None,
              help="Project name [default: $TRAINUI_PROJECT, else the one DIRECTORY was shipped to].")
@click.option("--token", default=None, help=TOKEN_HELP)
def sync(directory, server, project, token):
    """Ship the result DIRECTORY to a server: a run recorded offline, or the rest of one whose
    upload fell behind when the job ended.

    Resumable and idempotent: it continues where the server stands (the run's identity is kept in
    DIRECTORY/.trainui/upload.json), so running it again ships nothing twice.
    """
    from ..trainer.uploader import SyncError, sync as ship

    env = JobEnvironment.read()
    server, project, token = server or env.server, project or env.project, token or env.token
    try:
        report = ship(directory, server, project, token, stream=sys.stderr, on_progress=_progress_every(2.0))
    except SyncError as error:
        raise UsageProblem(str(error)) from None
    click.echo(f"{directory}: result {report.result_id} in project {report.project!r} on {report.server} holds "
               f"{report.entries} entr{'y' if report.entries == 1 else 'ies'} ({report.shipped} shipped now)")


@click.command("command")
@click.argument("result_id", type=click.IntRange(1))
@click.argument("name")
@click.argument("values", nargs=-1, metavar="[KEY=VALUE]...")
@click.option("--server", default=None, help=SERVER_HELP)
@click.option("--token", default=None, help=TOKEN_HELP)
@click.option("--at-iteration", type=click.IntRange(0), default=None, help="Apply it at this iteration (or the first after).")
@click.option("--at-epoch", type=click.IntRange(0), default=None, help="Apply it at this epoch (or the first after).")
@click.option("--mode", type=click.Choice(["scale", "hold"]), default=None,
              help="adjust_hyperparams under an LR scheduler: 'scale' the rest of the schedule so the value now is "
                   "the one asked for (warmup and decay keep their shape; the job's default), or 'hold' the value "
                   "from now on.")
@click.option("--wait/--no-wait", default=True, show_default=True, help="Wait for the job's answer.")
@click.option("--timeout", type=click.FloatRange(0), default=120.0, show_default=True,
              help="Seconds to wait for the answer.")
def command(result_id, name, values, server, token, at_iteration, at_epoch, mode, wait, timeout):
    """Send the command NAME to the running job of RESULT_ID and print its answer.

    \b
    Values are JSON where they parse as JSON, else text:
      trainui command 3 adjust_hyperparams lr=0.01
      trainui command 3 adjust_hyperparams lr=0.01 --mode hold
      trainui command 3 take_snapshot
      trainui command 3 stop --at-iteration 5000

    Exit status 0 when the job answered SUCCESS, 1 for FAILURE or CANCELLED, 2 for a mistake.
    """
    from ..client import Client, ClientError

    env = JobEnvironment.read()
    server, token = server or env.server, token or env.token
    if at_iteration is not None and at_epoch is not None:
        raise UsageProblem("give --at-iteration or --at-epoch, not both")
    body = parse_values(values)
    if mode is not None:
        if name != "adjust_hyperparams":
            raise UsageProblem("--mode is for adjust_hyperparams (how a change holds under an LR scheduler)")
        body["mode"] = mode
    try:
        client = Client(server, token)
        posted = client.post_command(result_id, name, body, iteration=at_iteration, epoch=at_epoch)
        if not wait:
            click.echo(f"command {posted['id']} ({name}) posted to result {result_id}: PENDING")
            return
        answered = client.wait_command(result_id, posted["id"], timeout)
    except (ClientError, ValueError) as error:
        raise UsageProblem(str(error)) from None
    except TimeoutError as error:
        raise UsageProblem(f"{error}; it stays posted (see `GET /api/v1/results/{result_id}/commands`)") from None
    click.echo(describe_answer(answered))
    if answered["status"] != "SUCCESS":
        sys.exit(1)


def _progress_every(seconds: float):
    """A progress line on stderr every ``seconds`` while a long sync runs (a short one stays quiet)."""
    next_at = time.monotonic() + seconds

    def report(entries: int) -> None:
        nonlocal next_at
        if time.monotonic() >= next_at:
            next_at = time.monotonic() + seconds
            click.echo(f"trainui: the server holds {entries} entries so far", err=True)

    return report


def parse_values(values: tuple[str, ...]) -> dict:
    """('lr=0.01', 'note=warm restart') -> {'lr': 0.01, 'note': 'warm restart'}."""
    body = {}
    for item in values:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise UsageProblem(f"{item!r} is not KEY=VALUE")
        try:
            body[key] = json.loads(raw)
        except ValueError:
            body[key] = raw
    return body


def describe_answer(command: dict) -> str:
    where = []
    if command.get("iteration") is not None:
        where.append(f"iteration {command['iteration']}")
    if command.get("epoch") is not None:
        where.append(f"epoch {command['epoch']}")
    ranks = command.get("ranks")
    head = f"{command['name']}: {command['status']}"
    if where:
        head += " at " + ", ".join(where)
    if ranks:
        head += f" on {ranks} rank{'s' if ranks != 1 else ''}"
    response = command.get("response")
    return head + (f"\n{json.dumps(response, indent=2, sort_keys=True)}" if response else "")
