"""Making a booking (quote lock, screening, seat, record: all or nothing) and who may read it."""

from __future__ import annotations

import contextlib
import secrets
from datetime import datetime

from bson import ObjectId

from services.common import codes
from services.common.clients import client_for
from services.common.clock import SEOUL, aware, utcnow
from services.common.errors import Problem, not_found, validation_problem
from services.common.failpoints import failpoint
from services.common.http import UpstreamFailure, UpstreamUnavailable
from services.common.ids import object_id
from services.common.pagination import Sort
from services.common.tokens import Principal

from . import store
from .screening import check_patient, screen
from .seats import give_seat_back, hold_seats, release_hold, seat_looks_free, take_seat, why_no_seat

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


def _series(body: dict) -> list[tuple[str, ObjectId]]:
    """The slots asked for, by input field: the first visit's, then each later visit's (if given)."""
    later = body.get("laterSlotIds") or []
    return [("slotId", object_id(body["slotId"], "slot"))] + [
        (f"laterSlotIds[{index}]", object_id(raw, "slot")) for index, raw in enumerate(later)
    ]


def _check_series(slots: list[tuple[str, dict]], quote: dict, window: dict, visits: int) -> None:
    """Every slot is the package's, and each later one inside the window after the one before it."""
    later = len(slots) - 1
    if later and later != visits - 1:
        raise validation_problem(
            [{"field": "laterSlotIds", "message": f"the package has {visits} visits: give {visits - 1} later slots"}]
        )
    errors = []
    for field, slot in slots:
        if slot["clinic"] != quote["clinic"] or slot["package_id"] not in (None, quote["packageId"]):
            errors.append({"field": field, "message": "belongs to another clinic or package"})
    if errors:
        raise Problem(422, "SLOT_NOT_FOR_PACKAGE", "A slot is not open for this package.", errors=errors)
    for (_, before), (field, slot) in zip(slots, slots[1:], strict=False):
        gap = (aware(slot["start"]).astimezone(SEOUL).date() - aware(before["start"]).astimezone(SEOUL).date()).days
        if not window["minDays"] <= gap <= window["maxDays"]:
            errors.append(
                {
                    "field": field,
                    "message": f"{gap} days after the visit before; {window['minDays']} to {window['maxDays']} allowed",
                }
            )
    if errors:
        raise Problem(422, "VISIT_OUTSIDE_WINDOW", "A visit is outside the package's window.", errors=errors)


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
    """Lock the quote, screen the patient, hold and take a seat of every slot asked for (the first
    visit's, and each later visit's when given), record the booking: all or nothing. Anything
    refused after the quote is locked unlocks it; anything failing after a seat is taken gives
    every taken seat back. ``reference`` is the idempotency claim's, so a retry after a crash
    (``resumed``) is the same booking, and the seats it already holds are its seats."""
    check_patient(body["patient"])
    series = _series(body)
    if resumed:
        recorded = store.booking_by_reference(reference)
        if recorded is not None and visible_to(recorded, principal):  # an earlier attempt recorded it, then died
            return recorded
    # A slot that is plainly full, closed or too soon is refused before anything is locked or held.
    # This only saves work: the guarded updates below still decide who gets a seat.
    found = store.slots_by_id([slot_id for _, slot_id in series])
    for (field, _), slot in zip(series, found, strict=True):
        if slot is None or (reference not in slot["holders"] and not seat_looks_free(slot, cutoff)):
            raise why_no_seat(slot, cutoff, field)
    slots = [(field, slot) for (field, _), slot in zip(series, found, strict=True) if slot is not None]
    lock = {"bookingReference": reference}
    quote = _packages_call("POST", f"/quotes/{body['quoteId']}/lock", token, lock)
    taken: list[ObjectId] = []
    try:
        package = quote["package"]
        warnings = screen(package["screeningRules"], body["patient"], package["scarTypes"])
        _check_series(slots, quote, package["visitWindow"], package["schedule"]["visits"])
        hold_seats([slot["_id"] for _, slot in slots], reference, hold_seconds)
        for number, (field, slot) in enumerate(slots, start=1):
            if not take_seat(slot, cutoff, reference):
                raise why_no_seat(store.slot_by_id(slot["_id"]), cutoff, field)
            taken.append(slot["_id"])
            failpoint("bookings.after_seat" if number == 1 else f"bookings.after_seat.{number}")
        now = utcnow()
        first = slots[0][1]
        document = {
            "reference": reference,
            "agency": principal.agency or principal.subject,
            "clinic": quote["clinic"],
            "package_id": quote["packageId"],
            "package_version": quote["packageVersion"],
            "slot_id": str(first["_id"]),
            "slot_start": first["start"],
            "slot_duration_minutes": first["duration_minutes"],
            "visits": [
                {
                    "number": number,
                    "slot_id": str(slot["_id"]),
                    "start": slot["start"],
                    "duration_minutes": slot["duration_minutes"],
                }
                for number, (_, slot) in enumerate(slots, start=1)
            ],
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
        for slot_id in taken:
            give_seat_back(slot_id, reference)
        if taken:
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
