"""Rules and their firings as the API shows them: create, list, change, delete; each firing with
the command it sent and that command's answer."""
from __future__ import annotations

import math
import time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..errors import Conflict, NotFound
from ..models import Command, Firing, Result, Rule
from ..projects import get_project
from ..results import get_result_row
from .definition import check_rule, masked

MAX_RULES_PER_PROJECT = 1000
MAX_FIRINGS_LISTED = 10_000


def rule_dict(rule: Rule, secrets: bool = False) -> dict:
    """A rule as the API shows it (``secrets``: with the webhook URL in full, for the store itself)."""
    definition = dict(rule.definition)
    if not secrets:
        definition["action"] = masked(definition["action"])
    return {"id": rule.id, "project_id": rule.project_id, **definition, "name": rule.name,
            "result_id": rule.result_id, "enabled": rule.enabled, "created_at": rule.created_at,
            "updated_at": rule.updated_at}


def create_rule(session: Session, project_id: int, raw) -> dict:
    get_project(session, project_id)
    definition = check_rule(raw)
    check_scope(session, project_id, definition["result_id"])
    count = session.scalar(select(func.count(Rule.id)).where(Rule.project_id == project_id))
    if count >= MAX_RULES_PER_PROJECT:
        raise Conflict(f"a project holds at most {MAX_RULES_PER_PROJECT} rules; delete some first")
    rule = Rule(project_id=project_id, created_at=time.time(), updated_at=time.time())
    _assign(rule, definition)
    session.add(rule)
    session.flush()
    return rule_dict(rule)


def list_rules(session: Session, project_id: int) -> list[dict]:
    get_project(session, project_id)
    return [rule_dict(r) for r in session.scalars(select(Rule).where(Rule.project_id == project_id).order_by(Rule.id))]


def get_rule(session: Session, rule_id: int) -> dict:
    return rule_dict(_get(session, rule_id))


def update_rule(session: Session, rule_id: int, raw) -> dict:
    rule = _get(session, rule_id)
    kept = rule_dict(rule, secrets=True)
    if isinstance(raw, dict) and isinstance(raw.get("action"), dict) and raw["action"].get("kind") == "notify" \
            and "url" not in raw["action"]:  # the secret stays unless given
        if kept["action"].get("kind") != "notify":
            raise Conflict(f"rule {rule_id} sends no webhook yet: give the action's 'url'")
        raw = {**raw, "action": {**raw["action"], "url": kept["action"]["url"]}}
    changes = check_rule(raw, partial=True)
    if "result_id" in changes:
        check_scope(session, rule.project_id, changes["result_id"])
    _assign(rule, {**kept, **changes})
    rule.updated_at = time.time()
    return rule_dict(rule)


def delete_rule(session: Session, rule_id: int) -> None:
    session.delete(_get(session, rule_id))


def firings(session: Session, rule_id: int | None = None, result_id: int | None = None) -> list[dict]:
    """A rule's firings or a run's, oldest first, each with its command's status and answer."""
    if rule_id is not None:
        _get(session, rule_id)
        where = Firing.rule_id == rule_id
    else:
        get_result_row(session, result_id)
        where = Firing.result_id == result_id
    rows = session.execute(select(Firing, Rule.name, Command.status, Command.response, Command.iteration)
                           .join(Rule, Rule.id == Firing.rule_id)
                           .outerjoin(Command, Command.id == Firing.command_id)
                           .where(where).order_by(Firing.id).limit(MAX_FIRINGS_LISTED))
    return [{"id": f.id, "rule_id": f.rule_id, "rule": name, "result_id": f.result_id, "entry": f.entry,
             "x": f.x, "value": f.value if f.value is None or math.isfinite(f.value) else None,
             "reason": f.reason, "action": f.action, "outcome": f.outcome, "message": f.message,
             "command_id": f.command_id, "command_status": status, "command_response": response,
             "command_iteration": iteration, "created_at": f.created_at}
            for f, name, status, response, iteration in rows]


def _assign(rule: Rule, definition: dict) -> None:
    rule.name, rule.result_id, rule.enabled = definition["name"], definition["result_id"], definition["enabled"]
    rule.definition = {k: definition[k] for k in ("condition", "action", "cooldown", "max_firings", "dry_run")}


def _get(session: Session, rule_id: int) -> Rule:
    rule = session.get(Rule, rule_id)
    if rule is None:
        raise NotFound(f"rule {rule_id} does not exist")
    return rule


def check_scope(session: Session, project_id: int, result_id: int | None) -> None:
    if result_id is None:
        return
    project = session.scalar(select(Result.project_id).where(Result.id == result_id))
    if project is None:
        raise NotFound(f"result {result_id} does not exist")
    if project != project_id:
        raise Conflict(f"result {result_id} is not a run of project {project_id}: a rule watches its own project's runs")
