"""The booking lifecycle, FHIR Appointment-like, written once.

The bookings service applies it (its routes, the guarded update, the refusals); the gateway
derives its ``BookingStatus`` enum, one mutation per step and their descriptions from it; the
tests walk it.
"""

from __future__ import annotations

from dataclasses import dataclass

STATUSES = ("PENDING", "BOOKED", "ARRIVED", "FULFILLED", "CANCELLED", "NOSHOW")
CLINIC = ("CLINIC_ADMIN", "PLATFORM_ADMIN")
ROLE_NAMES = {"AGENCY": "An agency", "CLINIC_ADMIN": "The clinic's admin", "PLATFORM_ADMIN": "A platform admin"}


@dataclass(frozen=True)
class Step:
    """A change of status: to ``target`` from any of ``sources``, by any of ``roles``."""

    target: str
    sources: tuple[str, ...]
    roles: tuple[str, ...]
    action: str  # the bookings service's route: POST /bookings/<reference>/<action>
    mutation: str  # the gateway's mutation
    verb: str  # "<role> may not <verb> a booking"
    summary: str

    def refusal(self, role: str) -> str:
        """Why ``role`` may not take this step, and who may."""
        allowed = " or ".join(ROLE_NAMES[r].lower() for r in self.roles)
        return f"{ROLE_NAMES[role]} may not {self.verb} a booking; {allowed} may."


STEPS = (
    Step(
        "CANCELLED",
        ("PENDING", "BOOKED"),
        ("AGENCY", *CLINIC),
        "cancel",
        "cancelBooking",
        "cancel",
        "Cancel: the seat is given back and the refund follows the booking's own copy of the policy.",
    ),
    Step(
        "BOOKED",
        ("PENDING",),
        CLINIC,
        "confirm",
        "confirmBooking",
        "confirm",
        "The clinic confirms a requested booking.",
    ),
    Step(
        "ARRIVED",
        ("BOOKED",),
        CLINIC,
        "arrive",
        "markArrived",
        "mark the arrival of",
        "The patient has arrived at the clinic.",
    ),
    Step("FULFILLED", ("ARRIVED",), CLINIC, "fulfill", "markFulfilled", "mark as fulfilled", "The visit took place."),
    Step("NOSHOW", ("BOOKED",), CLINIC, "no-show", "markNoShow", "mark as a no-show", "The patient did not come."),
)
BY_TARGET = {step.target: step for step in STEPS}
