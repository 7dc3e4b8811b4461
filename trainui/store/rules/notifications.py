"""The webhooks rules queued: claimed a few at a time by whichever ingestion process asks (on
PostgreSQL with SKIP LOCKED, so two workers never post the same one at once), then marked
notified, or due again later with a growing delay, or failed after the last attempt."""
from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..database import database_of
from ..models import Firing, Project, Result, Rule

MAX_ATTEMPTS = 8
IN_FLIGHT = 60.0  # a claimed webhook is due again after this long if its poster died
FIRST_DELAY, MAX_DELAY = 2.0, 600.0


@dataclass(frozen=True)
class Notification:
    firing_id: int
    url: str
    payload: dict
    attempts: int


def claim_due(session: Session, limit: int = 20) -> list[Notification]:
    now = time.time()
    query = (select(Firing, Rule, Result.name, Project.name)
             .join(Rule, Rule.id == Firing.rule_id).join(Result, Result.id == Firing.result_id)
             .join(Project, Project.id == Result.project_id)
             .where(Firing.outcome == "queued", Firing.next_attempt_at <= now)
             .order_by(Firing.next_attempt_at).limit(limit))
    if database_of(session).is_postgresql:
        query = query.with_for_update(skip_locked=True, of=Firing)
    out = []
    for firing, rule, run_name, project_name in session.execute(query):
        firing.next_attempt_at = now + IN_FLIGHT
        out.append(Notification(firing.id, rule.definition["action"]["url"],
                                message(rule.name, project_name, run_name, firing), firing.attempts))
    return out


def message(rule: str, project: str, run: str, firing: Firing) -> dict:
    """A body Slack and Mattermost ("text") and Discord ("content") incoming webhooks all take."""
    where = f" at {firing.x:g}" if firing.x is not None else ""
    text = f"trainui: rule \u201c{rule}\u201d fired on run {run} of {project}{where}: {firing.reason}"
    return {"text": text, "content": text[:2000], "username": "trainui",
            "trainui": {"rule": rule, "project": project, "run": run, "result_id": firing.result_id,
                        "entry": firing.entry, "x": firing.x, "reason": firing.reason}}


def record_attempt(session: Session, firing_id: int, ok: bool, detail: str) -> None:
    firing = session.get(Firing, firing_id)
    if firing is None or firing.outcome != "queued":
        return
    firing.attempts += 1
    if ok:
        firing.outcome, firing.next_attempt_at, firing.message = "notified", None, detail[:500]
    elif firing.attempts >= MAX_ATTEMPTS:
        firing.outcome, firing.next_attempt_at = "failed", None
        firing.message = f"gave up after {firing.attempts} attempts: {detail}"[:500]
    else:
        delay = min(MAX_DELAY, FIRST_DELAY * 2 ** (firing.attempts - 1))
        firing.next_attempt_at = time.time() + delay
        firing.message = f"attempt {firing.attempts} failed ({detail}); next in {delay:g} s"[:500]
