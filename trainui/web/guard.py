"""The door: what every request must show before the app sees it.

Any web page the user visits can make the browser send requests to a server on loopback. DNS
rebinding lets such a page read the answers too, under its own host name; a plain form lets it
post. So, as Jupyter and MLflow do, the server answers only requests whose ``Host`` is a name it
was started for, and refuses state-changing requests that a browser sent from another origin.
The reverse proxy's ``X-Forwarded-Prefix`` (it becomes the page's base URL) must be a plain path.
"""
from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
PREFIX = re.compile(r"^(/[A-Za-z0-9._~-]+)*/?$")


HOST = re.compile(r"^(?:\[(?P<ip6>[0-9a-f:.]+)\]|(?P<name>[a-z0-9._-]+))(?::\d{1,5})?$")


def host_name(value: str) -> str | None:
    """'localhost:5000' -> 'localhost'; '[::1]:5000' -> '::1'; lower case. None when ``value`` is
    not a host and port at all: '[::1]evil.com' must not pass for '::1'."""
    match = HOST.match(value.strip().lower())
    if match is None:
        return None
    return match.group("ip6") or match.group("name")


class RequestGuard:
    """WSGI middleware, outermost: it sees the Host and Origin the client really sent."""

    def __init__(self, app, accepted_hosts: tuple[str, ...] | None, allowed_origins: tuple[str, ...] = ()):
        self.app = app
        self.accepted = None if accepted_hosts is None else set(accepted_hosts)
        self.allowed_origins = set(allowed_origins)

    def __call__(self, environ, start_response):
        host = host_name(environ.get("HTTP_HOST") or environ.get("SERVER_NAME", ""))
        if host is None:
            return _refuse(start_response, environ, "bad_request", "the Host header is not a host name and port",
                           status="400 Bad Request")
        if self.accepted is not None and host not in self.accepted:
            return _refuse(start_response, environ, "forbidden_host",
                           f"this server does not answer to the host name {host!r}; start it with "
                           "--allowed-hosts NAME to allow it")
        if environ.get("REQUEST_METHOD", "GET").upper() not in SAFE_METHODS:
            problem = self._cross_site(environ, host)
            if problem:
                return _refuse(start_response, environ, "forbidden_origin", problem)
        prefix = environ.get("HTTP_X_FORWARDED_PREFIX")
        if prefix is not None and not PREFIX.match(prefix):
            return _refuse(start_response, environ, "bad_request",
                           "X-Forwarded-Prefix must be a plain path such as /trainui", status="400 Bad Request")
        return self.app(environ, start_response)

    def _cross_site(self, environ, host: str) -> str | None:
        """A browser names the page's origin; it must be this server's own (same host and port),
        or a host name the user allowed with --allowed-hosts."""
        origin = environ.get("HTTP_ORIGIN")
        if origin:
            netloc = urlsplit(origin).netloc.lower() if origin != "null" else ""
            own = (environ.get("HTTP_HOST") or "").strip().lower()
            if netloc != own and host_name(netloc) not in self.allowed_origins:
                return f"requests that change something are not accepted from another site ({origin[:100]})"
        if environ.get("HTTP_SEC_FETCH_SITE") == "cross-site":
            return "requests that change something are not accepted from another site"
        return None


def _refuse(start_response, environ, error: str, message: str, status: str = "403 Forbidden"):
    path = environ.get("PATH_INFO", "")
    if "/api/" in path:
        body, kind = json.dumps({"error": error, "message": message}).encode(), "application/json"
    else:
        body, kind = message.encode(), "text/plain; charset=utf-8"
    start_response(status, [("Content-Type", kind), ("Content-Length", str(len(body)))])
    return [body]
