"""REST API v1: one blueprint, one module per resource."""
from flask import Blueprint

api = Blueprint("api", __name__)

from . import (assets, commands, console, console_upload, events, logs, openapi, projects, results,  # noqa: E402,F401
               rules, runs, saved_views, stream)  # (routes register on import)
from .params import check_documented_query, reject_nul_in_query  # noqa: E402

api.before_request(reject_nul_in_query)
api.before_request(check_documented_query)
