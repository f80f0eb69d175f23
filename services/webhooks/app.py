"""The webhooks service: partners' endpoints and their deliveries."""

from __future__ import annotations

from services.common.app import create_service_app
from services.common.config import Settings, from_env

from .api import bp
from .metrics import READINGS


def create_app(settings: Settings | None = None):
    return create_service_app(
        settings or from_env("webhooks"),
        title="ClinicBridge webhooks",
        description="Partners' webhook endpoints, and the log of every event delivered to them.",
        blueprints=[bp],
        metrics=READINGS,
    )
