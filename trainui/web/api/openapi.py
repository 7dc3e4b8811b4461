"""The OpenAPI 3 description of the API, served at /api/v1/openapi.json."""
from __future__ import annotations

from flask import request

from ..responses import json_response
from . import api


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _ok(schema: dict, code: str = "200") -> dict:
    return {code: {"description": "OK", "content": {"application/json": {"schema": schema}}},
            "default": {"description": "error", "content": {"application/json": {"schema": _ref("Error")}}}}


def _id(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}


def _q(name: str, schema: dict, description: str = "") -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def _body(schema: dict) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


NULLABLE_NUMBER = {"type": "number", "nullable": True}
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
    "Schedule": {"type": "object", "required": ["key", "value"], "properties": {
        "key": {"type": "string", "enum": ["iteration", "epoch"]}, "value": {"type": "integer", "minimum": 0}}},
    "Command": {"type": "object", "properties": {
        "id": {"type": "integer"}, "uid": {"type": "string"}, "name": {"type": "string"},
        "body": {"type": "object"}, "schedule": {"type": "object", "nullable": True},
        "status": {"type": "string", "enum": ["PENDING", "SUCCESS", "FAILURE", "CANCELLED"]},
        "created_at": {"type": "number"}, "responded_at": NULLABLE_NUMBER,
        "response": {"type": "object", "nullable": True}, "iteration": {"type": "integer", "nullable": True},
        "epoch": {"type": "integer", "nullable": True}, "ranks": {"type": "integer", "nullable": True}}},
    "CommandRecord": {"type": "object", "properties": {
        "uid": {"type": "string"}, "name": {"type": "string"}, "body": {"type": "object"},
        "schedule": {"type": "object", "nullable": True}, "created_at": {"type": "number"}}},
    "Batch": {"type": "object", "additionalProperties": False, "properties": {
        "log": {"type": "object", "required": ["first_entry", "entries"], "properties": {
            "first_entry": {"type": "integer", "minimum": 0},
            "entries": {"type": "array", "items": {"type": "object"}, "maxItems": 100000}}},
        "args": {"type": "object"},
        "status": {"type": "object", "description": "the job's status.json"},
        "snapshots": {"type": "array", "items": {"type": "object", "required": ["name", "iteration"], "properties": {
            "name": {"type": "string"}, "iteration": {"type": "integer"}, "size": {"type": "integer"},
            "mtime": {"type": "number"}}}},
        "answers": {"type": "array", "items": {"type": "object", "description": "a command outbox answer"}}}},
    "Asset": {"type": "object", "properties": {
        "id": {"type": "integer"}, "tag": {"type": "string"}, "step": {"type": "integer"},
        "iteration": {"type": "integer", "nullable": True}, "url": {"type": "string"}}},
}


def _obj(**props) -> dict:
    return {"type": "object", "properties": props}


PATHS = {
    "/projects": {
        "get": {"summary": "List projects", "responses": _ok(_obj(projects={"type": "array", "items": _ref("Project")}))},
        "post": {"summary": "Register a project directory",
                 "requestBody": _body({"type": "object", "required": ["path"], "properties": {
                     "path": {"type": "string"}, "name": {"type": "string"}}}),
                 "responses": _ok(_obj(project=_ref("Project")), "201")}},
    "/projects/{project_id}": {
        "parameters": [_id("project_id")],
        "get": {"summary": "One project", "responses": _ok(_obj(project=_ref("Project")))},
        "patch": {"summary": "Rename a project", "requestBody": _body(_obj(name={"type": "string"})),
                  "responses": _ok(_obj(project=_ref("Project")))},
        "delete": {"summary": "Unregister a project (files stay)", "responses": {"204": {"description": "deleted"}}}},
    "/projects/{project_id}/results": {
        "parameters": [_id("project_id")],
        "get": {"summary": "Results of a project", "parameters": [_q("include_unregistered", {"type": "boolean"})],
                "responses": _ok(_obj(results={"type": "array", "items": _ref("Result")}))}},
    "/results/{result_id}": {
        "parameters": [_id("result_id")],
        "get": {"summary": "One result with job details", "responses": _ok(_obj(result=_ref("Result")))},
        "patch": {"summary": "Rename, unregister or restore a result",
                  "requestBody": _body(_obj(name={"type": "string"}, unregistered={"type": "boolean"})),
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
                "parameters": [_q("results", {"type": "string"}, "comma-separated result ids, each optionally with "
                                  "':<cursor>' of a previous answer, e.g. 12,13:340 (at most 500)"),
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
                           "regular file inside the result directory; 404 for a run shipped over HTTP",
                "parameters": [_q("offset", {"type": "integer", "minimum": 0}, "first byte; default 0 (beyond the "
                                  "end: the file was rotated, the answer starts again at 0 with reset true)"),
                               _q("limit", {"type": "integer", "minimum": 1, "maximum": 1048576},
                                  "bytes at most; default 65536"),
                               _q("tail", {"type": "integer", "minimum": 1, "maximum": 10000},
                                  "the last N lines instead of a range (from the last MiB)"),
                               _q("rank", {"type": "integer", "minimum": 0}, "whose console (ranks > 0 keep one "
                                  "with Run(console=\"all\")); default 0")],
                "responses": _ok(_obj(
                    text={"type": "string", "description": "the bytes as UTF-8, invalid bytes replaced; a range "
                                                           "never ends inside a character"},
                    offset={"type": "integer", "description": "where text starts"},
                    next_offset={"type": "integer", "description": "where the next range starts"},
                    size={"type": "integer"}, exists={"type": "boolean", "description": "false: no console (yet)"},
                    reset={"type": "boolean"}, rank={"type": "integer"},
                    ranks={"type": "array", "items": {"type": "integer"}, "description": "ranks with a console"}))}},
    "/results/{result_id}/commands": {
        "parameters": [_id("result_id")],
        "get": {"summary": "Commands of a result",
                "responses": _ok(_obj(commands={"type": "array", "items": _ref("Command")}))},
        "post": {"summary": "Send a command to a running job",
                 "requestBody": _body({"type": "object", "required": ["name"], "properties": {
                     "name": {"type": "string"}, "body": {"type": "object"}, "schedule": _ref("Schedule")}}),
                 "responses": _ok(_obj(command=_ref("Command")), "201")}},
    "/results/{result_id}/assets": {
        "parameters": [_id("result_id")],
        "get": {"summary": "Images recorded by the job", "parameters": [_q("tag", {"type": "string"})],
                "responses": _ok(_obj(assets={"type": "array", "items": _ref("Asset")}))},
        "post": {"summary": "Upload an image of a remote run (PNG; idempotent on tag and step)",
                 "parameters": [{**_q("tag", {"type": "string", "minLength": 1}), "required": True},
                                {**_q("step", {"type": "integer", "minimum": 0}), "required": True},
                                _q("iteration", {"type": "integer"}), _q("epoch", {"type": "integer"})],
                 "requestBody": {"required": True, "content": {"image/png": {"schema": {"type": "string",
                                                                                      "format": "binary"}}}},
                 "responses": _ok(_obj(asset=_ref("Asset")), "201")}},
    "/assets/{asset_id}/file": {
        "parameters": [_id("asset_id")],
        "get": {"summary": "An asset's file", "responses": {"200": {"description": "the file"},
                                                           "404": {"description": "not found"}}}},
    "/runs": {
        "post": {"summary": "Open a run shipped over HTTP by a remote job (idempotent on project + run_uid)",
                 "requestBody": _body({"type": "object", "required": ["project", "run_uid"], "properties": {
                     "project": {"type": "string"}, "run_uid": {"type": "string", "pattern": "^[A-Za-z0-9_-]{8,64}$"},
                     "name": {"type": "string"}, "host": {"type": "string"}, "path": {"type": "string"}}}),
                 "responses": _ok(_obj(result=_ref("Result")), "201")}},
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
    "/snapshots/{snapshot_id}/file": {
        "parameters": [_id("snapshot_id")],
        "get": {"summary": "Download a snapshot", "responses": {"200": {"description": "the file"},
                                                               "404": {"description": "not found"}}}},
}


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
