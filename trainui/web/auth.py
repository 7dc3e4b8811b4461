"""Who a request is, and what it may do.

- The server's own token (`--token`, required beyond loopback) is ``admin``.
- Tokens made with `trainui token create` carry a role: ``viewer`` reads, ``operator`` also sends
  commands and edits, ``job`` creates and writes runs in its one project.
- A loopback server started without `--token` lets a request that shows no token do everything,
  as before; a request that shows a token gets that token's role (a shared viewer link stays
  read-only). Beyond loopback, a request without a valid token gets 401.

A token may come as ``Authorization: Bearer``, ``X-Trainui-Token``, ``?token=`` (the link the
server prints; it is then kept in a cookie) or the cookie.

Browsers scope cookies by host name, not port: one cookie name for every trainui on 127.0.0.1
made a second server on another port answer 401 to everything, and sent the token to every
local service. So the cookie's name carries the port the browser used (``trainui_token_5000``),
its path the server's sub-path, and it is ``Secure`` when the page came over HTTPS, as a reverse
proxy says with ``X-Forwarded-Proto``. That header is taken from anyone: a false "https" can only
make the cookie stricter (a browser keeps no Secure cookie from a plain-HTTP page), and this
server itself never speaks TLS, so no request can make it drop the flag for a real HTTPS page.
"""
from __future__ import annotations

import hmac
import re
import threading
import time

from flask import Flask, g, request

from ..store import Principal, token_digest
from .responses import error_response

COOKIE = "trainui_token"  # + "_<port>": see above
ADMIN = Principal("admin")
CACHE_SECONDS = 5.0  # a revoked token stops working within this time

# endpoint -> the permission it needs; GET and HEAD of anything else need "read"
WRITE_PERMISSIONS = {
    "api.post_command": "operate", "api.update_result": "operate", "api.change_tags": "operate",
    "api.create_project": "operate",
    "api.rename_project": "operate", "api.delete_project": "operate",
    "api.create_run": "ship", "api.post_batch": "ship", "api.post_asset": "ship", "api.post_console": "ship",
    "api.pending_commands": "ship",
}
ROLE_PERMISSIONS = {
    "viewer": {"read"},
    "operator": {"read", "operate"},
    "job": {"ship", "read_own"},
    "admin": {"read", "operate", "ship"},
}


def install_auth(app: Flask, server_token: str | None) -> None:
    store = app.extensions["trainui.store"]
    cache = _PrincipalCache()
    open_without_token = server_token is None  # loopback, no --token: the machine's own user

    def principal_of(token: str) -> Principal | None:
        if server_token and hmac.compare_digest(token.encode(), server_token.encode()):
            return ADMIN
        return cache.get(token, lambda: store.tokens.authenticate(token))

    @app.before_request
    def identify():
        token = _given_token()
        if token:
            principal = principal_of(token)
            if principal is None:
                return _unauthorized("this token is not valid (unknown or revoked)")
        elif open_without_token:
            principal = ADMIN
        else:
            return _unauthorized("this server needs an access token: Authorization: Bearer <token>")
        g.principal = principal
        needed = _permission_needed()
        granted = ROLE_PERMISSIONS[principal.role]
        if needed in granted or (needed == "read" and "read_own" in granted and _own_read_allowed()):
            return None
        return error_response(403, "forbidden", f"a {principal.role} token may not do this")

    @app.after_request
    def remember_token(response):
        token = request.args.get("token")
        if token and request.cookies.get(cookie_name()) != token and getattr(g, "principal", None) is not None:
            response.set_cookie(cookie_name(), token, httponly=True, samesite="Strict", secure=request.is_secure,
                                path=request.script_root or "/")
        return response


def may_touch_project(project_id: int) -> bool:
    """A job token works only in its own project; every other role is not scoped to a project."""
    principal: Principal = g.principal
    return principal.role != "job" or principal.project_id == project_id


def _permission_needed() -> str:
    endpoint = request.endpoint or ""
    if endpoint in WRITE_PERMISSIONS:
        return WRITE_PERMISSIONS[endpoint]
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return "read"
    return "operate"


def _own_read_allowed() -> bool:
    """A job token may read its own runs (GET /results/<id>); the handler checks the project."""
    return request.endpoint == "api.get_result"


def _given_token() -> str:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header[7:].strip()
    return (request.headers.get("X-Trainui-Token") or request.args.get("token")
            or request.cookies.get(cookie_name()) or "").strip()


def cookie_name() -> str:
    """This server's cookie, by the port the browser reached it on (the default port of its scheme
    when the Host names none; the guard has checked the Host header already)."""
    port = re.search(r":(\d{1,5})$", request.host)
    return f"{COOKIE}_{port.group(1) if port else ('443' if request.is_secure else '80')}"


def _unauthorized(message: str):
    if request.path.startswith("/api/"):
        return error_response(401, "unauthorized", message)
    return (f"This trainui server needs its access token: open the address the server printed "
            f"(it ends with ?token=...). {message}", 401, {"Content-Type": "text/plain; charset=utf-8"})


class _PrincipalCache:
    """Token -> principal for a few seconds, so a busy uploader does not cost a query per request."""

    def __init__(self):
        self._entries: dict[str, tuple[float, Principal | None]] = {}
        self._lock = threading.Lock()

    def get(self, token: str, load) -> Principal | None:
        key, now = token_digest(token), time.monotonic()
        with self._lock:
            hit = self._entries.get(key)
        if hit is not None and now - hit[0] < CACHE_SECONDS:
            return hit[1]
        principal = load()
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[key] = (now, principal)
        return principal
