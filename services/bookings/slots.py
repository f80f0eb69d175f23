"""Slots: opening and closing them, a clinic's own list, availability, and the next free slot of many packages."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from pymongo.errors import DuplicateKeyError

from services.common.clock import SEOUL, aware, seoul_today, utcnow
from services.common.errors import Problem, not_found, validation_problem
from services.common.failpoints import failpoint
from services.common.ids import object_id
from services.common.pagination import DEFAULT_LIMIT, Page, Sort, page_of
from services.common.tokens import Principal

from . import packages, plans, store
from .reads import Reads

WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
MAX_BULK_SLOTS = 1000
MAX_RANGE_DAYS = 400  # the longest date range a query may ask for
SLOT_ORDER = Sort("order_key", 1)

# How far ahead the next free slot is looked for: first the next few days by date (most
# packages have one there, so most pages cost one query reading a few slots per clinic,
# whatever their size), then in widening windows of weeks. A page of packages with no slot at
# all costs four queries. Past the horizon (16 weeks), ``availability`` finds later slots.
NEXT_FREE_DAYS = 3
NEXT_FREE_WINDOWS = (2, 6, 16)
STARTS_TRIED = 3  # a package's next free slots tried as its plan's start


def require_clinic(principal: Principal, clinic: str) -> None:
    if not principal.administers(clinic):
        raise Problem(403, "FORBIDDEN", "You may only manage your own clinic's slots.")


def _slot_document(clinic: str, package_id: str | None, start: datetime, body: dict) -> dict:
    return store.new_slot(
        clinic, package_id, start.astimezone(UTC), body.get("durationMinutes", 60), body["capacity"], utcnow()
    )


def date_range(query: dict, first_field: str = "from", last_field: str = "to") -> tuple[date, date]:
    """The Seoul dates ``from`` to ``to`` of a query or rule: in order, at most ``MAX_RANGE_DAYS``
    apart, and ending at most ``MAX_RANGE_DAYS`` after today (so no date arithmetic overflows)."""
    first, last = date.fromisoformat(query[first_field]), date.fromisoformat(query[last_field])
    horizon = seoul_today() + timedelta(days=MAX_RANGE_DAYS)
    if last < first:
        raise validation_problem([{"field": last_field, "message": f"must not be before '{first_field}'"}])
    if (last - first).days > MAX_RANGE_DAYS or last > horizon:
        raise validation_problem(
            [{"field": last_field, "message": f"at most {MAX_RANGE_DAYS} days after '{first_field}' and after today"}]
        )
    return first, last


def open_slot(body: dict, principal: Principal) -> dict:
    require_clinic(principal, body["clinic"])
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
    require_clinic(principal, body["clinic"])
    first, last = date_range(body)
    weekdays = {WEEKDAYS.index(day) for day in body["weekdays"]}
    times = [(index, time.fromisoformat(at)) for index, at in enumerate(body["times"])]
    now = utcnow()
    starts: list[tuple[int, datetime]] = []
    passed: list[tuple[int, datetime]] = []
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        if day.weekday() not in weekdays:
            continue
        for index, at in times:
            start = datetime.combine(day, at, SEOUL)
            (starts if start > now else passed).append((index, start))
        if len(starts) + len(passed) > MAX_BULK_SLOTS:
            raise validation_problem([{"field": "to", "message": f"the rule opens more than {MAX_BULK_SLOTS} slots"}])
    documents = [
        _slot_document(body["clinic"], body.get("packageId"), start, body)
        for _, start in sorted(starts, key=lambda pair: pair[1])
    ]
    created = store.insert_missing_slots(documents)  # in one bulk write, not one by one
    errors = [
        {"field": f"times[{index}]", "message": f"{start:%Y-%m-%d %H:%M} (Seoul) has already passed"}
        for index, start in sorted(passed, key=lambda pair: pair[1])
    ]
    return created, len(starts) - len(created), errors


def close_slot(slot_id: str, principal: Principal) -> dict:
    oid = object_id(slot_id, "slot")
    slot = store.slot_by_id(oid)
    if slot is None:
        raise not_found("slot", slot_id)
    require_clinic(principal, slot["clinic"])
    return store.close_slot(oid)


def _free_slots(offers: list[str], start: datetime, end: datetime) -> list[dict]:
    """Open slots with a free seat of these offers starting in (start, end), by start: one query."""
    weeks = store.weeks_between(start, end)
    return _in_order(store.bookable_slots([f"{offer}:{week}" for offer in offers for week in weeks]), start, end)


def _in_order(found: list[dict], start: datetime, end: datetime) -> list[dict]:
    return sorted(
        (slot for slot in found if start < aware(slot["start"]) < end and slot["free"] > 0),
        key=lambda slot: (slot["start"], str(slot["_id"])),
    )


def slot_page(slots: list[dict], query: dict, default_limit: int) -> Page:
    """A page of slots by start (then id), after ``cursor``, with the total when asked."""
    for slot in slots:
        slot["order_key"] = f"{aware(slot['start']).astimezone(UTC).isoformat()}:{slot['_id']}"
    return page_of(
        slots,
        SLOT_ORDER,
        limit=query.get("limit", default_limit),
        cursor=query.get("cursor"),
        with_total=query.get("total", False),
    )


def clinic_slots(query: dict, principal: Principal) -> Page:
    """A clinic's own slots between two Seoul dates, full and closed ones too, for its admins."""
    require_clinic(principal, query["clinic"])
    first, last = date_range(query)
    start = datetime.combine(first, time(), SEOUL)
    end = datetime.combine(last + timedelta(days=1), time(), SEOUL)
    found = [
        slot
        for slot in store.clinic_slots(query["clinic"], start, end)
        if "status" not in query or _slot_status(slot) == query["status"]
    ]
    return slot_page(found, query, DEFAULT_LIMIT)


def _slot_status(slot: dict) -> str:
    return "CLOSED" if slot["status"] == "CLOSED" else ("FREE" if slot["free"] > 0 else "BUSY")


def availability(query: dict, token: str | None, cutoff: datetime, buffer_minutes: int) -> list[dict]:
    """Open slots with a free seat, from the later of ``from`` and ``cutoff`` (the minimum notice) to the
    end of ``to`` (Seoul dates), for a clinic (any of its slots), or for a package: its own and its
    clinic's any-package ones from which its whole plan can be reserved (``plans``; with an interpreter
    for every visit in ``language`` when one is asked for, and the first follow-up of the package's plan
    of the kind ``followUp``: none when it has no such plan)."""
    first, last = date_range(query)
    start = max(datetime.combine(first, time(), SEOUL), cutoff)
    end = datetime.combine(last + timedelta(days=1), time(), SEOUL)
    package = _package(query["packageId"], token) if "packageId" in query else None
    if end <= start:
        return []
    clinic = query.get("clinic", package["clinic"]) if package else query["clinic"]
    offers = [store.offer(clinic, None)] + ([store.offer(clinic, package["id"])] if package else [])
    found = _free_slots(offers, start - timedelta(microseconds=1), end)
    if package is None:
        return found
    follow_up = plans.follow_up_plan_of(package, query.get("followUp"))
    if query.get("followUp") and follow_up is None:
        return []  # the package has no follow-up plan of the kind asked for
    wanted = plans.Wanted(package, {}, query.get("language"), follow_up)
    if package["schedule"]["visits"] == 1 and not wanted.language and not wanted.needs_follow_up:
        return found
    return plans.starts(package, found, wanted.language, follow_up, cutoff, buffer_minutes, utcnow())


def _package(package_id: str, token: str | None) -> dict:
    found = packages.packages_by_id([package_id], token)[0]
    if found is None:
        raise not_found("package", package_id)
    return found


def next_free(asked: list[dict], token: str | None, cutoff: datetime, buffer_minutes: int) -> list[dict | None]:
    """For each {packageId, clinic, language?, followUp?}: the earliest of its next ``STARTS_TRIED`` free
    slots after ``cutoff`` (its own or the clinic's any-package ones, within 16 weeks) from which its whole
    plan can be reserved (``plans``: every later visit's seat in its window, an interpreter for every visit
    in ``language`` when one is asked for, and the first follow-up of the package's plan of the kind
    ``followUp``; None when it has no such plan). The starts are gathered window by window (the next few
    days, then wider), one query each while a package has too few, then every plan is worked out at
    once: one query of slots per later visit (and the interpreters' reads ``plans`` counts), whatever the
    number of packages."""
    failpoint("bookings.next_free")
    ids = [a["packageId"] for a in asked]
    known = dict(zip(ids, packages.packages_by_id(ids, token), strict=True))
    templates = [_template(known.get(a["packageId"]), a) for a in asked]
    offers = [(store.offer(a["clinic"], None), store.offer(a["clinic"], a["packageId"])) for a in asked]
    # a single visit with no interpreter or follow-up is booked from any free slot: its first is enough
    needs = [
        0
        if t is None
        else 1
        if t.package["schedule"]["visits"] == 1 and not (t.language or t.needs_follow_up)
        else STARTS_TRIED
        for t in templates
    ]
    starts = _gather_starts(offers, needs, cutoff)
    wanted = [
        (index, plans.Wanted(template.package, first, template.language, template.follow_up_plan))
        for index, template in enumerate(templates)
        if template is not None
        for first in starts[index]
    ]
    found: list[dict | None] = [None] * len(asked)
    for (index, _), plan in zip(
        wanted, plans.work_out([plan for _, plan in wanted], cutoff, Reads(buffer_minutes, utcnow())), strict=True
    ):
        if found[index] is None and plan.complete:
            found[index] = plan.first
    return found


def _template(package: dict | None, asked: dict) -> plans.Wanted | None:
    """The plan asked for, without its start; None for an unknown package, one of another clinic, or one
    with no follow-up plan of the kind asked for."""
    if package is None or package["clinic"] != asked["clinic"]:
        return None
    follow_up_plan = plans.follow_up_plan_of(package, asked.get("followUp"))
    if asked.get("followUp") and follow_up_plan is None:
        return None
    return plans.Wanted(package, {}, asked.get("language"), follow_up_plan)


def _gather_starts(offers: list[tuple[str, str]], needs: list[int], cutoff: datetime) -> list[list[dict]]:
    """Each package's next ``needs`` free slots of its offers after ``cutoff``: the next few days first (by
    day), then wider windows (by week), one query each while a package has too few."""
    starts: list[list[dict]] = [[] for _ in needs]

    def gather(waiting: list[int], slots: list[dict]) -> list[int]:
        for index in waiting:
            mine = [slot for slot in slots if slot["slot_key"].rsplit(":", 1)[0] in offers[index]]
            starts[index] += mine[: needs[index] - len(starts[index])]
        return [index for index in waiting if len(starts[index]) < needs[index]]

    soon = cutoff + timedelta(days=NEXT_FREE_DAYS)
    days = store.days_between(cutoff, soon)
    waiting = [index for index, need in enumerate(needs) if need]
    keys = [f"{o}:{day}" for index in waiting for o in offers[index] for day in days]
    waiting = gather(waiting, _in_order(store.bookable_slots_on(keys), cutoff, soon) if keys else [])
    searched_until = soon
    for weeks in NEXT_FREE_WINDOWS:
        if not waiting:
            break
        until = cutoff + timedelta(weeks=weeks)
        waiting = gather(waiting, _free_slots(sorted({o for i in waiting for o in offers[i]}), searched_until, until))
        searched_until = until - timedelta(microseconds=1)
    return starts
