"""Automations: a project's rules and where they fired (the store evaluates them as entries arrive)."""
from __future__ import annotations

from ..responses import json_response
from . import api
from .params import json_body, store


@api.get("/projects/<id:project_id>/rules")
def list_rules(project_id: int):
    return json_response({"rules": store().rules.list(project_id)})


@api.post("/projects/<id:project_id>/rules")
def create_rule(project_id: int):
    return json_response({"rule": store().rules.create(project_id, json_body())}, 201)


@api.post("/projects/<id:project_id>/rules/backtest")
def backtest_rule(project_id: int):
    """Where a rule would have fired on the runs' history; nothing is stored."""
    return json_response(store().rules.backtest(project_id, json_body()))


@api.get("/rules/<id:rule_id>")
def get_rule(rule_id: int):
    return json_response({"rule": store().rules.get(rule_id)})


@api.patch("/rules/<id:rule_id>")
def update_rule(rule_id: int):
    return json_response({"rule": store().rules.update(rule_id, json_body())})


@api.delete("/rules/<id:rule_id>")
def delete_rule(rule_id: int):
    store().rules.delete(rule_id)
    return json_response({}, 204)


@api.get("/rules/<id:rule_id>/firings")
def rule_firings(rule_id: int):
    return json_response({"firings": store().rules.firings(rule_id=rule_id)})


@api.get("/results/<id:result_id>/firings")
def result_firings(result_id: int):
    return json_response({"firings": store().rules.firings(result_id=result_id)})
