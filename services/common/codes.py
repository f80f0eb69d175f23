"""Every error code the services answer with: one list per service, and the codes all share.

A service raises only codes of its own list or of ``SHARED`` (a test reads every ``Problem`` in
the code and holds it to this); the gateway types its mutations' errors with enums generated
from the same lists, so a partner can switch over every code a mutation may return.
"""

from __future__ import annotations

# Codes any service may answer with: malformed or refused requests, and outages.
SHARED = {
    "VALIDATION_FAILED": "The input breaks the contract; the errors name each field.",
    "MALFORMED_JSON": "The body is not JSON.",
    "UNSUPPORTED_MEDIA_TYPE": "The body is not application/json.",
    "UNAUTHENTICATED": "No credentials were sent.",
    "INVALID_TOKEN": "The credentials are not valid.",
    "FORBIDDEN": "The caller's role or clinic may not do this.",
    "NOT_FOUND": "No such thing, or not one the caller may see.",
    "CONCURRENT_UPDATE": "Someone else changed it at the same moment; read it again and retry.",
    "VERSION_MISMATCH": "If-Match names a version that is no longer current.",
    "DATABASE_UNAVAILABLE": "The service's database is unavailable.",
    "LISTING_UNAVAILABLE": "The service is still loading its listings.",
    "UPSTREAM_UNAVAILABLE": "A service this one depends on is unavailable.",
    "UPSTREAM_ERROR": "A service this one depends on failed.",
    "INTERNAL_ERROR": "The service failed.",
    "CURSOR_EXPIRED": "The feed's cursor is older than the events kept; go on from oldestCursor.",
}

CATALOGUE = {
    "ALREADY_EXISTS": "A clinic with this slug exists.",
    "FORBIDDEN_FIELD": "A clinic's admin may not set this field (accreditations are set by platform admins).",
}

PACKAGES = {
    "UNKNOWN_CLINIC": "The catalogue has no such clinic.",
    "PROCEDURE_NOT_OFFERED": "The clinic does not offer a procedure of the package.",
    "INVALID_TRANSITION": "The package's status does not allow this change.",
    "PACKAGE_NOT_PUBLISHED": "Only a published package can be quoted.",
    "PACKAGE_ARCHIVED": "The package is archived.",
    "OPTION_NOT_OFFERED": "The package does not offer the interpreter or follow-up plan asked for.",
    "QUOTE_EXPIRED": "The quote has expired; ask for a new one.",
    "QUOTE_ALREADY_LOCKED": "Another booking holds the quote.",
    "RATES_UNAVAILABLE": "There is no exchange-rate table yet.",
}

BOOKINGS = {
    "UNKNOWN_QUOTE": "No such quote, or not the caller's.",
    "UNKNOWN_SLOT": "No such slot.",
    "QUOTE_EXPIRED": PACKAGES["QUOTE_EXPIRED"],
    "QUOTE_ALREADY_LOCKED": PACKAGES["QUOTE_ALREADY_LOCKED"],
    "QUOTE_UNAVAILABLE": "The quote cannot be booked.",
    "SCREENING_BLOCKED": "The patient's answers rule the package out until the clinic assesses them.",
    "SLOT_NOT_FOR_PACKAGE": "The slot is open for another clinic or package.",
    "SLOT_FULL": "Every seat of the slot is taken.",
    "SLOT_CLOSED": "The clinic closed the slot.",
    "SLOT_TOO_SOON": "The slot starts too soon to book.",
    "SLOT_EXISTS": "The clinic already has a slot for this package at this time.",
    "SLOT_IN_PAST": "The time has already passed.",
    "UNKNOWN_HOLD": "No such hold, or not the caller's.",
    "HOLD_EXPIRED": "The hold has expired and its seats are free again.",
    "HOLD_ALREADY_BOOKED": "The hold is already a booking.",
    "VISIT_OUTSIDE_WINDOW": "A later visit is not inside the package's window after the visit before it.",
    "NO_SLOT_IN_WINDOW": "A later visit has no free slot inside the package's window: pick every visit's slot.",
    "INVALID_TRANSITION": "The booking's or the visit's status does not allow this change.",
    "UNKNOWN_VISIT": "The booking has no visit of this number.",
    "TRIP_TOO_SHORT": "A visit falls in none of the patient's trips, or its trip ends before the stay it needs.",
    "TOO_LATE_TO_RESCHEDULE": "The visit starts within the notice period; it can no longer be moved.",
    "IDEMPOTENCY_KEY_REUSED": "The idempotency key was used for a different request.",
    "IDEMPOTENCY_KEY_IN_FLIGHT": "A request with this idempotency key is still running.",
    "INTERPRETER_UNAVAILABLE": "No interpreter in the language asked for is free for a visit's time.",
    "UNKNOWN_PROVIDER": "No such interpreter provider.",
    "FOLLOW_UP_UNAVAILABLE": "No seat or consultation time is free for a follow-up inside its window.",
    "UNKNOWN_FOLLOW_UP": "The booking has no follow-up of this number.",
    "FOLLOW_UP_OUTSIDE_WINDOW": (
        "The follow-up's new time is outside its window, or not in the clinic's hours or the patient's trips."
    ),
    "PROVIDER_EXISTS": "An interpreter provider has this id already.",
    "ALTERNATIVE_NOT_OFFERED": "The slot is not one of the alternatives the clinic proposed for the visit.",
    "FACILITATOR_NOT_REGISTERED": "The agency has no registration as a facilitator valid on today's Seoul date.",
    "INSTITUTION_NOT_REGISTERED": "The clinic has no registration as an institution valid on today's Seoul date.",
    "COMMISSION_ABOVE_CAP": "The rate passes the cap on commissions for the clinic's category (the law is named).",
    "BOOKING_NOT_CONFIRMED": "The booking is not confirmed, or was cancelled or missed: no reservation to certify.",
}

WEBHOOKS = {
    "URL_NOT_ALLOWED": "The URL is not https, or its host resolves to an address that is not public.",
    "DELIVERY_IN_FLIGHT": "A dispatcher is sending the delivery at this moment.",
}

BY_SERVICE = {"catalogue": CATALOGUE, "packages": PACKAGES, "bookings": BOOKINGS, "webhooks": WEBHOOKS}


def codes_of(service: str) -> dict[str, str]:
    """The codes a service may answer with: its own and the shared ones."""
    return {**SHARED, **BY_SERVICE[service]}
