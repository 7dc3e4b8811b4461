"""How large a request body may be, per endpoint, checked before anything reads it.

Without a limit a 900 MB ``POST /runs`` cost 2.85 GB of memory, even with a token that was then
refused. Two layers: the HTTP server (waitress, cli/server.py) refuses a body beyond ``HARD_LIMIT`` as
soon as its Content-Length arrives (a chunked one once it passes), before any of it is kept; below
that, each endpoint's own limit answers 413 in the API's JSON shape, naming the limit, before the
body is parsed. (Waitress keeps a body it accepts in a temporary file beyond 512 kB, not in memory.)
"""
from __future__ import annotations

from flask import Flask, request
from werkzeug.exceptions import RequestEntityTooLarge

from .responses import error_response

MB = 1024 * 1024
DEFAULT_LIMIT = 1 * MB  # every JSON body of the API (a command's body is at most 64,000 characters)
LIMITS = {  # endpoint -> (bytes, what to do about it)
    "api.post_batch": (8 * MB, "send fewer entries at a time"),
    "api.post_asset": (10 * MB, "an image is at most that large"),
    "api.post_console": (1 * MB, "send the console in smaller pieces"),
}
HARD_LIMIT = 16 * MB  # waitress's max_request_body_size: above every endpoint's limit


def body_limit(endpoint: str | None) -> tuple[int, str]:
    return LIMITS.get(endpoint or "", (DEFAULT_LIMIT, "this endpoint takes small JSON bodies only"))


def install_body_limits(app: Flask) -> None:
    app.config["MAX_CONTENT_LENGTH"] = max(limit for limit, _ in LIMITS.values())

    @app.before_request
    def refuse_large_bodies():
        limit, _ = body_limit(request.endpoint)
        request.max_content_length = limit  # also bounds a body whose length was not announced (chunked)
        if (request.content_length or 0) > limit:
            return too_large(f"the request body is {request.content_length} bytes")
        return None

    @app.errorhandler(RequestEntityTooLarge)
    def chunked_too_large(_error):  # a chunked body read past the limit
        return too_large("the request body is larger than that")


def too_large(what: str):
    limit, advice = body_limit(request.endpoint)
    message = f"{what}; at most {limit} bytes ({_mb(limit)}) here: {advice}"
    if request.path.startswith("/api/"):
        return error_response(413, "too_large", message)
    return message, 413, {"Content-Type": "text/plain; charset=utf-8"}


def _mb(n: int) -> str:
    return f"{n // MB} MB" if n % MB == 0 else f"{n} bytes"
