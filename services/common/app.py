"""The app factory every service uses: settings, logs, request ids, errors, database, health, OpenAPI."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flask import Blueprint, Flask, current_app, jsonify

from .auth import current_principal
from .config import Settings
from .db import connect_database, ping
from .errors import Problem, register_error_handlers
from .metrics import Read, init_metrics
from .observability import configure_logging, init_request_ids
from .openapi import build_openapi
from .readmodel import Follower, ReadModel
from .tracing import trace_app
from .validation import contract


def _health_blueprint(title: str, description: str) -> Blueprint:
    bp = Blueprint("health", __name__)

    @bp.get("/healthz")
    @contract(summary="The process is alive.", response="common/health", tags=("health",))
    def healthz():
        return jsonify(status="ok")

    @bp.get("/readyz")
    @contract(summary="The service can reach its database.", response="common/health", tags=("health",))
    def readyz():
        try:
            ping(current_app.config["SETTINGS"].service)
        except Exception:
            raise Problem(
                503, "DATABASE_UNAVAILABLE", "The service's database is unavailable.", headers={"Retry-After": "2"}
            ) from None
        return jsonify(status="ready")

    @bp.get("/openapi.json")
    def openapi():
        if "OPENAPI" not in current_app.extensions:
            current_app.extensions["OPENAPI"] = build_openapi(current_app, title, description)
        return jsonify(current_app.extensions["OPENAPI"])

    return bp


def _check_credentials() -> None:
    current_principal()  # raises 401 for a bad token; the principal is kept for the view


def _not_cached_unless_said(response):
    # Bookings, quotes and anything behind a token must never be reused by a cache; public reads
    # say otherwise themselves (``validation.cacheable``).
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def create_service_app(
    settings: Settings,
    *,
    title: str,
    description: str,
    blueprints: Iterable[Blueprint],
    read_models: dict[str, Callable[[], ReadModel]] | None = None,
    metrics: Iterable[Read] = (),
) -> Flask:
    """``read_models``: name -> factory of the service's read models; each starts on its first use,
    or at once in a served process (``start_read_models`` from the service's ``wsgi``). ``metrics``: the
    service's own gauges, read when ``/metrics`` is scraped (a few documents each)."""
    app = Flask(settings.service)
    app.config["SETTINGS"] = settings
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # Korean, Chinese and Japanese names stay readable
    app.json.sort_keys = False  # type: ignore[attr-defined]
    configure_logging(settings.service, settings.log_level)
    trace_app(app, settings.service)  # before the database connection, so its commands are traced
    init_request_ids(app)
    init_metrics(app, settings.service, serve=True, domain=metrics)
    register_error_handlers(app)
    # Credentials that are sent are checked on every route, public ones too: a forged or expired
    # token is a 401, never silently an anonymous request.
    app.before_request(_check_credentials)
    app.after_request(_not_cached_unless_said)
    connect_database(settings)
    app.extensions["read_models"] = {name: make() for name, make in (read_models or {}).items()}
    app.extensions["read_model_follower"] = Follower(app.extensions["read_models"].values())
    app.register_blueprint(_health_blueprint(title, description))
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    return app


def start_read_models(app: Flask) -> Flask:
    """Start loading and following every read model now, so the first listing does not wait for it."""
    app.extensions["read_model_follower"].start()
    return app


def stop_read_models(app: Flask) -> None:
    if "read_model_follower" in app.extensions:
        app.extensions["read_model_follower"].stop()
