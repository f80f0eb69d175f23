"""The gateway app: /graphql, health, API keys, rate limits."""
from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path

from flask import Flask, g, jsonify, request, send_from_directory
from pymongo.errors import ConnectionFailure
from werkzeug.exceptions import HTTPException as WerkzeugHTTPException

from services.common.db import connect_database, ping
from services.common.observability import configure_logging, init_request_ids

from . import keys
from .ratelimit import Rate, RateLimiter
from .schema import schema
from .settings import GatewaySettings
from .upstream import Upstream
from .view import GatewayView, graphql_error_response


class GatewayFlask(Flask):
    """Runs async views on one event loop per worker thread. Flask's default (asgiref) starts a new
    thread and event loop for every request, which cost the gateway milliseconds per query."""

    _loops = threading.local()

    def async_to_sync(self, func):
        def run(*args, **kwargs):
            loop = getattr(self._loops, "loop", None)
            if loop is None:
                loop = self._loops.loop = asyncio.new_event_loop()
            return loop.run_until_complete(func(*args, **kwargs))

        return run


def _rate_key() -> str:
    principal = g.get("principal")
    return principal.subject if principal else f"ip:{request.remote_addr}"


def create_app(settings: GatewaySettings | None = None) -> Flask:
    settings = settings or GatewaySettings.from_env()
    kit = settings.kit
    app = GatewayFlask("gateway")
    app.config["SETTINGS"] = kit
    app.config["GATEWAY_SETTINGS"] = settings
    app.config["MAX_CONTENT_LENGTH"] = kit.max_body_bytes
    configure_logging(kit.service, kit.log_level)
    # graphql-server logs every field error with a traceback, expected ones (a service down,
    # a refused input) included; the view logs the unexpected ones itself (GatewayView._mask).
    logging.getLogger("graphql_server.execution").setLevel(logging.CRITICAL)
    init_request_ids(app)
    connect_database(kit)

    api_keys = keys.KeyCache(settings.key_cache_seconds)

    @app.before_request
    def _authenticate():
        header = request.headers.get("Authorization", "")
        g.principal = None
        if not header:
            return None
        scheme, _, key = header.partition(" ")
        principal = api_keys.principal_for(key.strip()) if scheme.lower() == "bearer" and key.strip() else None
        if principal is None:
            return graphql_error_response(401, "Unknown or revoked API key.", "UNAUTHENTICATED",
                                          {"WWW-Authenticate": 'Bearer realm="clinicbridge"'})
        g.principal = principal
        return None

    limiter = RateLimiter(kit.service, Rate.parse(settings.rate_limit))

    @app.before_request
    def _rate_limit():
        if request.endpoint != "graphql":
            return None
        g.rate = limiter.hit(_rate_key())
        if g.rate is not None and not g.rate.allowed:
            return graphql_error_response(429, "Too many requests for this API key; slow down.", "RATE_LIMITED", g.rate.headers())
        return None

    @app.after_request
    def _rate_headers(response):
        if g.get("rate") is not None:
            response.headers.update(g.rate.headers())
        return response

    view = GatewayView.as_view("graphql", schema=schema.graphql_schema, settings=settings,
                               upstream=Upstream.from_urls(kit.service_urls, kit.http_timeout_seconds,
                                                           settings.http_cache_entries),
                               graphql_ide="graphiql" if settings.introspection else None)
    app.add_url_rule("/graphql", view_func=view, methods=["GET", "POST"])

    web = Path(__file__).parent / "web"

    @app.get("/")
    def index():
        """The reference frontend: static files, every asset served from here (no CDN)."""
        return send_from_directory(web, "index.html")

    @app.get("/web/<path:name>")
    def web_asset(name: str):
        return send_from_directory(web, name)

    @app.after_request
    def _web_headers(response):
        if request.endpoint in ("index", "web_asset"):
            response.headers["Content-Security-Policy"] = ("default-src 'self'; img-src 'self' blob: data:; object-src 'none'; "
                                                           "base-uri 'none'; frame-ancestors 'none'")
            response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    @app.get("/readyz")
    def readyz():
        try:
            ping(kit.service)
        except Exception:
            return graphql_error_response(503, "The gateway's database is unavailable.", "DATABASE_UNAVAILABLE")
        return jsonify(status="ready")

    @app.errorhandler(WerkzeugHTTPException)
    def _http_error(exc: WerkzeugHTTPException):
        codes = {413: "PAYLOAD_TOO_LARGE", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}
        messages = {413: "The request is too large.",
                    404: "Nothing here; the API is at /graphql.", 405: "Use GET or POST."}
        return graphql_error_response(exc.code or 500, messages.get(exc.code, "Bad request."), codes.get(exc.code, "BAD_REQUEST"))

    @app.errorhandler(ConnectionFailure)
    def _database_down(exc: ConnectionFailure):
        # API keys live in the gateway's database; without it no caller can be identified.
        return graphql_error_response(503, "The gateway's database is unavailable; try again shortly.", "DATABASE_UNAVAILABLE",
                                      {"Retry-After": "2"})

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        app.logger.exception("unhandled gateway error")
        return graphql_error_response(500, "Internal error.", "INTERNAL_ERROR")

    return app
