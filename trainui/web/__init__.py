"""The Flask app factory. It starts no threads: the CLI (or a test) starts ingestion separately."""
from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from ..config import ServerConfig
from ..store import Database, Store
from .api.runs import long_poll_slots
from .api.stream import stream_slots
from .auth import install_auth
from .errors import register_error_handlers
from .guard import RequestGuard
from .limits import install_body_limits
from .prefix import PrefixMiddleware


class IdConverter(IntegerConverter):
    """A database id: an integer that fits a 64-bit column (a larger one is simply not found)."""

    def __init__(self, url_map):
        super().__init__(url_map, max=2**63 - 1)


def create_app(config: ServerConfig, db: Database) -> Flask:
    from .api import api
    from .pages import install_content_policy, pages

    app = Flask(__name__, static_folder=None)
    app.url_map.converters["id"] = IdConverter
    app.config["TRAINUI"] = config
    app.extensions["trainui.store"] = Store(db)
    app.extensions["trainui.long_polls"] = long_poll_slots(config.threads)
    app.extensions["trainui.streams"] = stream_slots(config.threads)
    app.json.sort_keys = False
    install_body_limits(app)  # first: a body too large is refused before anyone reads it
    app.register_blueprint(api, url_prefix="/api/v1")
    app.register_blueprint(pages)
    register_error_handlers(app)
    install_content_policy(app)
    install_auth(app, config.token)
    # X-Forwarded-Prefix from a reverse proxy sets the sub-path; --base-url sets it without one.
    # The Host header is never taken from X-Forwarded-Host: the guard checks the one sent.
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=0, x_proto=1, x_host=0, x_prefix=1)
    if config.base_url != "/":
        app.wsgi_app = PrefixMiddleware(app.wsgi_app, config.base_url)
    app.wsgi_app = RequestGuard(app.wsgi_app, config.accepted_hosts(), config.allowed_hosts)
    return app
