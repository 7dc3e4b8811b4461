"""The access token required on every API call and page when the server listens beyond loopback."""
from __future__ import annotations

import hmac

from flask import Flask, request

from .responses import error_response

COOKIE = "trainui_token"


def install_token_check(app: Flask, token: str | None) -> None:
    if not token:
        return

    def given_token() -> str:
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            return header[7:].strip()
        return (request.headers.get("X-Trainui-Token") or request.args.get("token")
                or request.cookies.get(COOKIE) or "")

    @app.before_request
    def require_token():
        if hmac.compare_digest(given_token().encode(), token.encode()):
            return None
        if request.path.startswith("/api/"):
            return error_response(401, "unauthorized",
                                  "this server needs its access token: Authorization: Bearer <token>")
        return ("This trainui server needs its access token: open the address the server printed "
                "(it ends with ?token=...).", 401, {"Content-Type": "text/plain; charset=utf-8"})

    @app.after_request
    def remember_token(response):
        if request.args.get("token") == token and request.cookies.get(COOKIE) != token:
            response.set_cookie(COOKIE, token, httponly=True, samesite="Strict", path=request.script_root or "/")
        return response
