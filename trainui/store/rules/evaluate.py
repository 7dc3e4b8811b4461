"""Rules evaluated where entries are applied: inside the transaction that stores them.

``apply_batch`` (the file reader's and the HTTP upload's one path) hands each run's new entries
here. A rule's state on the run, its firings and the commands they send commit with those entries,
or not at all: a batch is applied at most once (compare-and-set on the log position), so a rule
fires once per offending entry across server restarts, replayed batches and several ingestion
workers on PostgreSQL; the unique (rule, run, log generation, entry) key holds it if anything else
ever tried.
"""
from __future__ import annotations

import math
import time

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import commands as command_store
from ..database import database_of
from ..errors import StoreError
from ..models import Firing, Result, Rule, RuleState
from .conditions import Trigger, feed, number
from .definition import RUN_KINDS


def evaluate(session: Session, result: Result, entries: list, first_entry: int,
             replayed_to: int | None = None) -> list[Firing]:
    """Feed ``entries`` (the run's entries from index ``first_entry`` on) to the rules that watch
    ``result``; returns the firings recorded. ``replayed_to``: the log was read again from its start
    after a restore rewound the run to that iteration; its entries up to there were judged before
    the rewind: they rebuild each condition's state but fire nothing again."""
    if not entries:
        return []
    rules = [r for r in _project_rules(session, result.project_id) if r.result_id in (None, result.id)]
    if not rules:
        return []
    states = {s.rule_id: s for s in session.scalars(select(RuleState).where(
        RuleState.result_id == result.id, RuleState.rule_id.in_([r.id for r in rules])))}
    generation = result.log_generation or 0
    fired: list[Firing] = []
    for rule in rules:
        if rule.definition["condition"]["kind"] in RUN_KINDS:
            continue  # watched by the poller (watch.py), not fed entries
        state = states.get(rule.id)
        if state is None:
            state = RuleState(rule_id=rule.id, result_id=result.id, generation=generation, state={}, firings=0)
            session.add(state)
        elif state.generation != generation:  # the log was replaced: the condition starts again
            state.generation, state.state = generation, ({} if replayed_to is None else {REPLAYED: replayed_to})
        definition = rule.definition
        limit = definition.get("max_firings")
        if limit is not None and state.firings >= limit:
            continue
        condition = definition["condition"]
        new_state, triggers = feed(condition, state.state or {}, _points(entries, first_entry, condition))
        if new_state != state.state:  # most entries change no rule's state: no UPDATE for those
            state.state = new_state
        replay = new_state.get(REPLAYED)
        for trigger in triggers:
            if limit is not None and state.firings >= limit:
                break
            if replay is not None and trigger.x <= replay:
                continue  # history the rule judged before the restore
            if _cooling(definition["cooldown"], state, trigger):
                continue
            fired.append(_fire(session, rule, result, generation, trigger))
            state.firings += 1
            state.last_x, state.last_at = trigger.x, time.time()
    return fired


@dataclass(frozen=True)
class RuleView:
    """What evaluating needs of a rule, kept between batches (a project's rules change rarely)."""

    id: int
    project_id: int
    result_id: int | None
    name: str
    definition: dict


def _project_rules(session: Session, project_id: int) -> list[RuleView]:
    """The project's enabled rules, read again only when they changed: their count and latest
    change are one cheap query, the rules themselves (JSON) a query per change, not per batch."""
    cache = database_of(session).__dict__.setdefault("_rules_by_project", {})
    stamp = tuple(session.execute(select(func.count(Rule.id), func.max(Rule.updated_at))
                                  .where(Rule.project_id == project_id)).one())
    known = cache.get(project_id)
    if known is not None and known[0] == stamp:
        return known[1]
    rules = [RuleView(r.id, r.project_id, r.result_id, r.name, r.definition) for r in session.scalars(
        select(Rule).where(Rule.project_id == project_id, Rule.enabled.is_(True)).order_by(Rule.id))]
    if len(cache) > 10_000:
        cache.clear()
    cache[project_id] = (stamp, rules)
    return rules


REPLAYED = "_replayed_to"  # kept in a rule's state on a run: conditions use no key starting with "_"


def _points(entries: list, first_entry: int, condition: dict):
    key, x_key = condition["key"], condition["x"]
    for offset, entry in enumerate(entries):
        if not isinstance(entry, dict) or key not in entry:
            continue
        # null: how trainui's log writer wrote a NaN or an infinity before it spelled them
        value = math.nan if entry[key] is None else number(entry[key])
        if value is None:
            continue
        x = number(entry.get(x_key))
        yield first_entry + offset, (x if x is not None and math.isfinite(x) else float(first_entry + offset)), value


def _cooling(cooldown: dict, state: RuleState, trigger: Trigger) -> bool:
    if state.last_x is not None and cooldown["iterations"] and trigger.x < state.last_x + cooldown["iterations"]:
        return True
    return bool(state.last_at is not None and cooldown["seconds"] and time.time() < state.last_at + cooldown["seconds"])


def _fire(session: Session, rule: "Rule | RuleView", result: Result, generation: int, trigger: Trigger) -> Firing:
    action = rule.definition["action"]
    firing = Firing(rule_id=rule.id, result_id=result.id, generation=generation, entry=trigger.entry,
                    x=trigger.x, value=trigger.value if math.isfinite(trigger.value) else None,
                    reason=trigger.reason, action=action["kind"], outcome="marked", message="", attempts=0,
                    created_at=time.time())
    if rule.definition.get("dry_run"):
        firing.outcome, firing.message = "dry_run", "dry run: nothing was sent"
    elif action["kind"] == "notify":  # sent by the ingestion's notifier, never inside this transaction
        firing.outcome, firing.next_attempt_at, firing.message = "queued", time.time(), "webhook queued"
    elif action["kind"] != "mark":
        try:
            payload = command_payload(action, result.job or {})
            command = command_store.create_command(session, result.id, payload)
        except StoreError as error:
            firing.outcome, firing.message = "refused", str(error)
        else:
            firing.outcome, firing.command_id = "sent", command["id"]
            firing.message = f"command {command['name']} #{command['id']} sent"
    session.add(firing)
    return firing


def command_payload(action: dict, job: dict) -> dict:
    """The command an action sends to a job whose last reported status is ``job``."""
    from ..errors import Conflict

    kind = action["kind"]
    if kind == "command":
        return {"name": action["name"], "body": action.get("body", {})}
    if kind != "adjust_hyperparams":
        return {"name": kind, "body": {}}
    extra = {"mode": action["mode"]} if "mode" in action else {}
    if "multiply" not in action:
        return {"name": kind, "body": {**action["set"], **extra}}
    groups = job.get("hyperparams") or []
    targets: dict[str, dict] = {}
    for index, group in enumerate(groups if isinstance(groups, list) else []):
        values = {}
        for key, factor in action["multiply"].items():
            current = number(group.get(key)) if isinstance(group, dict) else None
            if current is not None and math.isfinite(current):
                values[key] = current * factor
        if any(key in values for key in action["multiply"]):
            targets[str(index)] = values
    if not targets:
        raise Conflict(f"the job has not reported {', '.join(action['multiply'])} yet: nothing to multiply")
    return {"name": kind, "body": {"param_groups": targets, **extra}}
