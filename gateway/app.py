"""The gateway app, wired together: authentication, rate limits, /graphql, the frontend, health, errors."""

from __future__ import annotations

import asyncio
import logging
import threading

from flask import Flask, jsonify

from services.common.db import connect_database, ping
from services.common.metrics import init_metrics
from services.common.observability import configure_logging, init_request_ids
from services.common.tracing import trace_app

from .auth import init_authentication
from .errors import graphql_error_response, init_error_handlers
from .frontend import init_frontend
from .ratelimit import init_rate_limits
from .schema import schema
from .settings import GatewaySettings
from .upstream import Upstream
from .view import GatewayView


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
    trace_app(app, kit.service)  # before the database connection and the clients, so they are traced
    init_request_ids(app)
    # Counted here, served by the gunicorn master on METRICS_PORT (gateway/gunicorn_config.py): the public
    # port has no /metrics.
    init_metrics(app, kit.service, serve=False)
    connect_database(kit)

    init_authentication(app, settings.key_cache_seconds, kit.service, settings.bad_key_limit)

    init_rate_limits(app, kit.service, settings.rate_limit)

    view = GatewayView.as_view(
        "graphql",
        schema=schema.graphql_schema,
        settings=settings,
        upstream=Upstream.from_urls(kit.service_urls, kit.http_timeout_seconds, settings.http_cache_entries),
        graphql_ide="graphiql" if settings.introspection else None,
    )
    app.add_url_rule("/graphql", view_func=view, methods=["GET", "POST"])

    init_frontend(app)

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

    init_error_handlers(app)
    return app
