"""Changing a booking's status by the lifecycle table, and the refund a cancellation gives."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from services.common import lifecycle, money
from services.common.clock import SEOUL, aware, utcnow
from services.common.errors import Problem
from services.common.failpoints import failpoint
from services.common.tokens import Principal

from . import store
from .booking import find_booking
from .seats import give_seat_back, held_slots


def refund_for(booking: dict, now: datetime) -> dict:
    """The refund the booking's own copy of the cancellation policy gives, counted in Seoul days
    before the first visit."""
    days_before = (aware(booking["slot_start"]).astimezone(SEOUL).date() - now.astimezone(SEOUL).date()).days
    tiers = sorted(booking["package"]["cancellationPolicy"]["tiers"], key=lambda tier: -tier["daysBefore"])
    percent = next((tier["refundPercent"] for tier in tiers if days_before >= tier["daysBefore"]), 0)
    price = booking["price"]
    digits = money.minor_units(price["currency"])
    return {
        "percent": percent,
        "daysBefore": days_before,
        "krw": int(money.percent_of(price["total"]["krw"], percent)),
        "amount": money.as_text(money.percent_of(Decimal(price["total"]["amount"]), percent, digits)),
        "currency": price["currency"],
        "krwPerUnit": price["krwPerUnit"],
        "rateAsOf": price["rateAsOf"],
    }


def transition(reference: str, target: str, principal: Principal, reason: str | None) -> dict:
    """Move a booking to ``target`` if its current state allows it: the allowed states are part of
    the update itself, so two racing changes cannot both apply. Cancelling gives the seat back."""
    step = lifecycle.BY_TARGET[target]
    current = find_booking(reference, principal)
    if principal.role not in step.roles:
        raise Problem(403, "FORBIDDEN", step.refusal(principal.role))
    now = utcnow()
    changes = {"status": target, "updated_at": now}
    if target == "CANCELLED":
        changes["refund"] = refund_for(current, now)
        changes["seat_release_pending"] = True
    entry = {"from": current["status"], "to": target, "at": now, "by": principal.subject, "reason": reason}
    updated = store.change_booking(current["_id"], list(step.sources), changes, entry)
    if updated is None:
        latest = store.booking_by_reference(reference, {"status": 1})
        raise Problem(409, "INVALID_TRANSITION", f"A {latest['status']} booking cannot become {target}.")
    if target == "CANCELLED":
        failpoint("bookings.after_cancel")
        for slot_id in held_slots(updated):
            give_seat_back(slot_id, updated["reference"])
        store.seat_released(updated["_id"])
    return updated
