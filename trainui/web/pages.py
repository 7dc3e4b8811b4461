"""The browser app: index.html for every page route (the base URL filled in), its static files,
and plotly.js from the plotly package, gzip-compressed once and cached by the browser."""
from __future__ import annotations

import functools
import gzip
import hashlib
import os
from pathlib import Path

from flask import Blueprint, Response, abort, request, send_from_directory

pages = Blueprint("pages", __name__)

# The app's own policy, on every answer that sets none of its own (assets set a stricter one): scripts,
# styles, data and frames only from this origin, so that even text that slipped into the page as
# markup could not load or run anything. Plotly draws with inline style attributes ('unsafe-inline'
# for styles only) and its exported images are data: URLs. Its WebGL traces (parcoords, scattergl) are
# drawn by regl, which compiles each draw call with Function(): 'unsafe-eval' keeps them drawing (without
# it Chromium refuses every call); it lets no script in from anywhere but this origin.
CONTENT_POLICY = ("default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
                  "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
                  "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'")


def install_content_policy(app) -> None:
    @app.after_request
    def content_policy(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response


def frontend_dir() -> Path:
    package_dir = Path(__file__).resolve().parent.parent
    for candidate in (package_dir / "frontend", package_dir.parent / "frontend"):
        if (candidate / "index.html").is_file():
            return candidate
    return package_dir.parent / "frontend"


@functools.lru_cache(maxsize=1)
def _plotly_bundle() -> tuple[bytes, bytes, str]:
    import plotly

    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    raw = path.read_bytes()
    return raw, gzip.compress(raw, 6), hashlib.sha1(raw).hexdigest()[:16]


@pages.get("/")
@pages.get("/projects/<int:_id>")
@pages.get("/results/<int:_id>")
def index(_id: int | None = None):
    return app_page()


def app_page(status: int = 200) -> Response:
    """index.html with the base URL filled in; with 404 for a URL the app has no page for, so a
    browser gets the app's own "Page not found" (the router draws it) and a script gets the status."""
    path = frontend_dir() / "index.html"
    if not path.is_file():
        return Response("trainui's frontend files are missing from this installation.", 500,
                        mimetype="text/plain")
    base = (request.script_root or "") + "/"
    html = path.read_text(encoding="utf-8").replace("{{BASE}}", base)
    response = Response(html, status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-cache"
    return response


@pages.get("/static/vendor/plotly.min.js")
def plotly_js():
    raw, compressed, etag = _plotly_bundle()
    if request.if_none_match.contains(etag):
        return Response(status=304)
    use_gzip = "gzip" in request.headers.get("Accept-Encoding", "")
    response = Response(compressed if use_gzip else raw, mimetype="application/javascript")
    if use_gzip:
        response.headers["Content-Encoding"] = "gzip"
    response.headers["Vary"] = "Accept-Encoding"
    response.set_etag(etag)
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@pages.get("/static/<path:filename>")
def static_file(filename: str):
    if filename.startswith("vendor/plotly"):
        abort(404)
    response = send_from_directory(frontend_dir(), filename, max_age=0)
    return response


@pages.get("/healthz")
def healthz():
    return {"ok": True, "pid": os.getpid()}
