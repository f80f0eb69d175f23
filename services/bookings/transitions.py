"""Changing a booking by the lifecycle table (the booking, or one of its visits), and the refund a
cancellation gives.

Every change of a booking is one update guarded by the booking's ``revision`` as it was read:
two racing changes cannot both apply, and the one that loses reads the booking again and is
decided anew against what the other did.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from services.common import lifecycle, money
from services.common.clock import aware, seoul_days_between, utcnow
from services.common.errors import Problem
from services.common.failpoints import failpoint
from services.common.tokens import Principal

from . import commissions, events, ledger, store
from .booking import find_booking

ATTEMPTS = 5  # a change lost to a racing one is decided again this many times before 409 CONCURRENT_UPDATE


def refund_for(booking: dict, now: datetime) -> dict:
    """The refund a cancellation now gives, by the booking's own copy of the cancellation policy.

    Only the visits not yet delivered are refunded: the price is shared equally among the
    package's visits, and a visit fulfilled or missed (no-show) keeps its share. The policy's
    percent is the tier for the Seoul days left before the next visit still to come, applied to
    the undelivered visits' share, rounded half up to the currency's minor unit; a visit whose
    slot or interpreter the clinic withdrew (CHANGE_PROPOSED) is refunded its share in full, as
    declining the change would."""
    visits = booking["visits"]
    delivered = sum(1 for visit in visits if visit["status"] in lifecycle.DELIVERED)
    refunded_already = sum(1 for visit in visits if visit.get("refund"))  # a proposed change declined
    withdrawn = sum(1 for visit in visits if visit["status"] == "CHANGE_PROPOSED")
    undelivered = _total_visits(booking) - delivered - refunded_already
    days_before = _days_before(booking, now)
    tiers = sorted(booking["package"]["cancellationPolicy"]["tiers"], key=lambda tier: -tier["daysBefore"])
    percent = next((tier["refundPercent"] for tier in tiers if days_before >= tier["daysBefore"]), 0)
    by_policy = _refund(booking, undelivered - withdrawn, percent, days_before)
    if not withdrawn:
        return by_policy
    in_full = _refund(booking, withdrawn, 100, days_before)
    amount = Decimal(by_policy["amount"]) + Decimal(in_full["amount"])
    return {
        **by_policy,
        "visitsRefunded": undelivered,
        "krw": by_policy["krw"] + in_full["krw"],
        "amount": money.as_text(amount),
    }


def _total_visits(booking: dict) -> int:
    visits = booking["visits"]
    return max(booking["package"].get("schedule", {}).get("visits", len(visits)), len(visits))


def _days_before(booking: dict, now: datetime) -> int:
    """Seoul days from now to the next visit still to come (the first visit when none is)."""
    upcoming = [aware(visit["start"]) for visit in booking["visits"] if visit["status"] in lifecycle.TO_COME]
    return seoul_days_between(now, min(upcoming, default=aware(booking["slot_start"])))


def _refund(booking: dict, visits_refunded: int, percent: int, days_before: int) -> dict:
    """``percent`` of ``visits_refunded`` equal shares of the price, rounded half up to the currency's minor unit."""
    total_visits = _total_visits(booking)
    price = booking["price"]
    digits = money.minor_units(price["currency"])
    share = Decimal(visits_refunded) / Decimal(total_visits)
    return {
        "percent": percent,
        "daysBefore": days_before,
        "visitsRefunded": visits_refunded,
        "visits": total_visits,
        "krw": int(money.percent_of(Decimal(price["total"]["krw"]) * share, percent)),
        "amount": money.as_text(money.percent_of(Decimal(price["total"]["amount"]) * share, percent, digits)),
        "currency": price["currency"],
        "krwPerUnit": price["krwPerUnit"],
        "rateAsOf": price["rateAsOf"],
    }


def declined_refund(booking: dict, now: datetime) -> dict:
    """The refund of one visit whose change the clinic proposed and the agency declined: its equal share of the
    price, in full, whatever the policy says (the clinic withdrew the visit)."""
    return _refund(booking, 1, 100, _days_before(booking, now))


def refunds_summed(booking: dict, refunds: list[dict], days_before: int) -> dict:
    """Several visits' own refunds as one (a booking whose every visit ended cancelled by declined changes)."""
    digits = money.minor_units(booking["price"]["currency"])
    amount = sum((Decimal(refund["amount"]) for refund in refunds), Decimal(0)).quantize(Decimal(1).scaleb(-digits))
    return {
        **_refund(booking, len(refunds), 100, days_before),
        "krw": sum(refund["krw"] for refund in refunds),
        "amount": money.as_text(amount),
    }


def _refused(current: dict, step: lifecycle.Step, number: int | None) -> Problem:
    if number is None:
        return Problem(409, "INVALID_TRANSITION", f"A {current['status']} booking cannot become {step.target}.")
    visit = current["visits"][number - 1]
    return Problem(
        409,
        "INVALID_TRANSITION",
        f"Visit {number} is {visit['status']} (the booking {current['status']}); it cannot become {step.target}.",
        errors=[{"field": "visit", "message": f"visit {number} is {visit['status']}"}],
    )


def _visit_number(current: dict, step: lifecycle.Step, asked: int | None) -> int:
    """The visit a step applies to: the one asked for, else the first in one of the step's sources."""
    visits = current["visits"]
    if asked is not None and not 1 <= asked <= len(visits):
        raise Problem(
            422,
            "UNKNOWN_VISIT",
            f"The booking has {len(visits)} visits.",
            errors=[{"field": "visit", "message": f"1 to {len(visits)}"}],
        )
    number = asked or lifecycle.default_visit(step, [visit["status"] for visit in visits])
    if number is None:
        raise Problem(
            409,
            "INVALID_TRANSITION",
            f"No visit of this {current['status']} booking can become {step.target}.",
            errors=[{"field": "visit", "message": "none is " + " or ".join(step.visit_sources)}],
        )
    return number


def _change(current: dict, step: lifecycle.Step, asked: int | None, now: datetime) -> tuple[dict, dict]:
    """The changes and the history entry of ``step`` on the booking as read, or why not."""
    visits = [dict(visit) for visit in current["visits"]]
    if not step.per_visit:
        if current["status"] not in step.sources:
            raise _refused(current, step, None)
        changes: dict = {"status": step.target}
        if step.target == "CANCELLED":  # every seat still to be used goes back; the refund counts those visits
            changes["visits"] = [
                {**visit, "status": "CANCELLED"} if visit["status"] in lifecycle.TO_COME else visit for visit in visits
            ]
            changes["refund"] = refund_for(current, now)
            changes["commission"] = commissions.after_refund(current.get("commission"), changes["refund"])
            changes["follow_ups"] = [  # and every follow-up's seat, call and interpreter
                {**follow, "status": "CANCELLED"} if follow["status"] in lifecycle.FOLLOW_UP_TO_COME else follow
                for follow in current.get("follow_ups") or []
            ]
        return changes, {"from": current["status"], "to": step.target, "visit": None}
    number = _visit_number(current, step, asked)
    visit = visits[number - 1]
    if current["status"] not in step.sources or visit["status"] not in step.visit_sources:
        raise _refused(current, step, number)
    visits[number - 1] = {**visit, "status": step.target}
    changes = {"visits": visits, "status": lifecycle.booking_status([v["status"] for v in visits])}
    return changes, {"from": visit["status"], "to": step.target, "visit": number}


def transition(
    reference: str,
    target: str,
    principal: Principal,
    reason: str | None,
    visit: int | None = None,
    *,
    hold_seconds: int = 120,
) -> dict:
    """Take a lifecycle step on the booking, or on one of its visits, if its current state allows it.
    Cancelling gives back the seat of every visit still to come, through the seat ledger: the claim
    records that seats are going back (RELEASING) before the cancellation is recorded, so the
    sweeper finishes what a process that dies leaves."""
    step = lifecycle.BY_TARGET[target]
    current = find_booking(reference, principal)
    if principal.role not in step.roles:
        raise Problem(403, "FORBIDDEN", step.refusal(principal.role))
    if step.target != "CANCELLED":
        return _apply(reference, step, principal, reason, visit, None)
    # Any cancellation of the booking may carry on one that died halfway: the booking's revision decides.
    by = f"cancel:{reference}"
    claim = ledger.start_release(reference, by, hold_seconds) if current["status"] in step.sources else None
    try:
        updated = _apply(reference, step, principal, reason, visit, claim)
    except (
        Problem
    ):  # refused: the claim keeps what the booking, as it is, keeps (another request may have cancelled it)
        if claim is not None:
            ledger.finish_release(claim, find_booking(reference, principal))
        raise
    except ledger.LeaseLost:  # the sweeper settled the release while this request stalled
        raise ledger.busy() from None
    failpoint("bookings.after_cancel")
    if claim is not None:
        ledger.finish_release(claim, updated)
    return updated


def _apply(
    reference: str,
    step: lifecycle.Step,
    principal: Principal,
    reason: str | None,
    visit: int | None,
    claim: dict | None,
) -> dict:
    """Record the step by an update guarded by the booking's revision, deciding again against a change
    that came first. With a claim being released, the booking is read before the claim is checked, so
    an update decided on a booking the sweeper has fenced since cannot apply (see ledger.py)."""
    for _ in range(ATTEMPTS):
        current = find_booking(reference, principal)
        if claim is not None and not ledger.still_mine(claim):
            raise ledger.LeaseLost(claim)
        now = utcnow()
        changes, entry = _change(current, step, visit, now)
        changes["updated_at"] = now
        entry.update(at=now, by=principal.subject, reason=reason)
        details = {"visit": entry["visit"]} if entry["visit"] else {}
        told = events.event(lifecycle.event_of(step), {**current, **changes}, principal.subject, now, **details)
        updated = store.change_booking(current, changes, entry, [told])
        if updated is not None:
            events.publish(updated)
            return updated
    raise Problem(409, "CONCURRENT_UPDATE", "The booking kept changing; read it again and retry.")


# -- follow-ups: marked by the clinic ----------------------------------------------------------------------

FOLLOW_UP_MARKS = {"HELD": "follow_up.held", "MISSED": "follow_up.missed"}
MARKABLE = ("BOOKED", "ARRIVED", "FULFILLED")  # a confirmed booking, not cancelled, not a no-show


def mark_follow_up(reference: str, number: int, target: str, principal: Principal, reason: str | None) -> dict:
    """Mark a reserved follow-up held or missed (the clinic's admins), by an update guarded by the booking's
    revision. Its seat or call stays claimed, as a fulfilled visit's does."""
    for _ in range(ATTEMPTS):
        current = find_booking(reference, principal)
        follow_ups = current.get("follow_ups") or []
        if not 1 <= number <= len(follow_ups):
            raise Problem(
                422,
                "UNKNOWN_FOLLOW_UP",
                f"The booking has {len(follow_ups)} follow-up appointments.",
                errors=[{"field": "followUp", "message": f"1 to {len(follow_ups)}" if follow_ups else "none reserved"}],
            )
        follow = follow_ups[number - 1]
        if current["status"] not in MARKABLE or follow["status"] != "BOOKED":
            raise Problem(
                409,
                "INVALID_TRANSITION",
                f"Follow-up {number} is {follow['status']} (the booking {current['status']}); "
                f"only a reserved follow-up of a confirmed booking becomes {target}.",
                errors=[{"field": "followUp", "message": f"follow-up {number} is {follow['status']}"}],
            )
        now = utcnow()
        changes = {
            "follow_ups": [{**f, "status": target} if f["number"] == number else f for f in follow_ups],
            "updated_at": now,
        }
        entry = {
            "from": current["status"],
            "to": current["status"],
            "visit": None,
            "follow_up": {"number": number, "from": "BOOKED", "to": target},
            "at": now,
            "by": principal.subject,
            "reason": reason,
        }
        told = events.event(FOLLOW_UP_MARKS[target], {**current, **changes}, principal.subject, now, followUp=number)
        updated = store.change_booking(current, changes, entry, [told])
        if updated is not None:
            events.publish(updated)
            return updated
    raise Problem(409, "CONCURRENT_UPDATE", "The booking kept changing; read it again and retry.")
