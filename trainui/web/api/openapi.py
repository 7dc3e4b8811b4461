"""The OpenAPI 3 description of the API, served at /api/v1/openapi.json. It is also the API's check
of request bodies (params.json_body validates each against its route's schema here), so a field's
type, length, pattern and the list of fields a body takes are written once, in this file."""
from __future__ import annotations

import re

from flask import request

from ... import protocol
from ..responses import json_response
from . import api


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


ERROR = {"default": {"description": "error",
                     "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}


def _ok(schema: dict, code: str = "200") -> dict:
    return {code: {"description": "OK", "content": {"application/json": {"schema": schema}}}, **ERROR}


def _id(name: str) -> dict:
    return {"name": name, "in": "path", "required": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}}  # (web.IdConverter)


def _q(name: str, schema: dict, description: str = "", required: bool = False) -> dict:
    if schema.get("type") == "string" and "pattern" not in schema:
        schema = {**schema, "pattern": NO_NUL}  # (web.api.params.reject_nul_in_query)
    # an optional parameter given empty (`?x_min=`) is taken as absent, as the API always has
    return {"name": name, "in": "query", "required": required, "allowEmptyValue": not required, "schema": schema,
            "description": description}


def _body(schema: dict) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _fields(required: tuple = (), **props) -> dict:
    """A request body's object: exactly these fields (an unknown one is refused: a typo is not ignored)."""
    return {"type": "object", "additionalProperties": False, "properties": props,
            **({"required": list(required)} if required else {})}


def _described(schema: dict, description: str) -> dict:
    return {**schema, "description": description}


INT64_MAX = 2**63 - 1
NO_NUL = "^[^\\x00]*$"  # PostgreSQL stores no NUL character, and no file name holds one
WHITESPACE = "\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"  # str.strip's
TEXT = {"type": "string", "pattern": NO_NUL, "description": "text without NUL characters"}
INT64 = {"type": "integer", "minimum": -INT64_MAX, "maximum": INT64_MAX}  # (protocol.is_int64)
# an object of stored values: its keys hold no NUL character (patternProperties, which fuzzers
# respect in nested objects where some ignore propertyNames)
VALUES = {"type": "object", "patternProperties": {NO_NUL: {"$ref": "#/components/schemas/Value"}},
          "additionalProperties": False}
RESULT_ID, CURSOR = "[1-9][0-9]{0,17}", "[0-9]{1,18}"
MAX_ACROSS = 500
ACROSS_RESULTS = f"^{RESULT_ID}(,{RESULT_ID}){{0,{MAX_ACROSS - 1}}}$"
BATCH_RESULTS = f"^{RESULT_ID}(:{CURSOR})?(,{RESULT_ID}(:{CURSOR})?){{0,499}}$"
NOT_BLANK = f"^[^\\x00]*[^{WHITESPACE}\\x00][^\\x00]*$"  # and no NUL
NAME = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": NOT_BLANK,
        "description": "a name: 1 to 255 characters, not all blank, without NUL characters"}


NULLABLE_NUMBER = {"type": "number", "nullable": True}
TAG = {"type": "string", "minLength": 1, "maxLength": protocol.MAX_TAG_LENGTH, "pattern": protocol.TAG_PATTERN.pattern,
       "description": f"a tag: 1 to {protocol.MAX_TAG_LENGTH} letters, digits and _ . : / + @ -"}
TAGS = {"type": "array", "items": TAG, "maxItems": protocol.MAX_TAGS,
        "description": f"at most {protocol.MAX_TAGS} tags (a repeated one counts once)"}
NOTES = {"type": "string", "maxLength": protocol.MAX_NOTES_CHARS, "pattern": NO_NUL, "nullable": True,
         "description": f"markdown, at most {protocol.MAX_NOTES_CHARS:,} characters; null or empty clears them"}
SCHEMAS = {
    "Error": {"type": "object", "required": ["error", "message"],
              "properties": {"error": {"type": "string"}, "message": {"type": "string"}}},
    "Project": {"type": "object", "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}, "path": {"type": "string"},
        "created_at": {"type": "number"}, "result_count": {"type": "integer"},
        "running_count": {"type": "integer"}, "last_activity": NULLABLE_NUMBER}},
    "Result": {"type": "object", "properties": {
        "id": {"type": "integer"}, "project_id": {"type": "integer"}, "name": {"type": "string"},
        "path": {"type": "string"}, "status": {"type": "string", "nullable": True},
        "args": {"type": "object"},
        "last_values": {"type": "object", "description": 'last value per key; "NaN", "Infinity" or "-Infinity" '
                        "when it was not a finite number"},
        "keys": {"type": "array", "items": {"type": "string"}}, "entry_count": {"type": "integer"},
        "started_at": NULLABLE_NUMBER, "updated_at": {"type": "number"}, "elapsed_time": NULLABLE_NUMBER,
        "unregistered": {"type": "boolean"}, "ingest_error": {"type": "string", "nullable": True},
        "tensorboard": {"type": "boolean", "description": "read from TensorBoard event files (SummaryWriter); "
                        "with no job status it is read-only: commands are refused with 409"},
        "missing": {"type": "boolean", "description": "the result directory is gone from disk"},
        "end": {"type": "object", "nullable": True, "description": "why the run ended (null while it runs)",
                "properties": {
                    "reason": {"type": "string", "enum": ["finished", "command", "signal", "interrupted", "exception",
                                                          "heartbeat", "missing", "stopped"],
                               "description": "command: a stop command; signal: SIGTERM; exception: it raised "
                                              "(message names it); heartbeat: it went silent (SIGKILL, out of memory, "
                                              "its machine lost); missing: its directory went away"},
                    "message": {"type": "string", "nullable": True}, "iteration": {"type": "integer", "nullable": True},
                    "at": NULLABLE_NUMBER,
                    "traceback": {"type": "string", "nullable": True,
                                  "description": "GET /results/<id> only: a crash's traceback (its last 20,000 characters)"}}},
        "source": {"type": "string", "enum": ["file", "http"]},
        "tags": {"type": "array", "items": {"type": "string"},
                 "description": "the run's tags: set by the job (trainui.Run(tags=...)) until a user edits them"},
        "notes": {"type": "string", "description": "GET /results/<id> only: the run's markdown notes"},
        "notes_excerpt": {"type": "string", "description": "the notes' first non-blank line (at most 120 "
                          "characters), for a table"},
        "job_directory": {"type": "string", "nullable": True,
                          "description": "GET /results/<id>: a run shipped over HTTP: its folder on the job's machine"},
        "snapshots": {"type": "array", "description": "GET /results/<id> only", "items": {"type": "object", "properties": {
            "id": {"type": "integer"}, "name": {"type": "string"}, "iteration": {"type": "integer"},
            "size": {"type": "integer"}, "created_at": {"type": "number"},
            "location": {"type": "string", "enum": ["server", "job"],
                         "description": "job: a run shipped over HTTP keeps its snapshots on the job's machine (not "
                                        "uploaded); `host` and `job_path` say where, and there is no download"},
            "host": {"type": "string", "nullable": True}, "job_path": {"type": "string", "nullable": True}}}}}},
    "Series": {"type": "object", "properties": {
        "x": {"type": "array", "items": NULLABLE_NUMBER}, "y": {"type": "array", "items": NULLABLE_NUMBER},
        "total": {"type": "integer"}, "downsampled": {"type": "boolean"},
        "nonfinite": {"type": "object", "description": "points whose value is NaN or infinite (y is null there)",
                      "properties": {"x": {"type": "array", "items": NULLABLE_NUMBER},
                                     "value": {"type": "array", "items": {
                                         "type": "string", "enum": ["NaN", "Infinity", "-Infinity"]}}}}}},
    "Schedule": _fields(("key", "value"), key={"type": "string", "enum": ["iteration", "epoch"]},
                        value={"type": "integer", "minimum": 0, "maximum": INT64_MAX}),
    "Value": {"description": "a value trainui stores and serves back: text without NUL characters, a number from "
                             "-2^63 to 2^64-1, true, false, null, or arrays and objects of them (at most 64 levels)",
              "anyOf": [TEXT, {"type": "number", "minimum": -2**63, "maximum": 2**64 - 1},
                        {"type": "boolean", "nullable": True},
                        {"type": "array", "items": {"$ref": "#/components/schemas/Value"}},
                        VALUES]},
    "Command": {"type": "object", "properties": {
        "id": {"type": "integer"}, "uid": {"type": "string"}, "name": {"type": "string"},
        "body": {"type": "object"}, "schedule": {"type": "object", "nullable": True},
        "status": {"type": "string", "enum": ["PENDING", "SUCCESS", "FAILURE", "CANCELLED"]},
        "created_at": {"type": "number"}, "responded_at": NULLABLE_NUMBER,
        "response": {"type": "object", "nullable": True}, "iteration": {"type": "integer", "nullable": True},
        "epoch": {"type": "integer", "nullable": True}, "ranks": {"type": "integer", "nullable": True},
        "elapsed_time": {**NULLABLE_NUMBER, "description": "the run's elapsed_time when it was applied"}}},
    "Event": {"type": "object", "description": "something done to the run, at the iteration it took effect",
              "properties": {
                  "kind": {"type": "string", "description": "command: a command the job applied (its answer says "
                           "where); resume: a later process continued the run; automation: a rule fired (at the x "
                           "of the entry that set it off); other kinds may come (draw them as plain markers)"},
                  "id": {"type": "string", "description": "unique within the result, e.g. command-12, resume-0"},
                  "iteration": {"type": "integer", "nullable": True, "description": "null only for a rule's "
                                "firing on an epoch or elapsed_time axis"},
                  "epoch": {"type": "integer", "nullable": True},
                  "elapsed_time": {**NULLABLE_NUMBER, "description": "the run's elapsed_time then (null: not known, "
                                   "e.g. an answer of an older trainui)"},
                  "time": {**NULLABLE_NUMBER, "description": "when (Unix time)"},
                  "status": {"type": "string", "nullable": True, "description": "a command's: SUCCESS or FAILURE"},
                  "summary": {"type": "string", "description": "one line, e.g. 'lr 0.1 -> 0.01' (plain text)"},
                  "command_id": {"type": "integer", "nullable": True},
                  "details": {"type": "object", "description": "command: name, body, ranks, response (without "
                              "'hyperparams': GET /results/{result_id}/commands has them); automation: rule_id, rule, "
                              "reason, action, outcome, message, entry; resume: after "
                              "(the status it had), previous_iteration (where its log had reached)"}}},
    "CommandRecord": {"type": "object", "properties": {
        "uid": {"type": "string"}, "name": {"type": "string"}, "body": {"type": "object"},
        "schedule": {"type": "object", "nullable": True}, "created_at": {"type": "number"}}},
    "Batch": {"type": "object", "additionalProperties": False, "properties": {
        "log": {"type": "object", "required": ["first_entry", "entries"], "properties": {
            "first_entry": {"type": "integer", "minimum": 0, "maximum": INT64_MAX},
            "entries": {"type": "array", "items": {"type": "object"}, "maxItems": 100000}}},
        "args": {"type": "object"},
        "labels": {"type": "object", "description": "the job's .trainui/labels.json: tags and notes (a bad tag "
                   "is left out and shown as the run's ingest error)"},
        "status": {"type": "object", "description": "the job's status.json (fields of the wrong type are read as "
                   "their defaults)", "required": ["status"],
                   "properties": {"status": {"type": "string", "enum": list(protocol.JOB_STATUSES)}}},
        "snapshots": {"type": "array", "items": _fields(
            ("name", "iteration"),
            name={"type": "string", "maxLength": 1024, "pattern": protocol.SNAPSHOT_PATTERN.pattern},
            iteration=INT64, size=INT64, mtime={"type": "number"})},
        "answers": {"type": "array", "items": {"type": "object", "description": "a command outbox answer",
                                                "required": ["uid", "status"], "properties": {
                                                    "uid": {"type": "string"},
                                                    "status": {"type": "string", "enum": ["SUCCESS", "FAILURE"]}}}}}},
    "Rule": {"type": "object", "properties": {
        "id": {"type": "integer"}, "project_id": {"type": "integer"}, "name": {"type": "string"},
        "result_id": {"type": "integer", "nullable": True}, "condition": {"type": "object"},
        "action": {"type": "object"}, "cooldown": {"type": "object"},
        "max_firings": {"type": "integer", "nullable": True}, "enabled": {"type": "boolean"},
        "dry_run": {"type": "boolean"}, "created_at": {"type": "number"}, "updated_at": {"type": "number"}}},
    "Firing": {"type": "object", "properties": {
        "id": {"type": "integer"}, "rule_id": {"type": "integer"}, "rule": {"type": "string"},
        "result_id": {"type": "integer"}, "entry": {"type": "integer", "description": "the log entry that set it off"},
        "x": NULLABLE_NUMBER, "value": {**NULLABLE_NUMBER, "description": "null when not a finite number"},
        "reason": {"type": "string"}, "action": {"type": "string"},
        "outcome": {"type": "string", "enum": ["sent", "marked", "dry_run", "refused", "queued", "notified",
                                               "failed"]},
        "message": {"type": "string"}, "command_id": {"type": "integer", "nullable": True},
        "command_status": {"type": "string", "nullable": True}, "command_response": {"type": "object", "nullable": True},
        "command_iteration": {"type": "integer", "nullable": True}, "created_at": {"type": "number"}}},
    "ViewState": _described(_fields(
        runs={"type": "array", "nullable": True, "maxItems": 10000, "items": {"type": "integer", "minimum": 1,
                                                                          "maximum": INT64_MAX},
              "description": "only these results are charted (null: every one but `hide`)"},
        hide={"type": "array", "nullable": True, "maxItems": 10000,
              "items": {"type": "integer", "minimum": 1, "maximum": INT64_MAX}},
        pin={"type": "array", "maxItems": 10000, "items": {"type": "integer", "minimum": 1, "maximum": INT64_MAX}},
        q={**TEXT, "maxLength": 4000, "description": "the search box's query"},
        filters={"type": "object", "additionalProperties": False, "description": "column -> the column's filter",
                 "patternProperties": {NO_NUL: {**TEXT, "maxLength": 1000}}},
        group={**TEXT, "maxLength": 255, "nullable": True}, grouped={"type": "boolean"},
        charts={"type": "array", "maxItems": 100, "items": _fields(
            ("left",), left={"type": "array", "maxItems": 64, "items": {**TEXT, "maxLength": 255}},
            right={"type": "array", "maxItems": 64, "items": {**TEXT, "maxLength": 255}},
            zoom={"type": "array", "nullable": True, "maxItems": 2, "items": {"type": "number"},
                  "description": "the x range zoomed into: [low, high]"})},
        x={**TEXT, "maxLength": 255}, smoothing={"type": "number", "minimum": 0, "maximum": 0.999},
        logY={"type": "boolean"}, tab={"type": "string", "enum": ["charts", "compare", "images", "rules"]},
        metric={**TEXT, "maxLength": 255, "nullable": True},
        color={**TEXT, "maxLength": 255, "nullable": True, "description": "the arg run colours follow"},
        brush={"type": "object", "additionalProperties": False,
               "description": "the parallel coordinates' brush: axis key -> its ranges [low, high], in the axis's "
                              "units (log10 on a log axis, a category's index)",
               "patternProperties": {NO_NUL: {"type": "array", "maxItems": 16, "items": {
                   "type": "array", "maxItems": 2, "items": {"type": "number"}}}}}),
        "a project page's view, as its URL holds it (frontend/js/state/url.js); absent fields take their defaults"),
    "SavedView": {"type": "object", "properties": {
        "id": {"type": "integer"}, "project_id": {"type": "integer"}, "name": {"type": "string"},
        "created_at": {"type": "number"}, "updated_at": {"type": "number"},
        "state": _ref("ViewState")}},
    "Asset": {"type": "object", "properties": {
        "id": {"type": "integer"}, "tag": {"type": "string"}, "step": {"type": "integer"},
        "iteration": {"type": "integer", "nullable": True}, "url": {"type": "string"}}},
}


def _obj(**props) -> dict:
    return {"type": "object", "properties": props}


# A rule (trainui.store.rules.definition): every body this allows is a rule the store takes.
KEY = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": NO_NUL, "description": "a metric key"}
FINITE = {"type": "number", "minimum": -1e300, "maximum": 1e300}
HYPERPARAMS = {"type": "object", "minProperties": 1, "maxProperties": 32,
               "patternProperties": {"^[^\\x00]{1,255}$": {"type": "number", "minimum": 0, "maximum": 1e300}},
               "additionalProperties": False}


def _condition(kind: list, required: tuple = (), **props) -> dict:
    return _fields(("kind", "key", *required), kind={"type": "string", "enum": kind}, key=KEY, x=KEY, **props)


CONDITION = {"anyOf": [
    _condition(["nan"]),
    _condition(["above", "below"], ("threshold",), threshold=FINITE,
               count={"type": "integer", "minimum": 1, "maximum": 100000}),
    _condition(["spike"], ("factor",), factor={**FINITE, "minimum": 1.000001, "description": "more than 1"}),
    _condition(["spike"], ("zscore",), zscore={**FINITE, "minimum": 1e-9, "description": "more than 0"},
               window={"type": "integer", "minimum": 2, "maximum": 1000}),
    _condition(["plateau"], ("patience",), patience={"type": "integer", "minimum": 0, "maximum": 1000000},
               min_delta={**FINITE, "minimum": 0}, mode={"type": "string", "enum": ["min", "max"]}),
    _fields(("kind", "seconds"), kind={"type": "string", "enum": ["silent"]},
            seconds={"type": "number", "minimum": 1, "maximum": 1e8, "description": "a running job that wrote no new "
                     "entry for this long (hung)"}),
    _fields(("kind",), kind={"type": "string", "enum": ["crashed"]})],
    "description": "when the rule fires (conditions.py): nan, above/below a threshold for count points, a spike "
                   "(factor x the running minimum, or a z-score over a window), a plateau (as ReduceLROnPlateau); on the "
                   "run: silent (no new entry for seconds), crashed"}
ACTION = {"anyOf": [
    _fields(("kind",), kind={"type": "string", "enum": ["take_snapshot", "stop", "mark"]}),
    _fields(("kind", "set"), kind={"type": "string", "enum": ["adjust_hyperparams"]}, set=HYPERPARAMS,
            mode={"type": "string", "enum": ["scale", "hold"]}),
    _fields(("kind", "multiply"), kind={"type": "string", "enum": ["adjust_hyperparams"]},
            multiply={**HYPERPARAMS, "patternProperties": {"^[^\\x00]{1,255}$": {
                "type": "number", "minimum": 1e-12, "maximum": 1e300, "description": "a factor, more than 0"}}},
            mode={"type": "string", "enum": ["scale", "hold"]}),
    _fields(("kind", "name"), kind={"type": "string", "enum": ["command"]}, name=NAME, body=VALUES),
    _fields(("kind", "url"), kind={"type": "string", "enum": ["notify"]},
            url={"type": "string", "maxLength": 2048, "pattern": "^https?://[^\\s/?#@\\x00]+([/?#][^\\s\\x00]*)?$",
                 "description": "an incoming webhook (Slack, Discord, Mattermost): a secret, shown back masked; "
                                "needed when a rule is made, kept when a change leaves it out"})],
    "description": "what the rule does: a command to the run (mark: only recorded)"}


def _without_required_url(action: dict) -> dict:
    """A change may leave a webhook's URL out (the stored one is kept)."""
    return {**action, "anyOf": [{**option, "required": [r for r in option["required"] if r != "url"]}
                                for option in action["anyOf"]]}


def _rule_fields(required: tuple = ()) -> dict:
    action = ACTION if required else _without_required_url(ACTION)
    return _fields(required, name={**NAME, "maxLength": 100},
                   result_id={"type": "integer", "minimum": 1, "maximum": INT64_MAX, "nullable": True,
                              "description": "one run of the project; null: every run"},
                   condition=CONDITION, action=action,
                   cooldown=_fields((), iterations={"type": "integer", "minimum": 0, "maximum": 10**12},
                                    seconds={"type": "number", "minimum": 0, "maximum": 1e300}),
                   max_firings={"type": "integer", "minimum": 1, "maximum": 1000000, "nullable": True},
                   enabled={"type": "boolean"}, dry_run={"type": "boolean"})


PATHS = {
    "/projects": {
        "get": {"summary": "List projects", "responses": _ok(_obj(projects={"type": "array", "items": _ref("Project")}))},
        "post": {"summary": "Register a project directory",
                 "requestBody": _body(_fields(("path",), path={**NAME, "maxLength": 4096, "description": "a folder "
                                              "on the server's machine: not blank, without NUL characters"},
                                              name={"anyOf": [NAME, {"type": "string", "maxLength": 0,
                                                                     "nullable": True}],
                                                    "description": "a name, or empty or null: the folder's name"})),
                 "responses": _ok(_obj(project=_ref("Project")), "201")}},
    "/projects/{project_id}": {
        "parameters": [_id("project_id")],
        "get": {"summary": "One project", "responses": _ok(_obj(project=_ref("Project")))},
        "patch": {"summary": "Rename a project", "requestBody": _body(_fields(("name",), name=NAME)),
                  "responses": _ok(_obj(project=_ref("Project")))},
        "delete": {"summary": "Unregister a project (files stay)", "responses": {"204": {"description": "deleted"},
                                                                                 **ERROR}}},
    "/projects/{project_id}/results": {
        "parameters": [_id("project_id")],
        "get": {"summary": "Results of a project",
                "parameters": [_q("include_unregistered", {"type": "boolean"}, "true or false (1 or 0)")],
                "responses": _ok(_obj(results={"type": "array", "items": _ref("Result")}))}},
    "/projects/{project_id}/views": {
        "parameters": [_id("project_id")],
        "get": {"summary": "Saved views of a project, by name (without their states)",
                "responses": _ok(_obj(views={"type": "array", "items": _ref("SavedView")}))},
        "post": {"summary": "Save a view of the project page under a name (unique in the project; 409 when taken, "
                            "or when the project holds 200 views already; 422 when the state is over 65,536 "
                            "characters of JSON)",
                 "requestBody": _body(_fields(("name", "state"), name=NAME, state=_ref("ViewState"))),
                 "responses": _ok(_obj(view=_ref("SavedView")), "201")}},
    "/projects/{project_id}/views/{view_id}": {
        "parameters": [_id("project_id"), _id("view_id")],
        "get": {"summary": "One saved view with its state", "responses": _ok(_obj(view=_ref("SavedView")))},
        "patch": {"summary": "Rename a saved view and/or replace its state",
                  "requestBody": _body(_fields(name=NAME, state=_ref("ViewState"))),
                  "responses": _ok(_obj(view=_ref("SavedView")))},
        "delete": {"summary": "Delete a saved view", "responses": {"204": {"description": "deleted"}, **ERROR}}},
    "/results/{result_id}": {
        "parameters": [_id("result_id")],
        "get": {"summary": "One result with job details", "responses": _ok(_obj(result=_ref("Result")))},
        "patch": {"summary": "Rename, unregister or restore a result, or set its tags (the whole list) or notes; "
                             "a user's tags or notes win over the job's from then on",
                  "requestBody": _body(_fields(name=NAME, unregistered={"type": "boolean"}, tags=TAGS, notes=NOTES)),
                  "responses": _ok(_obj(result=_ref("Result")))},
        "delete": {"summary": "Delete a result and everything stored for it (409 while it runs, or while its "
                              "directory would be found again: pass files=true, or unregister it instead)",
                   "parameters": [_q("files", {"type": "boolean"}, "also delete its directory (only one inside its "
                                                                   "project's directory, links resolved)"),
                                  _q("force", {"type": "boolean"}, "delete it even while its job runs")],
                   "responses": _ok(_obj(deleted=_obj(id={"type": "integer"}, name={"type": "string"},
                                                      path={"type": "string"},
                                                      files_deleted={"type": "boolean"},
                                                      files_left={"type": "string"})))}},
    "/results/{result_id}/tags": {
        "parameters": [_id("result_id")],
        "post": {"summary": "Add and remove tags in one step (adding a tag the run has, or removing one it "
                            "lacks, is no error); 422 when a tag breaks the rules or the run would hold more "
                            f"than {protocol.MAX_TAGS}",
                 "requestBody": _body(_fields(add=TAGS, remove=TAGS)),
                 "responses": _ok(_obj(result=_ref("Result")))}},
    "/results/{result_id}/logs": {
        "parameters": [_id("result_id")],
        "get": {"summary": "Metric series, min/max downsampled to at most max_points per key",
                "parameters": [_q("keys", {"type": "string"}, "comma-separated keys; default all"),
                               _q("x", {"type": "string"}, "numeric x key; default iteration"),
                               _q("max_points", {"type": "integer", "minimum": 2, "maximum": 100000}),
                               _q("x_min", {"type": "number"}), _q("x_max", {"type": "number"}),
                               _q("since", {"type": "integer", "minimum": 0}, "cursor of a previous answer")],
                "responses": _ok(_obj(result_id={"type": "integer"}, x={"type": "string"},
                                      cursor={"type": "integer"}, incremental={"type": "boolean"},
                                      series={"type": "object", "additionalProperties": _ref("Series")}))}},
    "/logs": {
        "get": {"summary": "Metric series of several results in one request (a page charting many live runs)",
                "parameters": [_q("results", {"type": "string", "pattern": BATCH_RESULTS,
                                              "description": "at most 500 comma-separated result ids, each "
                                                             "optionally with ':<cursor>', e.g. 12,13:340"},
                                  "comma-separated result ids, each optionally with ':<cursor>' of a previous "
                                  "answer, e.g. 12,13:340 (at most 500)", required=True),
                               _q("keys", {"type": "string"}, "comma-separated keys; default all"),
                               _q("x", {"type": "string"}, "numeric x key; default iteration"),
                               _q("max_points", {"type": "integer", "minimum": 2, "maximum": 100000}),
                               _q("x_min", {"type": "number"}), _q("x_max", {"type": "number"})],
                "responses": _ok(_obj(x={"type": "string"},
                                      results={"type": "object", "description": "per result id, the answer of "
                                               "/results/{result_id}/logs without result_id and x",
                                               "additionalProperties": _obj(
                                                   cursor={"type": "integer"}, incremental={"type": "boolean"},
                                                   series={"type": "object", "additionalProperties": _ref("Series")})},
                                      missing={"type": "array", "items": {"type": "integer"},
                                               "description": "requested ids that name no result"})) | {
                    "304": {"description": "not modified: a full answer (no cursors) carries an ETag of its "
                                           "results' entry counts; If-None-Match with it answers 304 while "
                                           "nothing was written"}}}},
    "/results/{result_id}/console": {
        "parameters": [_id("result_id")],
        "get": {"summary": "What the job printed (stdout and stderr, .trainui/console.log): a byte range, read from "
                           "disk (never ingested); follow a live run with next_offset. 422 when the file is not a "
                           "regular file inside the result directory (a run shipped over HTTP: the console its job shipped)",
                "parameters": [_q("offset", {"type": "integer", "minimum": 0}, "first byte; default 0 (beyond the "
                                  "end: the file was rotated, the answer starts again at 0 with reset true)"),
                               _q("limit", {"type": "integer", "minimum": 1, "maximum": 1048576},
                                  "bytes at most; default 65536"),
                               _q("tail", {"type": "integer", "minimum": 1, "maximum": 10000},
                                  "the last N lines instead of a range (from the last MiB; with offset: of "
                                  "what follows it)"),
                               _q("rank", {"type": "integer", "minimum": 0, "maximum": 999999}, "whose console (ranks > 0 keep one "
                                  "with Run(console=\"all\")); default 0")],
                "responses": _ok(_obj(
                    text={"type": "string", "description": "the bytes as UTF-8, invalid bytes replaced; a range "
                                                           "never ends inside a character"},
                    offset={"type": "integer", "description": "where text starts"},
                    next_offset={"type": "integer", "description": "where the next range starts"},
                    size={"type": "integer"}, exists={"type": "boolean", "description": "false: no console (yet)"},
                    reset={"type": "boolean"}, rank={"type": "integer"},
                    ranks={"type": "array", "items": {"type": "integer"}, "description": "ranks with a console"}))},
        "post": {"summary": "Ship a piece of a remote run's console (its uploader does): UTF-8 text without NUL, "
                            "at most 1 MiB; exactly once by offset (a piece partly held already adds only its new "
                            "tail; one beyond what the server holds is a 409 gap with the count to send from)",
                 "parameters": [_q("offset", {**INT64, "minimum": 0}, "where the piece starts in the rank's console "
                                   "stream (every byte shipped for that rank before it)", required=True),
                                _q("rank", {"type": "integer", "minimum": 0, "maximum": 999999}, "default 0")],
                 "requestBody": {"required": True, "content": {"text/plain": {"schema": {"type": "string"}}}},
                 "responses": {**_ok(_obj(rank={"type": "integer"}, received={
                     "type": "integer", "description": "bytes of the rank's console the server holds"})),
                     "409": {"description": "a gap: send from 'received' on (or the run takes no uploads)",
                             "content": {"application/json": {"schema": _obj(
                                 error={"type": "string"}, message={"type": "string"},
                                 received={"type": "integer"})}}}}}},
    "/results/{result_id}/commands": {
        "parameters": [_id("result_id")],
        "get": {"summary": "Commands of a result",
                "responses": _ok(_obj(commands={"type": "array", "items": _ref("Command")}))},
        "post": {"summary": "Send a command to a running job",
                 "requestBody": _body(_fields(("name",), name=NAME, schedule={**_ref("Schedule")},
                                              body=VALUES)),
                 "responses": _ok(_obj(command=_ref("Command")), "201")}},
    "/results/{result_id}/events": {
        "parameters": [_id("result_id")],
        "get": {"summary": "What was done to the run, for markers on its curves: each command its job applied "
                           "(SUCCESS or FAILURE, at the iteration of its answer), each resume and each firing of "
                           "an automation rule, by iteration",
                "responses": _ok(_obj(events={"type": "array", "items": _ref("Event")}))}},
    "/assets": {
        "get": {"summary": "One image tag across several results in one request: the tags they logged and, "
                           "for the tag (default: the first), each result's images by step",
                "parameters": [_q("results", {"type": "string", "pattern": ACROSS_RESULTS},
                                  f"at most {MAX_ACROSS} comma-separated result ids, e.g. 12,13", required=True),
                               _q("tag", {"type": "string"}, "an image tag; default: the first the results logged")],
                "responses": _ok(_obj(tags={"type": "array", "items": {"type": "string"}},
                                      tag={"type": "string", "nullable": True},
                                      results={"type": "object", "description": "per result id, its images of the "
                                               "tag, by step", "additionalProperties": {
                                                   "type": "array", "items": _ref("Asset")}},
                                      missing={"type": "array", "items": {"type": "integer"},
                                               "description": "requested ids that name no result"}))}},
    "/results/{result_id}/assets": {
        "parameters": [_id("result_id")],
        "get": {"summary": "Images recorded by the job", "parameters": [_q("tag", {"type": "string"})],
                "responses": _ok(_obj(assets={"type": "array", "items": _ref("Asset")}))},
        "post": {"summary": "Upload an image of a remote run (PNG; idempotent on tag and step)",
                 "parameters": [_q("tag", {"type": "string", "pattern": NOT_BLANK,
                                           "description": "a tag: not blank (cut at 255 characters)"}, required=True),
                                _q("step", {**INT64, "minimum": 0}, required=True),
                                _q("iteration", INT64), _q("epoch", INT64)],
                 "requestBody": {"required": True, "content": {"image/png": {"schema": {"type": "string",
                                                                                      "format": "binary"}}}},
                 "responses": _ok(_obj(asset=_ref("Asset")), "201")}},
    "/assets/{asset_id}/file": {
        "parameters": [_id("asset_id")],
        "get": {"summary": "An asset's file", "responses": {"200": {"description": "the file"}, **ERROR}}},
    "/runs": {
        "post": {"summary": "Open a run shipped over HTTP by a remote job (idempotent on project + run_uid)",
                 "requestBody": _body(_fields(("project", "run_uid"), project=NAME,
                                              run_uid={"type": "string", "pattern": "^[A-Za-z0-9_-]{8,64}$"},
                                              name={**TEXT, "nullable": True}, host={**TEXT, "nullable": True},
                                              path={**TEXT, "nullable": True})),
                 "responses": {**_ok(_obj(result=_ref("Result")), "201"), "200": {
                     "description": "the run was open already", "content": {"application/json": {
                         "schema": _obj(result=_ref("Result"))}}}}}},
    "/results/{result_id}/batches": {
        "parameters": [_id("result_id")],
        "post": {"summary": "Ship what is new of a remote run: entries from an index (each applied once), args, "
                            "status, snapshot records, command answers",
                 "requestBody": _body(_ref("Batch")),
                 "responses": _ok(_obj(entry_count={"type": "integer"}, status={"type": "string", "nullable": True},
                                       pending={"type": "integer"}))}},
    "/results/{result_id}/commands/pending": {
        "parameters": [_id("result_id")],
        "get": {"summary": "Long poll of a remote run's pending commands (for its uploader)",
                "parameters": [_q("wait", {"type": "number", "minimum": 0, "maximum": 30}, "seconds to wait for one")],
                "responses": _ok(_obj(commands={"type": "array", "items": _ref("CommandRecord")},
                                      retry_after={"type": "number"}))}},
    "/stream": {
        "get": {"summary": "Server-sent events telling a page that something changed (events 'result' and "
                           "'command'); the page then fetches what through the endpoints above. Give exactly one "
                           "of project or result; 503 with Retry-After when too many streams are open",
                "parameters": [_q("project", {"type": "integer", "minimum": 1}, "a project page's stream"),
                               _q("result", {"type": "integer", "minimum": 1}, "a result page's stream"),
                               _q("since", {"type": "string"}, "the cursor to resume from (also Last-Event-ID)")],
                "responses": {"200": {"description": "the event stream",
                                      "content": {"text/event-stream": {"schema": {"type": "string"}}}},
                              "default": {"description": "error",
                                          "content": {"application/json": {"schema": _ref("Error")}}}}}},
    "/projects/{project_id}/rules": {
        "parameters": [_id("project_id")],
        "get": {"summary": "Automations of a project", "responses": _ok(_obj(rules={"type": "array",
                                                                                   "items": _ref("Rule")}))},
        "post": {"summary": "Add a rule: it watches the entries that arrive from now on",
                 "requestBody": _body(_rule_fields(("name", "condition", "action"))),
                 "responses": _ok(_obj(rule=_ref("Rule")), "201")}},
    "/rules/presets": {
        "get": {"summary": "Ready-made rules: post one's definition as it is, or changed",
                "responses": _ok(_obj(presets={"type": "array", "items": _obj(
                    id={"type": "string"}, title={"type": "string"}, description={"type": "string"},
                    key={"type": "string", "nullable": True}, definition={"type": "object"})}))}},
    "/projects/{project_id}/rules/backtest": {
        "parameters": [_id("project_id")],
        "post": {"summary": "Where a rule would have fired on the history of the project's runs (nothing is stored)",
                 "requestBody": _body(_rule_fields(("condition", "action"))),
                 "responses": _ok(_obj(
                     runs={"type": "array", "items": _obj(
                         result_id={"type": "integer"}, name={"type": "string"}, points={"type": "integer"},
                         approximate={"type": "boolean", "description": "the series was read downsampled"},
                         firings={"type": "array", "items": _obj(x=NULLABLE_NUMBER, value=NULLABLE_NUMBER,
                                                                 reason={"type": "string"})})},
                     fired_runs={"type": "integer"}, firings={"type": "integer"}, truncated={"type": "boolean"},
                     note={"type": "string"}))}},
    "/rules/{rule_id}": {
        "parameters": [_id("rule_id")],
        "get": {"summary": "One rule", "responses": _ok(_obj(rule=_ref("Rule")))},
        "patch": {"summary": "Change a rule (the fields given; enable, disable, rename ...)",
                  "requestBody": _body(_rule_fields()), "responses": _ok(_obj(rule=_ref("Rule")))},
        "delete": {"summary": "Delete a rule and its firings", "responses": {"204": {"description": "deleted"},
                                                                              **ERROR}}},
    "/rules/{rule_id}/firings": {
        "parameters": [_id("rule_id")],
        "get": {"summary": "Where a rule fired, oldest first",
                "responses": _ok(_obj(firings={"type": "array", "items": _ref("Firing")}))}},
    "/results/{result_id}/firings": {
        "parameters": [_id("result_id")],
        "get": {"summary": "The rules that fired on a run, oldest first",
                "responses": _ok(_obj(firings={"type": "array", "items": _ref("Firing")}))}},
    "/snapshots/{snapshot_id}/file": {
        "parameters": [_id("snapshot_id")],
        "get": {"summary": "Download a snapshot", "responses": {"200": {"description": "the file"}, **ERROR}}},
}


def request_schema(rule: str, method: str) -> dict | None:
    """The documented body of ``method`` on the Flask ``rule`` (e.g. ``/projects/<id:project_id>``)."""
    return REQUEST_SCHEMAS.get((_openapi_path(rule), method.lower()))


def query_parameters(rule: str, method: str) -> list[dict]:
    """The documented query parameters of ``method`` on the Flask ``rule``."""
    operation = PATHS.get(_openapi_path(rule), {}).get(method.lower(), {})
    return [p for p in operation.get("parameters", ()) if p["in"] == "query"]


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule)


REQUEST_SCHEMAS = {(path, method): operation["requestBody"]["content"]["application/json"]["schema"]
                   for path, item in PATHS.items() for method, operation in item.items()
                   if isinstance(operation, dict)
                   and "application/json" in operation.get("requestBody", {}).get("content", {})}


@api.get("/openapi.json")
def openapi():
    return json_response({
        "openapi": "3.0.3",
        "info": {"title": "trainui API", "version": "1"},
        "servers": [{"url": request.script_root + "/api/v1"}],
        "paths": PATHS,
        "components": {"schemas": SCHEMAS, "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}}},
        "security": [{"token": []}, {}],
    })
