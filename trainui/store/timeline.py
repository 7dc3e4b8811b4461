"""What was done to a run, as events on its curves: each command the job applied (at the iteration
the job's answer names), each time a later process resumed the run (from its job status), and each
time an automation rule fired on it (at the x of the entry that set it off).

Nothing is stored twice: command events are read from the commands table, resumes from the job
status the result already keeps, firings from theirs. An event has a ``kind`` ("command",
"resume", "automation"; room for more) so that a page draws kinds it does not know as plain markers.

Everything here comes from a job (answers, status files): it is data, shown as text, never markup,
and a value of the wrong type is left out instead of failing the answer.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import protocol
from .models import Command, Firing, Rule
from .results import get_result_row

COMMAND, RESUME, AUTOMATION = "command", "resume", "automation"
ANSWERED = (protocol.SUCCESS, protocol.FAILURE)
SUMMARY_CHARS = 300
MAX_FIRINGS = 10_000  # the newest a run's events show (a rule has a cooldown and a limit of its own)
PLACES = ("iteration", "epoch", "elapsed_time")  # the x keys an event can stand on


def result_events(session: Session, result_id: int) -> list[dict]:
    """The events of one result, by iteration then time: one indexed query for its commands."""
    result = get_result_row(session, result_id)
    rows = session.scalars(select(Command).where(
        Command.result_id == result_id, Command.status.in_(ANSWERED), Command.iteration.is_not(None)))
    events = [command_event(c) for c in rows]
    resumes = (result.job or {}).get("resumes")
    if isinstance(resumes, list):
        events.extend(e for e in (resume_event(i, r) for i, r in enumerate(resumes)) if e is not None)
    firings = session.execute(select(Firing, Rule.name, Rule.definition).join(Rule, Rule.id == Firing.rule_id)
                              .where(Firing.result_id == result_id).order_by(Firing.id.desc()).limit(MAX_FIRINGS))
    events.extend(e for e in (firing_event(*row) for row in firings) if e is not None)
    events.sort(key=lambda e: (e["iteration"] is None, e["iteration"] or 0, e["time"] or 0.0))
    return events


def command_event(c: Command) -> dict:
    response = c.response if isinstance(c.response, dict) else {}
    summary = command_summary(c.name, c.body if isinstance(c.body, dict) else {}, response)
    if c.status == protocol.FAILURE:
        error = response.get("error")
        summary += f" (failed{': ' + str(error) if error else ''})"
    return {"kind": COMMAND, "id": f"command-{c.id}", "iteration": c.iteration, "epoch": c.epoch,
            "elapsed_time": c.elapsed_time, "time": c.responded_at, "status": c.status,
            "summary": _cut(summary), "command_id": c.id,
            "details": {"name": c.name, "body": c.body, "ranks": c.ranks,
                        # without every param group's hyperparameters (the command list has them): kept small
                        "response": {k: v for k, v in response.items() if k != "hyperparams"}}}


def command_summary(name: str, body: dict, response: dict) -> str:
    """One line saying what the command did: "lr 0.1 -> 0.01", "snapshot snapshot_iter_50.pt"."""
    if name == "adjust_hyperparams":
        changes = response.get("changes")
        if isinstance(changes, list) and changes:
            return ", ".join(_change(c) for c in changes if isinstance(c, dict))
        asked = [f"{k} -> {protocol.value_text(v)}" for k, v in body.items() if k != "mode"]
        return ", ".join(asked) or "adjust_hyperparams"
    if name == "take_snapshot":
        path = response.get("path")
        return f"snapshot {path}" if isinstance(path, str) and path else "snapshot"
    if name == "stop":
        return "stop"
    return name


def resume_event(index: int, resume: Any) -> dict | None:
    """A resume the job status remembers; one without any iteration has no place on a curve."""
    if not isinstance(resume, dict):
        return None
    iteration = protocol.int64_or_none(resume.get("iteration"))
    previous = protocol.int64_or_none(resume.get("previous_iteration"))
    if iteration is None:
        iteration = previous
    if iteration is None:
        return None
    after = resume.get("after")
    after = after if after in protocol.JOB_STATUSES else None
    summary = "resumed" + (f" (it had {_ended(after)})" if after else "")
    if previous is not None and iteration <= previous:  # from an earlier snapshot: it replays iterations
        summary += f"; the log had reached iteration {previous}"
    return {"kind": RESUME, "id": f"resume-{index}", "iteration": iteration,
            "epoch": protocol.int64_or_none(resume.get("epoch")), "elapsed_time": _real(resume.get("elapsed_time")),
            "time": _real(resume.get("at")), "status": None, "summary": summary, "command_id": None,
            "details": {"after": after, "previous_iteration": previous}}


def firing_event(firing: Firing, rule_name: str, definition: Any) -> dict | None:
    """A rule's firing stands at the x of its entry, on the rule's own x key (iteration by default);
    one whose x key is none of PLACES has no place on a curve."""
    condition = definition.get("condition") if isinstance(definition, dict) else None
    x_key = condition.get("x", "iteration") if isinstance(condition, dict) else "iteration"
    if x_key not in PLACES or not protocol.is_real(firing.x):
        return None
    place = dict.fromkeys(PLACES)
    place[x_key] = float(firing.x) if x_key == "elapsed_time" else protocol.int64_or_none(int(firing.x))
    summary = f"{rule_name}: {firing.reason} -> {firing.action}"
    if firing.outcome not in ("sent", "marked", "queued", "notified"):
        summary += f" ({firing.outcome.replace('_', ' ')}{': ' + firing.message if firing.message else ''})"
    return {"kind": AUTOMATION, "id": f"firing-{firing.id}", **place, "time": firing.created_at, "status": None,
            "summary": _cut(summary), "command_id": firing.command_id,
            "details": {"rule_id": firing.rule_id, "rule": rule_name, "reason": firing.reason, "action": firing.action,
                        "outcome": firing.outcome, "message": firing.message, "entry": firing.entry}}


def _change(change: dict) -> str:
    key = str(change.get("key", "?"))
    group = change.get("param_group")
    where = f" (group {group})" if isinstance(group, int) and group > 0 else ""
    new = change.get("in_force", change.get("asked"))
    if "previous" in change:
        return f"{key} {protocol.value_text(change['previous'])} -> {protocol.value_text(new)}{where}"
    return f"{key} -> {protocol.value_text(new)}{where}"


def _ended(status: str) -> str:
    return {protocol.CRASHED: "crashed", protocol.STOPPED: "stopped", protocol.FINISHED: "finished",
            protocol.RUNNING: "not closed"}[status]


def _real(value: Any) -> float | None:
    return float(value) if protocol.is_real(value) else None


def _cut(text: str) -> str:
    return text if len(text) <= SUMMARY_CHARS else text[:SUMMARY_CHARS - 1] + "…"
