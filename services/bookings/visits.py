"""The visits of a treatment: after the first, each next one inside the package's window, in as
few trips as the minimum stay allows."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from services.common import series
from services.common.clock import SEOUL, seoul_date, utcnow
from services.common.errors import Problem
from services.common.ids import object_id

from . import followups, interpreters, packages, plans, store
from .ledger import not_for_package, seat_looks_free, serves, why_no_seat
from .reads import Reads


def plan_from(
    package: dict,
    first: dict,
    language: str | None,
    cutoff: datetime,
    buffer_minutes: int,
    follow_up_plan: dict | None = None,
    reads: Reads | None = None,
) -> plans.Wanted:
    """The whole plan from ``first`` (a slot): for each later visit, the earliest slot with a free seat
    inside the package's ``visitWindow`` after the visit before it (and an interpreter free for it, when
    ``language`` is given), with that window's Seoul dates; a visit with none is proposed as null, with
    what it is ``missing``, and so are the visits after it; then the first follow-up's time of
    ``follow_up_plan``. Refused INTERPRETER_UNAVAILABLE when no interpreter is free for the first.
    ``reads``: kept for what the caller chooses next (a booking: the interpreters, the follow-ups)."""
    wanted = [plans.Wanted(package, first, language, follow_up_plan)]
    plan = plans.work_out(wanted, cutoff, reads or Reads(buffer_minutes, utcnow()))[0]
    if plan.visits[0]["slot"] is None and language:
        raise interpreters.unavailable(interpreters.Visit(1, first["start"], first["duration_minutes"], None), language)
    return plan


def propose(
    package: dict, first: dict, language: str | None, cutoff: datetime, buffer_minutes: int, reads: Reads | None = None
) -> list[dict]:
    """The visits after ``first`` of its whole plan (``plan_from``)."""
    return plan_from(package, first, language, cutoff, buffer_minutes, reads=reads).visits[1:]


def no_slot_in_window(proposed: list[dict], language: str | None = None) -> Problem | None:
    """Why a proposed series cannot be booked: the first visit with no free slot in its window (or, when
    its window has free seats, no interpreter free at any)."""
    missing = next((visit for visit in proposed if visit["slot"] is None), None)
    if missing is None:
        return None
    number, earliest, latest = missing["number"], missing["earliest"], missing["latest"]
    if missing.get("missing") == plans.INTERPRETER:
        return Problem(
            409,
            "INTERPRETER_UNAVAILABLE",
            f"Visit {number} has no slot between {earliest} and {latest} with a {language} interpreter free: "
            "pick every visit's slot, or another first.",
        )
    return Problem(
        409,
        "NO_SLOT_IN_WINDOW",
        f"Visit {number} has no free slot between {earliest} and {latest}: pick every visit's slot, or another first.",
    )


def visit_options(quote_id: str, first_slot_id: str, token: str | None, cutoff: datetime, buffer_minutes: int) -> dict:
    """For a quoted package and the slot of its first visit: each later visit's proposal (see
    ``plan_from``, with the quote's interpreter language), the trips they make and the first follow-up's
    time of the quote's follow-up plan."""
    quote = packages.quote(quote_id, token)
    package = quote["package"]
    first = store.slot_by_id(object_id(first_slot_id, "slot"))
    if first is None or not seat_looks_free(first, cutoff):
        raise why_no_seat(first, cutoff)
    if not serves(first, package["clinic"], package["id"]):
        raise not_for_package(["firstSlotId"])
    follow_up_plan = followups.plan_of(package, quote.get("followUpPlan"))
    try:
        plan = plan_from(package, first, quote.get("interpreterLanguage"), cutoff, buffer_minutes, follow_up_plan)
    except Problem as refused:
        refused.errors = [{"field": "firstSlotId", "message": "no interpreter free"}]
        raise
    visits = [{"number": 1, "slot": first, "earliest": None, "latest": None}, *plan.visits[1:]]
    chosen = [visit["slot"] for visit in visits]
    days = [seoul_date(slot["start"]) for slot in chosen if slot is not None]
    return {
        "visits": visits,
        "trips": series.trips(days, package["schedule"]["minimumStayDays"]) if plan.visits_complete else [],
        "followUp": plan.follow_up,
        "complete": plan.complete,
        "window": package["visitWindow"],
    }


def _first_trip(package: dict, free: dict[str, list[dict]], first_day: date, last_day: date) -> list[dict] | None:
    """The first trip's visits of ``package`` inside [first_day, last_day] (the days a visit may take
    and still leave the minimum stay before departing), each on the earliest free slot: None if
    there are none. ``free`` holds the free slots by Seoul date."""
    window, stay = series.Window.of(package["visitWindow"]), package["schedule"]["minimumStayDays"]

    def earliest(start: date, end: date) -> list[dict]:
        days = [start + timedelta(days=n) for n in range((min(end, last_day) - start).days + 1)]
        found = [slot for day in days for slot in free.get(day.isoformat(), [])]
        return sorted(found, key=lambda slot: (slot["start"], str(slot["_id"])))

    for first in earliest(first_day, last_day):
        visits, before = [{"number": 1, "slot": first}], first
        for number in range(2, package["schedule"]["visits"] + 1):
            if window.min_days > stay:  # the next visit is a trip of its own
                return visits
            following = earliest(*window.after(seoul_date(before["start"])))
            if following:
                before = following[0]
                visits.append({"number": number, "slot": before})
            elif window.max_days <= stay:  # the next visit must fall in this trip, and cannot
                break
            else:
                return visits
        else:
            return visits
    return None


def trip_fit(
    package_ids: list[str],
    arrive: date,
    depart: date,
    token: str | None,
    cutoff: datetime,
    language: str | None = None,
    buffer_minutes: int = 30,
) -> list:
    """For each package (in order; None for an unknown one): can the visits of its first trip be
    booked between ``arrive`` and ``depart``, each after the arrival day with the package's
    minimum stay after it before departing (and with an interpreter in ``language`` free for each,
    when one is asked for)? One query for every package and day of the trip, and the interpreters'
    calendars of the clinics read once (``plans.interpreted``)."""
    found_packages = packages.packages_by_id(package_ids, token)
    found = [p for p in found_packages if p is not None]
    days = store.days_between(datetime.combine(arrive, time(), SEOUL), datetime.combine(depart, time(), SEOUL))[1:]
    keys = [f"{store.offer(p['clinic'], package)}:{day}" for p in found for package in (None, p["id"]) for day in days]
    slots = [s for s in store.bookable_slots_on(keys) if seat_looks_free(s, cutoff)] if keys else []
    if language and slots:
        served = plans.interpreted(slots, language, buffer_minutes, utcnow())
        slots = [slot for slot in slots if str(slot["_id"]) in served]
    results: list[dict | None] = []
    for package in found_packages:
        if package is None:
            results.append(None)
            continue
        offers = {store.offer(package["clinic"], None), store.offer(package["clinic"], package["id"])}
        free: dict[str, list[dict]] = {}
        for slot in slots:
            if slot["day_key"].rsplit(":", 1)[0] in offers:
                free.setdefault(slot["day_key"].rsplit(":", 1)[1], []).append(slot)
        last_day = depart - timedelta(days=package["schedule"]["minimumStayDays"])
        visits = _first_trip(package, free, arrive + timedelta(days=1), last_day)
        results.append(
            {
                "packageId": package["id"],
                "fits": visits is not None,
                "tripsNeeded": package["schedule"]["tripsNeeded"],
                "visits": visits or [],
            }
        )
    return results
