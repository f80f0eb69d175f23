"""The booking lifecycle, FHIR Appointment-like, written once.

A booking is requested (PENDING), confirmed once by the clinic (BOOKED) or cancelled. Each of
its visits is then marked on its own: arrived, fulfilled or no-show. Once confirmed, the
booking's status follows from its visits (``booking_status``): ARRIVED while a patient is at
the clinic, BOOKED while a visit is still to come, FULFILLED once every visit took place or
was missed (at least one took place), NOSHOW when every visit was missed.

The bookings service applies it (its routes, the guarded update, the refusals); the gateway
derives its ``BookingStatus`` and ``VisitStatus`` enums, one mutation per step and their
descriptions from it; the tests walk it.
"""

from __future__ import annotations

from dataclasses import dataclass

STATUSES = ("PENDING", "BOOKED", "ARRIVED", "FULFILLED", "CANCELLED", "NOSHOW")
VISIT_STATUSES = ("BOOKED", "ARRIVED", "FULFILLED", "NOSHOW", "CANCELLED", "CHANGE_PROPOSED")
VISIT_STATUS_DESCRIPTIONS = {
    "BOOKED": "To come, its seat held.",
    "ARRIVED": "The patient is at the clinic for it.",
    "FULFILLED": "It took place.",
    "NOSHOW": "The patient did not come.",
    "CANCELLED": "Cancelled, its seat given back (with its booking, or a proposed change declined).",
    "CHANGE_PROPOSED": "The clinic withdrew its slot or its interpreter's hours: alternatives are proposed, and the "
    "agency accepts one or declines (the visit is then cancelled with a full refund of its share).",
}
TO_COME = ("BOOKED", "CHANGE_PROPOSED")  # a visit still to come: its seat is held, whatever the clinic changed
CHANGE_REASONS = {
    "SLOT_CLOSED": "The clinic closed the visit's slot.",
    "INTERPRETER_HOURS_CLOSED": "The interpreter's hours no longer cover the visit, and no other interpreter is free.",
}
FOLLOW_UP_TO_COME = ("BOOKED", "CHANGE_PROPOSED")  # a follow-up still to come: its seat or call is held
MOVABLE = ("PENDING", "BOOKED")  # the booking's statuses in which a visit still to come may move
ENDED = ("CANCELLED", "NOSHOW")  # a booking with nothing left to come: none of its follow-ups moves either
DELIVERED = ("FULFILLED", "NOSHOW")  # a visit the clinic kept its seat for: no longer refunded
CLINIC = ("CLINIC_ADMIN", "PLATFORM_ADMIN")
ROLE_NAMES = {"AGENCY": "An agency", "CLINIC_ADMIN": "The clinic's admin", "PLATFORM_ADMIN": "A platform admin"}


@dataclass(frozen=True)
class Step:
    """A change of status: to ``target`` from any of ``sources``, by any of ``roles``. A step of one
    visit (``visit_sources`` given) changes that visit, from any of those, while the booking is in
    one of ``sources``; the booking's status then follows from its visits."""

    target: str
    sources: tuple[str, ...]
    roles: tuple[str, ...]
    action: str  # the bookings service's route: POST /bookings/<reference>/<action>
    mutation: str  # the gateway's mutation
    verb: str  # "<role> may not <verb> a booking"
    summary: str
    visit_sources: tuple[str, ...] = ()

    @property
    def per_visit(self) -> bool:
        return bool(self.visit_sources)

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
        "The patient has arrived for a visit (by default the next one still to come).",
        ("BOOKED",),
    ),
    Step(
        "FULFILLED",
        ("ARRIVED",),
        CLINIC,
        "fulfill",
        "markFulfilled",
        "mark as fulfilled",
        "The visit took place (by default the one the patient arrived for).",
        ("ARRIVED",),
    ),
    Step(
        "NOSHOW",
        ("BOOKED",),
        CLINIC,
        "no-show",
        "markNoShow",
        "mark as a no-show",
        "The patient did not come to a visit (by default the next one still to come).",
        ("BOOKED",),
    ),
)
BY_TARGET = {step.target: step for step in STEPS}
STEP_EVENTS = {  # each step's target, and the event that tells partners of it
    "BOOKED": "booking.confirmed",
    "CANCELLED": "booking.cancelled",
    "ARRIVED": "visit.arrived",
    "FULFILLED": "visit.fulfilled",
    "NOSHOW": "visit.no_show",
}
LEGACY_VISIT_STATUS = {"PENDING": "BOOKED"}  # a booking kept before visits had a status: each visit's, from it


def event_of(step: Step) -> str:
    """The event type a step is told as."""
    return STEP_EVENTS[step.target]


def visit_may_move(booking_status: str, visit_status: str, proposed: bool = False) -> bool:
    """Whether a visit may be moved to another slot: one still to come, of a booking not yet under way; with
    ``proposed``, a visit whose change the clinic proposed (it moves to an alternative offered)."""
    return booking_status in MOVABLE and visit_status == ("CHANGE_PROPOSED" if proposed else "BOOKED")


def follow_up_may_move(booking_status: str, follow_up_status: str) -> bool:
    """Whether a follow-up may be moved: one still to come (a change the clinic proposed for it too), of a booking
    that has not ended."""
    return booking_status not in ENDED and follow_up_status in FOLLOW_UP_TO_COME


def legacy_visit_status(booking_status: str) -> str:
    """The status of the one visit of a booking kept before visits had their own."""
    return LEGACY_VISIT_STATUS.get(booking_status, booking_status)


def booking_status(visits: list[str]) -> str:
    """A confirmed booking's status from its visits' statuses."""
    if "ARRIVED" in visits:
        return "ARRIVED"
    if any(status in TO_COME for status in visits):
        return "BOOKED"
    return "FULFILLED" if "FULFILLED" in visits else "NOSHOW"


def default_visit(step: Step, visits: list[str]) -> int | None:
    """The visit a step applies to when none is named: the first (from 1) in one of its sources."""
    return next((number for number, status in enumerate(visits, start=1) if status in step.visit_sources), None)
