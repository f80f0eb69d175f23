"""The catalogue service: clinics, procedures and scar types."""

from __future__ import annotations

from services.common.app import create_service_app
from services.common.config import Settings, from_env

from . import store
from .api import bp


def create_app(settings: Settings | None = None):
    return create_service_app(
        settings or from_env("catalogue"),
        title="ClinicBridge catalogue",
        description="Clinics, procedures and scar types for acne-scar treatment in Korea.",
        blueprints=[bp],
        read_models={"clinics": store.clinics_model, "procedures": store.procedures_model},
    )
