"""Every error becomes JSON of one shape under /api; the status code comes from the error type: the
store's errors are mapped to HTTP here, in one place, and the web's own refusals carry theirs."""
from __future__ import annotations

import logging

from flask import Flask, request
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

from ..store import Conflict, Invalid, NotAllowed, NotFound, SchemaOutOfDate, StoreError
from .pages import app_page
from .responses import error_response

log = logging.getLogger("trainui.web")

STATUS_OF = {NotFound: 404, Conflict: 409, Invalid: 422, NotAllowed: 403, SchemaOutOfDate: 503}
HTTP_NAMES = {400: "bad_request", 401: "unauthorized", 404: "not_found", 405: "method_not_allowed",
              409: "conflict", 413: "too_large", 415: "unsupported_media_type", 422: "unprocessable"}


class HTTPError(Exception):
    """A request refused by the web layer itself, before the store is asked; not a store error."""

    status, code = 400, "bad_request"


class BadRequest(HTTPError):
    """A request the API cannot parse (wrong query parameter, body that is not a JSON object)."""


class Forbidden(HTTPError):
    """The request's token may not do this (a viewer posting, a job token outside its project)."""

    status, code = 403, "forbidden"


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(StoreError)
    def store_error(error: StoreError):
        return error_response(STATUS_OF.get(type(error), 400), error.code, str(error))

    @app.errorhandler(HTTPError)
    def refused(error: HTTPError):
        return error_response(error.status, error.code, str(error))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if not request.path.startswith("/api/"):
            if error.code == 404 and request.method == "GET" and request.accept_mimetypes.accept_html \
                    and not request.path.startswith("/static/"):
                return app_page(404)  # the app's own page, not the framework's
            return error
        code = error.code or 500
        response = error_response(code, HTTP_NAMES.get(code, "error"), error.description or error.name)
        if getattr(error, "valid_methods", None):  # a 405 says which methods the URL takes (RFC 9110)
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @app.errorhandler(IntegrityError)
    def concurrent_write(error: IntegrityError):
        log.info("a concurrent write won: %s", str(error).splitlines()[0][:200])
        return error_response(409, "conflict", "another request changed the same thing at the same time; "
                                               "reload and try again")

    @app.errorhandler(OperationalError)
    def database_unavailable(error: OperationalError):
        log.warning("database busy or unavailable: %s", str(error).splitlines()[0][:200])
        return error_response(503, "unavailable", "the database is busy or unavailable; try again")

    @app.errorhandler(DBAPIError)
    def database_error(error: DBAPIError):
        if error.connection_invalidated:
            return database_unavailable(error)
        log.exception("database error on %s %s", request.method, request.path)
        return error_response(500, "internal", "unexpected database error; see the server log")

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        log.exception("unexpected error on %s %s", request.method, request.path)
        return error_response(500, "internal", "unexpected server error; see the server log")
