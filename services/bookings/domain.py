"""Booking rules as plain functions: slots, the guarded seat, screening, lifecycle, refunds."""
from __future__ import annotations

import secrets
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo, available_timezones

from babel import Locale
from bson import ObjectId
from bson.errors import InvalidId
from flask import current_app
from pymongo.errors import DuplicateKeyError

from services.common import money
from services.common.clients import client_for
from services.common.clock import utcnow
from services.common.errors import Problem, not_found, validation_problem
from services.common.failpoints import failpoint
from services.common.http import UpstreamFailure, UpstreamUnavailable
from services.common.pagination import DEFAULT_LIMIT, Page, Sort
from services.common.readmodel import ReadModel
from services.common.tokens import Principal

from . import store

SEOUL = ZoneInfo("Asia/Seoul")
WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
MAX_BULK_SLOTS = 1000
MAX_RANGE_DAYS = 400  # the longest date range a query may ask for
REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O or 1/I to misread
ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6}
BOOKING_SORT = Sort("created_key", -1)

# FHIR Appointment-like lifecycle: target -> (states it may come from, roles that may do it).
CLINIC = ("CLINIC_ADMIN", "PLATFORM_ADMIN")
ROLE_NAMES = {"AGENCY": "An agency", "CLINIC_ADMIN": "The clinic's admin", "PLATFORM_ADMIN": "A platform admin"}
ACTIONS = {"BOOKED": "confirm", "ARRIVED": "mark the arrival of", "FULFILLED": "mark as fulfilled",
           "NOSHOW": "mark as a no-show", "CANCELLED": "cancel"}
TRANSITIONS = {
    "BOOKED": (("PENDING",), CLINIC),
    "ARRIVED": (("BOOKED",), CLINIC),
    "FULFILLED": (("ARRIVED",), CLINIC),
    "NOSHOW": (("BOOKED",), CLINIC),
    "CANCELLED": (("PENDING", "BOOKED"), ("AGENCY",) + CLINIC),
}


def object_id(raw: str, kind: str) -> ObjectId:
    try:
        return ObjectId(raw)
    except (InvalidId, TypeError):
        raise not_found(kind, raw) from None


def seoul_iso(moment: datetime) -> str:
    return _aware(moment).astimezone(SEOUL).isoformat()


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def booking_cutoff(now: datetime | None = None) -> datetime:
    """The earliest start a new booking may take: now plus the minimum notice."""
    return (now or utcnow()) + timedelta(hours=current_app.config["SETTINGS"].min_notice_hours)


# -- slots ---------------------------------------------------------------------------------------

def _require_clinic(principal: Principal, clinic: str) -> None:
    if not principal.administers(clinic):
        raise Problem(403, "FORBIDDEN", "You may only manage your own clinic's slots.")


def _slot_document(clinic: str, package_id: str | None, start: datetime, body: dict) -> dict:
    return store.new_slot(clinic, package_id, start.astimezone(timezone.utc), body.get("durationMinutes", 60), body["capacity"],
                          utcnow())


def date_range(query: dict, first_field: str = "from", last_field: str = "to") -> tuple[date, date]:
    """The Seoul dates ``from`` to ``to`` of a query or rule: in order, at most ``MAX_RANGE_DAYS``
    apart, and ending at most ``MAX_RANGE_DAYS`` after today (so no date arithmetic overflows)."""
    first, last = date.fromisoformat(query[first_field]), date.fromisoformat(query[last_field])
    horizon = datetime.now(SEOUL).date() + timedelta(days=MAX_RANGE_DAYS)
    if last < first:
        raise validation_problem([{"field": last_field, "message": f"must not be before '{first_field}'"}])
    if (last - first).days > MAX_RANGE_DAYS or last > horizon:
        raise validation_problem([{"field": last_field,
                                   "message": f"at most {MAX_RANGE_DAYS} days after '{first_field}' and after today"}])
    return first, last


def open_slot(body: dict, principal: Principal) -> dict:
    _require_clinic(principal, body["clinic"])
    start = datetime.fromisoformat(body["start"].replace("Z", "+00:00"))
    if start <= utcnow():
        raise validation_problem([{"field": "start", "message": "must be in the future"}])
    if start > utcnow() + timedelta(days=MAX_RANGE_DAYS):
        raise validation_problem([{"field": "start", "message": f"at most {MAX_RANGE_DAYS} days ahead"}])
    document = _slot_document(body["clinic"], body.get("packageId"), start, body)
    try:
        store.insert_slot(document)
    except DuplicateKeyError:
        raise Problem(409, "SLOT_EXISTS", "The clinic already has a slot for this package at this time.") from None
    return document


def open_slots_bulk(body: dict, principal: Principal) -> tuple[list[dict], int, list[dict]]:
    """Slots on the given weekdays at the given Seoul times from ``from`` to ``to``: the slots
    opened, how many existed already (skipped, so repeating a rule opens nothing twice), and an
    error for each time that has already passed."""
    _require_clinic(principal, body["clinic"])
    first, last = date_range(body)
    weekdays = {WEEKDAYS.index(day) for day in body["weekdays"]}
    times = [(index, time.fromisoformat(at)) for index, at in enumerate(body["times"])]
    now = utcnow()
    starts, passed = [], []
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        if day.weekday() not in weekdays:
            continue
        for index, at in times:
            start = datetime.combine(day, at, SEOUL)
            (starts if start > now else passed).append((index, start))
        if len(starts) + len(passed) > MAX_BULK_SLOTS:
            raise validation_problem([{"field": "to", "message": f"the rule opens more than {MAX_BULK_SLOTS} slots"}])
    created = []
    for _, start in sorted(starts, key=lambda pair: pair[1]):
        document = _slot_document(body["clinic"], body.get("packageId"), start, body)
        try:
            store.insert_slot(document)
            created.append(document)
        except DuplicateKeyError:
            pass
    errors = [{"field": f"times[{index}]", "message": f"{start:%Y-%m-%d %H:%M} (Seoul) has already passed"}
              for index, start in sorted(passed, key=lambda pair: pair[1])]
    return created, len(starts) - len(created), errors


def close_slot(slot_id: str, principal: Principal) -> dict:
    oid = object_id(slot_id, "slot")
    slot = store.slot_by_id(oid)
    if slot is None:
        raise not_found("slot", slot_id)
    _require_clinic(principal, slot["clinic"])
    return store.close_slot(oid)


def _free_slots(offers: list[str], start: datetime, end: datetime) -> list[dict]:
    """Open slots with a free seat of these offers starting in (start, end), by start: one query."""
    weeks = store.weeks_between(start, end)
    return _in_order(store.bookable_slots([f"{offer}:{week}" for offer in offers for week in weeks]), start, end)


def _in_order(found: list[dict], start: datetime, end: datetime) -> list[dict]:
    return sorted((slot for slot in found if start < _aware(slot["start"]) < end and slot["free"] > 0),
                  key=lambda slot: (slot["start"], str(slot["_id"])))


SLOT_ORDER = Sort("order_key", 1)


def slot_page(slots: list[dict], query: dict, default_limit: int) -> Page:
    """A page of slots by start (then id), after ``cursor``, with the total when asked."""
    for slot in slots:
        slot["order_key"] = f"{_aware(slot['start']).astimezone(timezone.utc).isoformat()}:{slot['_id']}"
    model = ReadModel.of(slots, lambda slot: ([], None), ("order_key",), strip=("order_key",))
    return model.page([], None, SLOT_ORDER, limit=query.get("limit", default_limit), cursor=query.get("cursor"),
                      with_total=query.get("total", False))


def clinic_slots(query: dict, principal: Principal) -> Page:
    """A clinic's own slots between two Seoul dates, full and closed ones too, for its admins."""
    _require_clinic(principal, query["clinic"])
    first, last = date_range(query)
    start = datetime.combine(first, time(), SEOUL)
    end = datetime.combine(last + timedelta(days=1), time(), SEOUL)
    found = [slot for slot in store.clinic_slots(query["clinic"], start, end)
             if "status" not in query or _slot_status(slot) == query["status"]]
    return slot_page(found, query, DEFAULT_LIMIT)


def _slot_status(slot: dict) -> str:
    return "CLOSED" if slot["status"] == "CLOSED" else ("FREE" if slot["free"] > 0 else "BUSY")


def availability(query: dict) -> list[dict]:
    """Open slots with a free seat, from the later of ``from`` and the minimum notice to the
    end of ``to`` (Seoul dates), for the package and for any package of the clinic."""
    first, last = date_range(query)
    start = max(datetime.combine(first, time(), SEOUL), booking_cutoff())
    end = datetime.combine(last + timedelta(days=1), time(), SEOUL)
    if end <= start:
        return []
    clinic = query.get("clinic") or clinic_of_package(query["packageId"])
    offers = [store.offer(clinic, None)] + ([store.offer(clinic, query["packageId"])] if "packageId" in query else [])
    return _free_slots(offers, start - timedelta(microseconds=1), end)


def clinic_of_package(package_id: str) -> str:
    answer = client_for("packages").get(f"/packages/{package_id}")
    if answer.status_code == 404:
        raise not_found("package", package_id)
    if answer.status_code != 200:
        raise UpstreamUnavailable("packages")
    return answer.json()["clinic"]


# How far ahead the next free slot is looked for: first the next few days by date (most
# packages have one there, so most pages cost one query reading a few slots per clinic,
# whatever their size), then in widening windows of weeks. A page of packages with no slot at
# all costs four queries. Past the horizon (16 weeks), ``availability`` finds later slots.
NEXT_FREE_DAYS = 3
NEXT_FREE_WINDOWS = (2, 6, 16)


def next_free(packages: list[dict]) -> list[dict | None]:
    """For each {packageId, clinic}: its earliest bookable slot (its own or the clinic's any-package ones)."""
    failpoint("bookings.next_free")
    cutoff = booking_cutoff()
    found: list[dict | None] = [None] * len(packages)
    offers = [(store.offer(p["clinic"], None), store.offer(p["clinic"], p["packageId"])) for p in packages]

    def settle(waiting: list[int], slots: list[dict]) -> list[int]:
        for index in waiting:
            found[index] = next((slot for slot in slots if slot["slot_key"].rsplit(":", 1)[0] in offers[index]), None)
        return [index for index in waiting if found[index] is None]

    soon = cutoff + timedelta(days=NEXT_FREE_DAYS)
    days = store.days_between(cutoff, soon)
    slots = store.bookable_slots_on([f"{o}:{day}" for pair in offers for o in pair for day in days])
    waiting = settle(list(range(len(packages))), _in_order(slots, cutoff, soon))
    searched_until = soon
    for weeks in NEXT_FREE_WINDOWS:
        if not waiting:
            break
        until = cutoff + timedelta(weeks=weeks)
        waiting = settle(waiting, _free_slots(sorted({o for i in waiting for o in offers[i]}), searched_until, until))
        searched_until = until - timedelta(microseconds=1)
    return found


# -- the seat ------------------------------------------------------------------------------------

def take_seat(slot: dict, cutoff: datetime, reference: str) -> bool:
    """A seat of an open, future slot for ``reference``. A seat the reference already holds (an
    earlier attempt that died) is its seat."""
    return reference in slot["holders"] or store.take_seat(slot["_id"], cutoff, reference)


def give_seat_back(slot_id: ObjectId | str, reference: str) -> None:
    store.give_seat_back(ObjectId(slot_id), reference)


def hold_seat(slot_id: ObjectId, reference: str) -> None:
    """Record, before the seat is taken, that ``reference`` is taking one; the sweeper reclaims the
    seat if no booking is recorded before the hold expires."""
    store.put_hold(reference, slot_id, utcnow() + timedelta(seconds=current_app.config["SETTINGS"].seat_hold_seconds))


def release_hold(reference: str) -> None:
    store.drop_hold(reference)


def sweep(now: datetime | None = None, hold_seconds: int = 120, batch: int = 500) -> dict:
    """Give back the seats of bookings that were never recorded or were cancelled by a process that
    died before giving the seat back. Every step is guarded, so sweepers may run anywhere, at once."""
    now = now or utcnow()
    reclaimed = released = 0
    for hold in store.expired_holds(now, batch):
        if not store.claim_hold(hold, now + timedelta(seconds=hold_seconds)):
            continue
        if store.booking_by_reference(hold["_id"], {"_id": 1}) is None:
            give_seat_back(hold["slot_id"], hold["_id"])
            reclaimed += 1
        store.drop_hold(hold["_id"])
    for booking in store.pending_releases(batch):
        give_seat_back(booking["slot_id"], booking["reference"])
        store.seat_released(booking["_id"])
        released += 1
    return {"reclaimed": reclaimed, "released": released}


def _seat_looks_free(slot: dict, cutoff: datetime) -> bool:
    return slot["status"] == "OPEN" and _aware(slot["start"]) > cutoff and slot["free"] > 0


def why_no_seat(slot: dict | None, cutoff: datetime) -> Problem:
    if slot is None:
        return Problem(422, "UNKNOWN_SLOT", "No such slot.", errors=[{"field": "slotId", "message": "unknown slot"}])
    if slot["status"] != "OPEN":
        return Problem(409, "SLOT_CLOSED", "The clinic has closed this slot.")
    if _aware(slot["start"]) <= cutoff:
        return Problem(409, "SLOT_TOO_SOON", "The slot starts too soon to be booked.")
    return Problem(409, "SLOT_FULL", "Every seat of this slot is taken.")


# -- patients and screening ---------------------------------------------------------------------------

_ENGLISH = Locale("en")
_TIME_ZONES = available_timezones()


def check_patient(patient: dict) -> None:
    """What a schema cannot say: real codes for country, language and time zone."""
    errors = []
    if patient["nationality"] not in _ENGLISH.territories:
        errors.append({"field": "patient.nationality", "message": "not an ISO 3166-1 country code"})
    if patient["preferredLanguage"] not in _ENGLISH.languages:
        errors.append({"field": "patient.preferredLanguage", "message": "not an ISO 639-1 language code"})
    if patient["homeTimeZone"] not in _TIME_ZONES:
        errors.append({"field": "patient.homeTimeZone", "message": "not an IANA time zone"})
    if errors:
        raise validation_problem(errors)


def applies(rule: dict, patient: dict) -> bool:
    when = rule["appliesWhen"]
    if "fitzpatrickAtLeast" in when:
        return ROMAN[patient["fitzpatrickSkinType"]] >= when["fitzpatrickAtLeast"]
    if "isotretinoinWithinMonths" in when:
        return patient["isotretinoinLast6Months"]
    if "activeAcne" in when:
        return patient["activeAcne"] == when["activeAcne"]
    return False


def screen(rules: list[dict], patient: dict) -> list[dict]:
    """The package's rules that the patient's answers trigger: warnings, or a refusal when blocking."""
    triggered = [rule for rule in rules if applies(rule, patient)]
    blocking = [rule for rule in triggered if rule["blocking"]]
    if blocking:
        raise Problem(422, "SCREENING_BLOCKED", "The patient's answers rule this package out; the clinic must assess first.",
                      errors=[{"field": "patient", "message": f"{rule['code']}: {rule['text']}"} for rule in blocking])
    return [{"code": rule["code"], "text": rule["text"]} for rule in triggered]


# -- creating a booking --------------------------------------------------------------------------

def new_reference() -> str:
    return "CB-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))


def _packages_call(method: str, path: str, token: str, body: dict) -> dict:
    answer = client_for("packages").request(method, path, token=token, json=body)
    if answer.status_code == 200:
        return answer.json()
    problem = answer.json() if answer.headers.get("Content-Type", "").endswith("json") else {}
    if answer.status_code == 404:
        raise Problem(422, "UNKNOWN_QUOTE", "No such quote.", errors=[{"field": "quoteId", "message": "unknown quote"}])
    if answer.status_code == 409:
        raise Problem(409, problem.get("code", "QUOTE_UNAVAILABLE"), problem.get("detail", "The quote cannot be booked."))
    raise UpstreamUnavailable("packages")


def create_booking(body: dict, principal: Principal, token: str, reference: str, resumed: bool = True) -> dict:
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
    cutoff = booking_cutoff()
    if slot is None or (reference not in slot["holders"] and not _seat_looks_free(slot, cutoff)):
        raise why_no_seat(slot, cutoff)
    lock = {"bookingReference": reference}
    quote = _packages_call("POST", f"/quotes/{body['quoteId']}/lock", token, lock)
    seat = False
    try:
        package = quote["package"]
        warnings = screen(package["screeningRules"], body["patient"])
        if slot["clinic"] != quote["clinic"] or slot["package_id"] not in (None, quote["packageId"]):
            raise Problem(422, "SLOT_NOT_FOR_PACKAGE", "The slot is not open for this package.",
                          errors=[{"field": "slotId", "message": "belongs to another clinic or package"}])
        hold_seat(slot_id, reference)
        seat = take_seat(slot, cutoff, reference)
        failpoint("bookings.after_seat")
        if not seat:
            release_hold(reference)
            raise why_no_seat(store.slot_by_id(slot_id), cutoff)
        now = utcnow()
        document = {
            "reference": reference, "agency": principal.agency or principal.subject, "clinic": quote["clinic"],
            "package_id": quote["packageId"], "package_version": quote["packageVersion"], "slot_id": str(slot_id),
            "slot_start": slot["start"], "slot_duration_minutes": slot["duration_minutes"], "quote_id": quote["id"],
            "price": {"quoteId": quote["id"], "currency": quote["currency"], "krwPerUnit": quote["exchangeRate"]["krwPerUnit"],
                      "rateAsOf": quote["exchangeRate"]["asOf"], "lines": quote["lines"], "total": quote["total"]},
            "package": package, "package_texts": quote.get("packageTexts") or {},
            "patient": body["patient"], "interpreter_language": quote["interpreterLanguage"],
            "follow_up_plan": quote["followUpPlan"], "warnings": warnings, "status": "PENDING",
            "history": [{"from": None, "to": "PENDING", "at": now, "by": principal.subject, "reason": None}],
            "refund": None, "created_at": now, "updated_at": now, "created_key": f"{now.isoformat()}:{reference}",
        }
        store.insert_booking(document)
        release_hold(reference)
        return document
    except BaseException:
        if seat:
            give_seat_back(slot_id, reference)
            release_hold(reference)
        try:
            _packages_call("POST", f"/quotes/{body['quoteId']}/unlock", token, lock)
        except (Problem, UpstreamFailure):
            pass  # the lock lapses with the quote's expiry
        raise


# -- reading and changing bookings -----------------------------------------------------------------

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


def refund_for(booking: dict, now: datetime) -> dict:
    """The refund the booking's own copy of the cancellation policy gives, counted in Seoul days
    before the first visit."""
    days_before = (_aware(booking["slot_start"]).astimezone(SEOUL).date() - now.astimezone(SEOUL).date()).days
    tiers = sorted(booking["package"]["cancellationPolicy"]["tiers"], key=lambda tier: -tier["daysBefore"])
    percent = next((tier["refundPercent"] for tier in tiers if days_before >= tier["daysBefore"]), 0)
    price = booking["price"]
    digits = money.minor_units(price["currency"])
    return {"percent": percent, "daysBefore": days_before, "krw": int(money.percent_of(price["total"]["krw"], percent)),
            "amount": money.as_text(money.percent_of(Decimal(price["total"]["amount"]), percent, digits)),
            "currency": price["currency"], "krwPerUnit": price["krwPerUnit"], "rateAsOf": price["rateAsOf"]}


def transition(reference: str, target: str, principal: Principal, reason: str | None) -> dict:
    """Move a booking to ``target`` if its current state allows it: the allowed states are part of
    the update itself, so two racing changes cannot both apply. Cancelling gives the seat back."""
    sources, roles = TRANSITIONS[target]
    current = find_booking(reference, principal)
    if principal.role not in roles:
        raise Problem(403, "FORBIDDEN", f"{ROLE_NAMES[principal.role]} may not {ACTIONS[target]} a booking; "
                                        f"{' or '.join(ROLE_NAMES[role].lower() for role in roles)} may.")
    now = utcnow()
    changes = {"status": target, "updated_at": now}
    if target == "CANCELLED":
        changes["refund"] = refund_for(current, now)
        changes["seat_release_pending"] = True
    entry = {"from": current["status"], "to": target, "at": now, "by": principal.subject, "reason": reason}
    updated = store.change_booking(current["_id"], list(sources), changes, entry)
    if updated is None:
        latest = store.booking_by_reference(reference, {"status": 1})
        raise Problem(409, "INVALID_TRANSITION", f"A {latest['status']} booking cannot become {target}.")
    if target == "CANCELLED":
        failpoint("bookings.after_cancel")
        give_seat_back(updated["slot_id"], updated["reference"])
        store.seat_released(updated["_id"])
    return updated
