"""Making a booking (quote lock, screening, seat, record: all or nothing) and who may read it."""

from __future__ import annotations

import contextlib
import secrets
from datetime import datetime

from services.common import codes
from services.common.clients import client_for
from services.common.clock import utcnow
from services.common.errors import Problem, not_found
from services.common.failpoints import failpoint
from services.common.http import UpstreamFailure, UpstreamUnavailable
from services.common.ids import object_id
from services.common.pagination import Sort
from services.common.tokens import Principal

from . import store
from .screening import check_patient, screen
from .seats import give_seat_back, hold_seat, release_hold, seat_looks_free, take_seat, why_no_seat

REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O or 1/I to misread
BOOKING_SORT = Sort("created_key", -1)


def new_reference() -> str:
    return "CB-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))


def _packages_call(method: str, path: str, token: str | None, body: dict) -> dict:
    answer = client_for("packages").request(method, path, token=token, json=body)
    if answer.status_code == 200:
        return answer.json()
    problem = answer.json() if answer.headers.get("Content-Type", "").endswith("json") else {}
    if answer.status_code == 404:
        raise Problem(422, "UNKNOWN_QUOTE", "No such quote.", errors=[{"field": "quoteId", "message": "unknown quote"}])
    if answer.status_code == 409:
        code = problem.get("code") if problem.get("code") in codes.BOOKINGS else "QUOTE_UNAVAILABLE"
        raise Problem(409, code, problem.get("detail", "The quote cannot be booked."))
    raise UpstreamUnavailable("packages")


def create_booking(
    body: dict,
    principal: Principal,
    token: str | None,
    reference: str,
    *,
    cutoff: datetime,
    hold_seconds: int,
    resumed: bool = True,
) -> dict:
    """Lock the quote, screen the patient, hold and take a seat, record the booking. Anything
    refused after the quote is locked unlocks it; anything failing after the seat is taken gives
    it back. ``reference`` is the idempotency claim's, so a retry after a crash (``resumed``) is
    the same booking."""
    check_patient(body["patient"])
    slot_id = object_id(body["slotId"], "slot")
    if resumed:
        recorded = store.booking_by_reference(reference)
        if recorded is not None and visible_to(recorded, principal):  # an earlier attempt recorded it, then died
            return recorded
    # A slot that is plainly full, closed or too soon is refused before anything is locked or held.
    # This only saves work: the guarded update below still decides who gets a seat.
    slot = store.slot_by_id(slot_id)
    if slot is None or (reference not in slot["holders"] and not seat_looks_free(slot, cutoff)):
        raise why_no_seat(slot, cutoff)
    lock = {"bookingReference": reference}
    quote = _packages_call("POST", f"/quotes/{body['quoteId']}/lock", token, lock)
    seat = False
    try:
        package = quote["package"]
        warnings = screen(package["screeningRules"], body["patient"], package["scarTypes"])
        if slot["clinic"] != quote["clinic"] or slot["package_id"] not in (None, quote["packageId"]):
            raise Problem(
                422,
                "SLOT_NOT_FOR_PACKAGE",
                "The slot is not open for this package.",
                errors=[{"field": "slotId", "message": "belongs to another clinic or package"}],
            )
        hold_seat(slot_id, reference, hold_seconds)
        seat = take_seat(slot, cutoff, reference)
        failpoint("bookings.after_seat")
        if not seat:
            release_hold(reference)
            raise why_no_seat(store.slot_by_id(slot_id), cutoff)
        now = utcnow()
        document = {
            "reference": reference,
            "agency": principal.agency or principal.subject,
            "clinic": quote["clinic"],
            "package_id": quote["packageId"],
            "package_version": quote["packageVersion"],
            "slot_id": str(slot_id),
            "slot_start": slot["start"],
            "slot_duration_minutes": slot["duration_minutes"],
            "quote_id": quote["id"],
            "price": {
                "quoteId": quote["id"],
                "currency": quote["currency"],
                "krwPerUnit": quote["exchangeRate"]["krwPerUnit"],
                "rateAsOf": quote["exchangeRate"]["asOf"],
                "lines": quote["lines"],
                "total": quote["total"],
            },
            "package": package,
            "package_texts": quote.get("packageTexts") or {},
            "patient": body["patient"],
            "interpreter_language": quote["interpreterLanguage"],
            "follow_up_plan": quote["followUpPlan"],
            "warnings": warnings,
            "status": "PENDING",
            "history": [{"from": None, "to": "PENDING", "at": now, "by": principal.subject, "reason": None}],
            "refund": None,
            "created_at": now,
            "updated_at": now,
            "created_key": f"{now.isoformat()}:{reference}",
        }
        store.insert_booking(document)
        release_hold(reference)
        return document
    except BaseException:
        if seat:
            give_seat_back(slot_id, reference)
            release_hold(reference)
        with contextlib.suppress(Problem, UpstreamFailure):  # else the lock lapses with the quote's expiry
            _packages_call("POST", f"/quotes/{body['quoteId']}/unlock", token, lock)
        raise


def scope(principal: Principal) -> dict:
    """The bookings a principal may see: its agency's, its clinic's, or all."""
    if principal.role == "AGENCY":
        return {"agency": principal.agency}
    if principal.role == "CLINIC_ADMIN":
        return {"clinic": principal.clinic}
    return {}


def visible_to(booking: dict, principal: Principal) -> bool:
    return all(booking.get(field) == value for field, value in scope(principal).items())


def find_booking(reference: str, principal: Principal) -> dict:
    """A booking the caller may see; any other is 404, so references reveal nothing."""
    doc = store.booking_by_reference(reference)
    if doc is None or not visible_to(doc, principal):
        raise not_found("booking", reference)
    return doc
