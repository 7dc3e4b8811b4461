"""Rules on the run itself, checked by the ingestion's poller (every pass, a second or so):
``silent`` fires once per stretch without a new entry of a running job (the stretch is named by
the entry count it stopped at), ``crashed`` once when a run ends crashed after the rule was made.
Each firing is keyed like an entry's (rule, run, generation, "entry"), so two pollers on one
PostgreSQL database fire it once."""
from __future__ import annotations

import math
import time

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ... import protocol
from ..models import Result, Rule, RuleState
from .conditions import Trigger
from .definition import RUN_KINDS
from .evaluate import _fire

CRASHED_ENTRY = -1  # the firing key of a run's crash (an entry index is never negative)


def check_runs(session: Session) -> int:
    """Fire the run rules that are due; returns how many fired."""
    rules = [r for r in session.scalars(select(Rule).where(Rule.enabled.is_(True)).order_by(Rule.id))
             if r.definition["condition"]["kind"] in RUN_KINDS]
    fired = 0
    now = time.time()
    for rule in rules:
        condition = rule.definition["condition"]
        status = protocol.RUNNING if condition["kind"] == "silent" else protocol.CRASHED
        query = select(Result).where(Result.project_id == rule.project_id, Result.status == status,
                                     Result.unregistered.is_(False))
        if rule.result_id is not None:
            query = query.where(Result.id == rule.result_id)
        if condition["kind"] == "crashed":
            # crashed since the rule was made (a job's own crash report says when; else the row's change)
            query = query.where(func.coalesce(Result.ended_at, Result.updated_at) >= rule.created_at)
        for result in session.scalars(query):
            fired += _check(session, rule, result, condition, now)
    return fired


def _check(session: Session, rule: Rule, result: Result, condition: dict, now: float) -> int:
    state = session.get(RuleState, (rule.id, result.id))
    if state is None:
        state = RuleState(rule_id=rule.id, result_id=result.id, generation=result.log_generation or 0,
                          state={"count": result.entry_count, "since": now}, firings=0)
        try:
            with session.begin_nested():
                session.add(state)
        except IntegrityError:  # another poller made it this moment
            return 0
        if condition["kind"] == "silent":
            return 0
    limit = rule.definition.get("max_firings")
    if limit is not None and state.firings >= limit:
        return 0
    if condition["kind"] == "silent":
        seen = dict(state.state or {})
        if seen.get("count") != result.entry_count:
            state.state = {"count": result.entry_count, "since": now}
            return 0
        if now - seen.get("since", now) < condition["seconds"] or seen.get("fired") == result.entry_count:
            return 0
        entry, reason = result.entry_count, (f"no new entry for {now - seen['since']:.0f} s "
                                             f"(at entry {result.entry_count})")
        state.state = {**seen, "fired": result.entry_count}
    else:
        if (state.state or {}).get("crashed"):
            return 0
        entry, reason = CRASHED_ENTRY, "the run crashed" + (f": {result.job.get('message')}"
                                                           if (result.job or {}).get("message") else "")
        state.state = {**(state.state or {}), "crashed": True}
    iteration = (result.job or {}).get("iteration")
    x = float(iteration) if isinstance(iteration, (int, float)) and math.isfinite(iteration) else float(entry)
    try:
        with session.begin_nested():
            _fire(session, rule, result, result.log_generation or 0, Trigger(entry, x, math.nan, reason))
    except IntegrityError:  # fired by another poller already
        return 0
    state.firings += 1
    state.last_x, state.last_at = x, now
    return 1
