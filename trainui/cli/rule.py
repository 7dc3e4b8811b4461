"""`trainui rule ...`: a project's automations, through a server's API (like `trainui command`)."""
from __future__ import annotations

import json
from pathlib import Path

import click

from ..config import JobEnvironment
from .remote import SERVER_HELP, TOKEN_HELP
from .usage import UsageProblem

PRESET_NAMES = ("nan-guard", "plateau-lr", "early-stop", "loss-spike", "hang-alarm")


def _client(server, token):
    from ..client import Client

    env = JobEnvironment.read()
    return Client(server or env.server, token or env.token)


def _project(text: str) -> int | str:
    return int(text) if text.isdigit() else text


def _calling(action):
    from ..client import ClientError

    try:
        return action()
    except (ClientError, ValueError) as error:
        raise UsageProblem(str(error)) from None


def _definition(client, preset, key, definition, name, run, dry_run, max_firings, notify=None) -> dict:
    if (preset is None) == (definition is None):
        raise UsageProblem("give --preset NAME or --json DEFINITION (a file or the JSON itself)")
    if preset is not None:
        out = _calling(lambda: client.rule_preset(preset, key))
    else:
        text = Path(definition).read_text() if Path(definition).is_file() else definition
        try:
            out = json.loads(text)
        except ValueError as error:
            raise UsageProblem(f"--json: not JSON ({error})") from None
        if not isinstance(out, dict):
            raise UsageProblem("--json: a rule is a JSON object")
        if key is not None and isinstance(out.get("condition"), dict):
            out["condition"]["key"] = key
    if name is not None:
        out["name"] = name
    if run is not None:
        out["result_id"] = run
    if dry_run:
        out["dry_run"] = True
    if max_firings is not None:
        out["max_firings"] = max_firings
    if notify is not None:
        out["action"] = {"kind": "notify", "url": notify}
    return out


def _describe(rule: dict) -> str:
    condition, action = rule["condition"], rule["action"]
    watched = f" on {condition['key']}" if "key" in condition else ""
    flags = [] if rule["enabled"] else ["disabled"]
    flags += ["dry run"] if rule.get("dry_run") else []
    scope = f"run {rule['result_id']}" if rule.get("result_id") else "every run"
    what = {"notify": lambda: f"notify {action['url']}", "command": lambda: f"command {action['name']}"}.get(
        action["kind"], lambda: action["kind"])()
    return (f"rule {rule['id']}: {rule['name']!r} — when {condition['kind']}{watched} ({scope}): "
            f"{what}{' [' + ', '.join(flags) + ']' if flags else ''}")


def definition_options(command):
    for option in reversed([
        click.option("--preset", type=click.Choice(PRESET_NAMES), default=None, help="A ready-made rule."),
        click.option("--key", default=None, help="The metric it watches [default: the preset's]."),
        click.option("--json", "definition", default=None, metavar="JSON|FILE",
                     help="The whole rule as JSON (see `GET /api/v1/openapi.json`, Rule)."),
        click.option("--name", default=None, help="Its name [default: the preset's]."),
        click.option("--run", type=click.IntRange(1), default=None, help="Watch this one result only."),
        click.option("--dry-run", is_flag=True, help="Record would-be firings, act on nothing."),
        click.option("--max-firings", type=click.IntRange(1), default=None, help="At most this many per run."),
        click.option("--notify", default=None, metavar="URL",
                     help="Send a webhook (Slack, Discord, Mattermost) instead of the preset's action."),
        click.option("--server", default=None, help=SERVER_HELP),
        click.option("--token", default=None, help=TOKEN_HELP)]):
        command = option(command)
    return command


@click.group("rule")
def rule() -> None:
    """Automations: rules that watch a project's runs and act (snapshot, lr, stop, restore, webhook).

    \b
      trainui rule add my-project --preset nan-guard --key main/loss
      trainui rule backtest my-project --preset plateau-lr --key validation/main/loss
      trainui rule list my-project
      trainui rule firings 3
    """


@rule.command("add")
@click.argument("project")
@definition_options
def add(project, preset, key, definition, name, run, dry_run, max_firings, notify, server, token):
    """Add a rule to PROJECT (an id or a name); it watches the entries that arrive from now on."""
    client = _client(server, token)
    made = _calling(lambda: client.add_rule(_project(project), _definition(
        client, preset, key, definition, name, run, dry_run, max_firings, notify)))
    click.echo(_describe(made))


@rule.command("backtest")
@click.argument("project")
@definition_options
def backtest(project, preset, key, definition, name, run, dry_run, max_firings, notify, server, token):
    """Where a rule would have fired on PROJECT's history; nothing is saved."""
    client = _client(server, token)
    answer = _calling(lambda: client.backtest_rule(_project(project), _definition(
        client, preset, key, definition, name, run, dry_run, max_firings)))
    for run_answer in answer["runs"]:
        if run_answer["firings"]:
            where = ", ".join(f"{f['x']:g}" for f in run_answer["firings"][:10])
            more = f" and {len(run_answer['firings']) - 10} more" if len(run_answer["firings"]) > 10 else ""
            click.echo(f"result {run_answer['result_id']} ({run_answer['name']}): fires at {where}{more}")
    click.echo(f"{answer['firings']} firing(s) on {answer['fired_runs']} of {len(answer['runs'])} run(s) "
               f"with the metric{'; ' + answer['note'] if answer['note'] else ''}")


@rule.command("list")
@click.argument("project")
@click.option("--server", default=None, help=SERVER_HELP)
@click.option("--token", default=None, help=TOKEN_HELP)
def list_rules(project, server, token):
    """The rules of PROJECT."""
    client = _client(server, token)
    rules = _calling(lambda: client.rules(_project(project)))
    for each in rules:
        click.echo(_describe(each))
    if not rules:
        click.echo("no rules (add one: trainui rule add PROJECT --preset nan-guard)")


@rule.command("firings")
@click.argument("rule_id", type=click.IntRange(1))
@click.option("--server", default=None, help=SERVER_HELP)
@click.option("--token", default=None, help=TOKEN_HELP)
def firings(rule_id, server, token):
    """Where RULE_ID fired: the run, the point, what it did and how the job answered."""
    client = _client(server, token)
    fired = _calling(lambda: client.firings(rule_id=rule_id))
    for f in fired:
        answer = f" -> {f['command_status']}" if f.get("command_status") else ""
        click.echo(f"result {f['result_id']} at {f['x']:g}: {f['reason']}; {f['outcome']}: {f['message']}{answer}")
    if not fired:
        click.echo(f"rule {rule_id} has not fired")


@rule.command("enable")
@click.argument("rule_id", type=click.IntRange(1))
@click.option("--server", default=None, help=SERVER_HELP)
@click.option("--token", default=None, help=TOKEN_HELP)
def enable(rule_id, server, token):
    """Enable RULE_ID."""
    click.echo(_describe(_calling(lambda: _client(server, token).update_rule(rule_id, {"enabled": True}))))


@rule.command("disable")
@click.argument("rule_id", type=click.IntRange(1))
@click.option("--server", default=None, help=SERVER_HELP)
@click.option("--token", default=None, help=TOKEN_HELP)
def disable(rule_id, server, token):
    """Disable RULE_ID (it keeps its firings)."""
    click.echo(_describe(_calling(lambda: _client(server, token).update_rule(rule_id, {"enabled": False}))))


@rule.command("delete")
@click.argument("rule_id", type=click.IntRange(1))
@click.option("--server", default=None, help=SERVER_HELP)
@click.option("--token", default=None, help=TOKEN_HELP)
def delete(rule_id, server, token):
    """Delete RULE_ID and its firings."""
    _calling(lambda: _client(server, token).delete_rule(rule_id))
    click.echo(f"rule {rule_id} deleted")
