"""The gateway app: /graphql, health, API keys, rate limits."""
from __future__ import annotations

import asyncio
import atexit
import threading

from flask import Flask, g, jsonify, request
from flask_limiter import Limiter
from werkzeug.exceptions import HTTPException as WerkzeugHTTPException

from services.common.db import connect_database, ping
from services.common.observability import configure_logging, init_request_ids

from . import keys
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


class _ClosedClient:
    def close(self) -> None:
        pass


def _close_rate_limit_storage(limiter: Limiter) -> None:
    """Close the rate-limit storage's MongoDB client at exit, while threads can still start.

    limits' MongoDB storage closes its client in ``__del__``, creating one first if it never
    had one; at interpreter shutdown pymongo cannot start its monitor thread and the process
    never exits. A no-op client left in its place makes that ``__del__`` harmless."""
    storage = getattr(limiter, "_storage", None)
    client = getattr(storage, "_storage", None)
    if client is not None:
        client.close()
    if storage is not None and hasattr(storage, "_storage"):
        storage._storage = _ClosedClient()


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
    init_request_ids(app)
    connect_database(kit)

    @app.before_request
    def _authenticate():
        header = request.headers.get("Authorization", "")
        g.principal = None
        if not header:
            return None
        scheme, _, key = header.partition(" ")
        principal = keys.principal_for(key.strip()) if scheme.lower() == "bearer" and key.strip() else None
        if principal is None:
            return graphql_error_response(401, "Unknown or revoked API key.", "UNAUTHENTICATED",
                                          {"WWW-Authenticate": 'Bearer realm="clinicbridge"'})
        g.principal = principal
        return None

    limiter = Limiter(key_func=_rate_key, app=app, storage_uri=settings.rate_limit_storage,
                      storage_options={"database_name": f"{kit.database}_limits"} if settings.rate_limit_storage.startswith("mongodb") else {},
                      strategy="fixed-window", headers_enabled=True)
    atexit.register(_close_rate_limit_storage, limiter)
    view = GatewayView.as_view("graphql", schema=schema.graphql_schema, settings=settings,
                               upstream=Upstream.from_urls(kit.service_urls, kit.http_timeout_seconds),
                               graphql_ide="graphiql" if settings.introspection else None)
    app.add_url_rule("/graphql", view_func=limiter.limit(settings.rate_limit)(view), methods=["GET", "POST"])

    @app.get("/healthz")
    @limiter.exempt
    def healthz():
        return jsonify(status="ok")

    @app.get("/readyz")
    @limiter.exempt
    def readyz():
        try:
            ping(kit.service)
        except Exception:
            return graphql_error_response(503, "The gateway's database is unavailable.", "DATABASE_UNAVAILABLE")
        return jsonify(status="ready")

    @app.errorhandler(WerkzeugHTTPException)
    def _http_error(exc: WerkzeugHTTPException):
        codes = {413: "PAYLOAD_TOO_LARGE", 429: "RATE_LIMITED", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}
        messages = {413: "The request is too large.", 429: "Too many requests for this API key; slow down.",
                    404: "Nothing here; the API is at /graphql.", 405: "Use GET or POST."}
        return graphql_error_response(exc.code or 500, messages.get(exc.code, "Bad request."), codes.get(exc.code, "BAD_REQUEST"))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        app.logger.exception("unhandled gateway error")
        return graphql_error_response(500, "Internal error.", "INTERNAL_ERROR")

    return app
