"""The packages service: treatment packages, exchange rates and quotes."""

from __future__ import annotations

from services.common.app import create_service_app
from services.common.config import Settings, from_env
from services.common.metrics import event_log_head

from . import store
from .api import bp


def create_app(settings: Settings | None = None):
    return create_service_app(
        settings or from_env("packages"),
        title="ClinicBridge packages",
        description="Clinics' treatment packages with prices, interpreter and follow-up options, "
        "exchange rates and quotes.",
        blueprints=[bp],
        read_models={"packages": store.published_model},
        metrics=(event_log_head("packages", store.event_log),),
    )
