"""The bookings service: slots, bookings, care plans."""

from __future__ import annotations

from services.common.app import create_service_app
from services.common.config import Settings, from_env

from .api import bp
from .compliance_api import bp as compliance
from .metrics import READINGS


def create_app(settings: Settings | None = None):
    return create_service_app(
        settings or from_env("bookings"),
        title="ClinicBridge bookings",
        description="Appointment slots, bookings that never overbook, their lifecycle, and care plans; registrations "
        "for attracting foreign patients, commissions and their statements, the annual report and the visa document.",
        blueprints=[bp, compliance],
        metrics=READINGS,
    )
