"""Every query and update of the bookings service, each beside the index that serves it.

Seats: a slot keeps ``booked``, ``free`` (capacity less booked) and ``holders`` (the references
holding its seats), changed only together by one guarded update: a seat is taken with
``free > 0`` and the reference not yet a holder, given back only while the reference is one.
The same update keeps ``bookable``: the slot's offer and Seoul week
(``<clinic>:<package id or *>:<YYYY>-W<ww>``) while it is open with a free seat, and absent
otherwise, and ``bookable_day``, the same with its Seoul date. "Which slots of these packages
have a free seat in these weeks (or days)" is then one ``$in`` on one index, on MongoDB and on
the embedded server alike, whatever the number of packages; the day keys let the next free
slot be found reading only the next few days' slots.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bson import ObjectId
from mongoengine.connection import get_db
from pymongo import ReturnDocument, UpdateOne
from pymongo.errors import BulkWriteError

from services.common import lifecycle
from services.common.clock import SEOUL, seoul_date
from services.common.eventlog import EventLog
from services.common.pagination import Page, Sort, paginate
from services.common.store import Registry, batches, once, upsert_missing

from .models import (
    ALIAS,
    Agreement,
    Booking,
    Claim,
    ConsultationHours,
    IdempotencyKey,
    Interpreter,
    InterpreterProvider,
    Registration,
    Slot,
    Unit,
)

registry = Registry("bookings")
event_log = EventLog(lambda: get_db(ALIAS), registry, scopes=("agency", "clinic"))
ANY_PACKAGE = "*"


def offer(clinic: str, package_id: str | None) -> str:
    return f"{clinic}:{package_id or ANY_PACKAGE}"


def week_of(moment: datetime) -> str:
    year, week, _ = moment.astimezone(SEOUL).isocalendar()
    return f"{year}-W{week:02d}"


def weeks_between(first: datetime, last: datetime) -> list[str]:
    """The Seoul weeks from ``first``'s to ``last``'s, in order."""
    day, end = seoul_date(first), seoul_date(last)
    monday = day - timedelta(days=day.weekday())
    weeks = []
    while monday <= end:
        year, week, _ = monday.isocalendar()
        weeks.append(f"{year}-W{week:02d}")
        monday += timedelta(days=7)
    return weeks


def day_of(moment: datetime) -> str:
    return seoul_date(moment).isoformat()


def days_between(first: datetime, last: datetime) -> list[str]:
    """The Seoul dates from ``first``'s to ``last``'s, in order."""
    day, end = seoul_date(first), seoul_date(last)
    return [(day + timedelta(days=n)).isoformat() for n in range((end - day).days + 1)]


def slot_key(clinic: str, package_id: str | None, start: datetime) -> str:
    return f"{offer(clinic, package_id)}:{week_of(start)}"


def day_key(clinic: str, package_id: str | None, start: datetime) -> str:
    return f"{offer(clinic, package_id)}:{day_of(start)}"


# An aggregation stage that recomputes ``bookable`` and ``bookable_day`` after a seat or status
# change, in the same update.
_OPEN_WITH_A_SEAT = {"$and": [{"$eq": ["$status", "OPEN"]}, {"$gt": ["$free", 0]}]}
_BOOKABLE = {
    "$set": {
        "bookable": {"$cond": [_OPEN_WITH_A_SEAT, "$slot_key", "$$REMOVE"]},
        "bookable_day": {"$cond": [_OPEN_WITH_A_SEAT, "$day_key", "$$REMOVE"]},
    }
}


def slots():
    return Slot._get_collection()


def bookings():
    return Booking._get_collection()


def claims():
    return Claim._get_collection()


def keys():
    return IdempotencyKey._get_collection()


def units():
    return Unit._get_collection()


def interpreters():
    return Interpreter._get_collection()


def providers():
    return InterpreterProvider._get_collection()


def consultations():
    return ConsultationHours._get_collection()


def registrations():
    return Registration._get_collection()


def agreements():
    return Agreement._get_collection()


# -- slots ---------------------------------------------------------------------------------------


def new_slot(
    clinic: str, package_id: str | None, start: datetime, duration_minutes: int, capacity: int, now: datetime
) -> dict:
    key, day = slot_key(clinic, package_id, start), day_key(clinic, package_id, start)
    return {
        "clinic": clinic,
        "package_id": package_id,
        "start": start,
        "duration_minutes": duration_minutes,
        "capacity": capacity,
        "booked": 0,
        "free": capacity,
        "holders": [],
        "status": "OPEN",
        "slot_key": key,
        "day_key": day,
        "bookable": key,
        "bookable_day": day,
        "created_at": now,
    }


@registry.write("clinic_package_start")
def insert_slot(document: dict) -> None:
    """Raises DuplicateKeyError when the clinic has a slot for the package at that start."""
    slots().insert_one(document)


@registry.write("clinic_package_start")
def insert_missing_slots(documents: list[dict]) -> list[dict]:
    """Insert-if-absent by (clinic, package, start), in batches the server answers in time (``upsert_missing``):
    the ones inserted (with their ids)."""
    operations = [
        UpdateOne(
            {"clinic": s["clinic"], "package_id": s["package_id"], "start": s["start"]},
            {"$setOnInsert": s},
            upsert=True,
        )
        for s in documents
    ]
    upserted = upsert_missing(slots(), operations)
    return [{**documents[index], "_id": slot_id} for index, slot_id in sorted(upserted.items())]


@registry.read("_id_")
def slots_by_id(slot_ids: list[ObjectId]) -> list[dict | None]:
    """The slots in the order asked, None for unknown ones: one query."""
    found = {doc["_id"]: doc for doc in slots().find({"_id": {"$in": slot_ids}})}
    return [found.get(slot_id) for slot_id in slot_ids]


@registry.read("_id_")
def slot_by_id(slot_id: ObjectId) -> dict | None:
    return slots().find_one({"_id": slot_id})


@registry.write("_id_")
def close_slot(slot_id: ObjectId) -> dict | None:
    """Close a slot, marking it ``proposing`` until every booking it holds a seat for has its change proposed
    (``changes.py``; the sweeper finishes what a request left)."""
    return slots().find_one_and_update(
        {"_id": slot_id},
        {"$set": {"status": "CLOSED", "proposing": True}, "$unset": {"bookable": "", "bookable_day": ""}},
        return_document=ReturnDocument.AFTER,
    )


@registry.read("proposing")
def slots_proposing(limit: int) -> list[dict]:
    """Closed slots whose bookings may still wait for their change to be proposed."""
    return list(slots().find({"proposing": True}).limit(limit))


@registry.write("_id_")
def proposals_made(slot_id: ObjectId) -> None:
    """Every booking on a closed slot has its change proposed (a closed slot gains no holder: none can come)."""
    slots().update_one({"_id": slot_id, "status": "CLOSED"}, {"$unset": {"proposing": ""}})


@registry.read("bookable")
def bookable_slots(slot_keys: list[str]) -> list[dict]:
    """Open slots with a free seat under any of these keys (offer and week)."""
    return list(slots().find({"bookable": {"$in": slot_keys}}, batch_size=1000))


@registry.read("bookable_day")
def bookable_slots_on(day_keys: list[str]) -> list[dict]:
    """Open slots with a free seat under any of these keys (offer and Seoul date)."""
    return list(slots().find({"bookable_day": {"$in": day_keys}}, batch_size=1000))


@registry.read("clinic_start")
def clinic_slots(clinic: str, start: datetime, end: datetime) -> list[dict]:
    """Every slot of a clinic starting in [start, end), full and closed ones too, by start."""
    return list(slots().find({"clinic": clinic, "start": {"$gte": start, "$lt": end}}).sort("start", 1))


@registry.write("_id_")
def take_seat(slot_id: ObjectId, cutoff: datetime, holder: str) -> bool:
    """One seat of an open slot starting after ``cutoff`` for ``holder``: a single guarded update,
    never read-check-write. False when the guard did not hold."""
    return (
        slots()
        .update_one(
            {
                "_id": slot_id,
                "status": "OPEN",
                "start": {"$gt": cutoff},
                "holders": {"$ne": holder},
                "free": {"$gt": 0},
            },
            [
                {
                    "$set": {
                        "booked": {"$add": ["$booked", 1]},
                        "free": {"$add": ["$free", -1]},
                        "holders": {"$concatArrays": ["$holders", {"$literal": [holder]}]},
                    }
                },
                _BOOKABLE,
            ],
        )
        .modified_count
        == 1
    )


@registry.write("_id_")
def give_seat_back(slot_id: ObjectId, holder: str) -> bool:
    """Free the seat ``holder`` holds, if it holds one: giving it back twice frees it once."""
    changed = slots().update_one(
        {"_id": slot_id, "holders": holder},
        [
            {
                "$set": {
                    "booked": {"$add": ["$booked", -1]},
                    "free": {"$add": ["$free", 1]},
                    "holders": {"$filter": {"input": "$holders", "cond": {"$ne": ["$$this", {"$literal": holder}]}}},
                }
            },
            _BOOKABLE,
        ],
    )
    return changed.modified_count == 1


def migrate_slots() -> int:
    """Bring slots written before ``free`` and the bookable keys existed up to date, once. Run by
    ``init`` (start-up), never on a request path."""

    def migrate() -> int:
        changed = 0
        stale = list(
            slots().find(
                {"day_key": {"$exists": False}},
                {"clinic": 1, "package_id": 1, "start": 1, "capacity": 1, "booked": 1, "status": 1},
            )
        )
        for batch in batches(stale):
            operations = []
            for slot in batch:
                key, day = (
                    slot_key(slot["clinic"], slot.get("package_id"), slot["start"]),
                    day_key(slot["clinic"], slot.get("package_id"), slot["start"]),
                )
                free = slot["capacity"] - slot["booked"]
                change: dict = {"$set": {"free": free, "slot_key": key, "day_key": day}}
                if slot["status"] == "OPEN" and free > 0:
                    change["$set"].update(bookable=key, bookable_day=day)
                operations.append(UpdateOne({"_id": slot["_id"], "day_key": {"$exists": False}}, change))
            changed += slots().bulk_write(operations, ordered=False).modified_count
        return changed

    return once(slots().database, "slots.bookable_day", migrate)


# -- units: an interpreter's half hours, a provider's weekly visits ------------------------------------
# Taken and given back like a slot's seat: guarded by the holder and the count, in one update. A unit no
# one took yet does not exist: the first holder inserts it (a racing insert meets the unique _id).


@registry.write("_id_")
def take_units(taken: list[dict], holder: str) -> int | None:
    """A place of each unit (``{"id", "capacity"}``) for ``holder``, in order, in one command of guarded
    upserts that stops at the first it cannot take (full, or ``holder`` has a place already: an update that
    finds its unit so tries to insert it, and meets the unique ``_id``): that unit's index, None when every
    one was taken. In order, as one unit at a time would: two bookings after the same half hours meet at
    the first, and the one that loses it takes none of the rest."""
    operations = [
        UpdateOne(
            {"_id": unit["id"], "count": {"$lt": unit["capacity"]}, "holders": {"$ne": holder}},
            {"$inc": {"count": 1}, "$push": {"holders": holder}, "$setOnInsert": _unit_fields(unit["id"])},
            upsert=True,
        )
        for unit in taken
    ]
    if not operations:
        return None
    try:
        units().bulk_write(operations, ordered=True)
    except BulkWriteError as error:
        failed = error.details.get("writeErrors", [])
        if len(failed) != 1 or failed[0]["code"] != 11000:
            raise
        return failed[0]["index"]
    return None


def _unit_fields(unit_id: str) -> dict:
    """What a half hour's id says, kept as fields its index reads (``interpreter_block``)."""
    kind, *parts = unit_id.split("|")
    return {"interpreter": parts[0], "block": parts[1]} if kind == "time" and len(parts) == 2 else {}


@registry.write("_id_")
def give_units_back(unit_ids: list[str], holder: str) -> None:
    """Give back the place ``holder`` has of each unit, if it has one, in one command: twice is once."""
    if unit_ids:
        guarded = {"$inc": {"count": -1}, "$pull": {"holders": holder}}
        units().bulk_write([UpdateOne({"_id": one, "holders": holder}, guarded) for one in unit_ids], ordered=False)


@registry.read("_id_")
def units_by_id(unit_ids: list[str]) -> dict[str, dict]:
    """The units that exist of these, by id: one query."""
    return {doc["_id"]: doc for doc in units().find({"_id": {"$in": unit_ids}})}


@registry.read("interpreter_block")
def interpreter_units(interpreter_id: str, first_block: str) -> list[dict]:
    """An interpreter's half hours taken from ``first_block`` (a Seoul ISO 8601 start) on: the visits her
    changed hours may leave."""
    found = units().find({"interpreter": interpreter_id, "block": {"$gte": first_block}})
    return [unit for unit in found if unit["count"] > 0]


def migrate_units() -> int:
    """Interpreters' half hours taken before they kept their interpreter and block as fields get them, once
    (start-up, never a request path)."""

    def migrate() -> int:
        stale = list(units().find({"_id": {"$regex": "^time\\|"}, "interpreter": {"$exists": False}}, {"_id": 1}))
        operations = [UpdateOne({"_id": unit["_id"]}, {"$set": _unit_fields(unit["_id"])}) for unit in stale]
        return sum(units().bulk_write(batch).modified_count for batch in batches(operations)) if operations else 0

    return once(units().database, "units.interpreter_block", migrate)


# -- consultation hours: when a clinic takes remote video follow-ups ---------------------------------


@registry.read("_id_")
def consultation_hours_of(clinic: str) -> dict | None:
    return consultations().find_one({"_id": clinic})


@registry.read("_id_")
def consultation_hours_of_clinics(clinics: list[str]) -> dict[str, dict]:
    """The consultation hours these clinics keep, by clinic: one query."""
    return {doc["_id"]: doc for doc in consultations().find({"_id": {"$in": clinics}})}


@registry.write("_id_")
def replace_consultation_hours(document: dict) -> None:
    consultations().replace_one({"_id": document["_id"]}, document, upsert=True)


@registry.write("_id_")
def insert_consultation_hours(document: dict) -> None:
    """Raises DuplicateKeyError when the clinic has its hours already."""
    consultations().insert_one(document)


# -- interpreters and their providers ---------------------------------------------------------------


@registry.read("serves")
def interpreters_serving(keys: list[str]) -> list[dict]:
    """Active interpreters who serve any of these ``<clinic>:<language>`` keys."""
    return list(interpreters().find({"serves": {"$in": keys}}))


@registry.read("_id_")
def interpreters_by_id(ids: list[ObjectId]) -> list[dict | None]:
    found = {doc["_id"]: doc for doc in interpreters().find({"_id": {"$in": ids}})}
    return [found.get(interpreter_id) for interpreter_id in ids]


@registry.read("provider")
def interpreters_of(provider: str) -> list[dict]:
    """A provider's interpreters, by name (a provider has tens, not thousands)."""
    return sorted(interpreters().find({"provider": provider}), key=lambda doc: (doc["name"], str(doc["_id"])))


@registry.write("_id_")
def insert_interpreter(document: dict) -> None:
    interpreters().insert_one(document)


@registry.write("_id_")
def update_interpreter(interpreter_id: ObjectId, read_at: datetime | None, changes: dict) -> dict | None:
    """Apply ``changes`` if the interpreter is as read (``updated_at``); None when someone changed her since."""
    return interpreters().find_one_and_update(
        {"_id": interpreter_id, "updated_at": read_at}, {"$set": changes}, return_document=ReturnDocument.AFTER
    )


@registry.read("_id_")
def providers_by_id(ids: list[str]) -> dict[str, dict]:
    return {doc["_id"]: doc for doc in providers().find({"_id": {"$in": ids}})}


@registry.read("clinics")
def providers_serving(clinic: str) -> list[dict]:
    """The providers whose interpreters serve a clinic (a handful)."""
    return sorted(providers().find({"clinics": clinic}), key=lambda doc: doc["_id"])


@registry.read("kind")
def every_provider() -> list[dict]:
    """Every provider, by id: a platform admin's list (tens of documents)."""
    found = providers().find({"kind": {"$in": ["CLINIC", "INTERPRETATION_PROVIDER"]}})
    return sorted(found, key=lambda doc: doc["_id"])


@registry.write("_id_")
def insert_missing_interpreters(provider_documents: list[dict], interpreter_documents: list[dict]) -> None:
    """Insert-if-absent by id, providers then interpreters, in bulk batches (synthetic data)."""
    for collection, documents in ((providers(), provider_documents), (interpreters(), interpreter_documents)):
        for batch in batches(documents):
            collection.bulk_write([UpdateOne({"_id": d["_id"]}, {"$setOnInsert": d}, upsert=True) for d in batch])


@registry.write("_id_")
def insert_provider(document: dict) -> None:
    """Raises DuplicateKeyError when a provider has that id."""
    providers().insert_one(document)


@registry.write("_id_")
def update_provider(provider_id: str, changes: dict) -> dict | None:
    return providers().find_one_and_update(
        {"_id": provider_id}, {"$set": changes}, return_document=ReturnDocument.AFTER
    )


def set_serves(provider: str, clinics: list[str]) -> None:
    """Every interpreter of a provider serves the clinics it now serves (its ``serves`` keys recomputed):
    an admin's change of a provider, each interpreter by its ``_id``."""
    for interpreter in interpreters_of(provider):
        for _ in range(5):  # guarded by her languages and activity as read: a change of her own meanwhile wins
            active = interpreter.get("active", True)
            keys = serves(clinics, interpreter["languages"]) if active else []
            guard = {
                "_id": interpreter["_id"],
                "languages": interpreter["languages"],
                "updated_at": interpreter.get("updated_at"),
            }
            if interpreters().update_one(guard, {"$set": {"serves": keys}}).matched_count:
                break
            interpreter = interpreters().find_one({"_id": interpreter["_id"]}) or interpreter


def serves(clinics: list[str], languages: list[str]) -> list[str]:
    return [f"{clinic}:{language}" for clinic in clinics for language in languages]


# -- the seat ledger's claims ---------------------------------------------------------------------
# A claim moves between states only by ``move_claim``: an update guarded by the state and the lease
# token it was read with, which sets a new lease. So of two requests, or a request and a sweeper,
# that read it alike, one moves it and the other finds nothing to move (see ledger.py).


@registry.write("_id_")
def insert_claim(document: dict) -> None:
    """Raises DuplicateKeyError when the reservation has a claim already."""
    claims().insert_one(document)


@registry.read("_id_")
def claim_of(reference: str) -> dict | None:
    return claims().find_one({"_id": reference})


@registry.read("hold_id")
def claim_by_hold(hold_id: str) -> dict | None:
    return claims().find_one({"hold_id": hold_id})


@registry.write("_id_")
def move_claim(reference: str, states: tuple[str, ...], lease: str, changes: dict, unset: tuple = ()) -> bool:
    """Apply ``changes`` to the claim if it is still in one of ``states`` under ``lease``; False if it
    moved meanwhile. (An update, not a findAndModify: on the embedded server that costs three times
    as much, and the caller knows what it wrote.)"""
    update: dict = {"$set": changes} if changes else {}
    if unset:
        update["$unset"] = dict.fromkeys(unset, "")
    moved = claims().update_one({"_id": reference, "state": {"$in": list(states)}, "lease": lease}, update)
    return moved.matched_count == 1


@registry.read("expiry")
def expired_claims(now: datetime, limit: int) -> list[dict]:
    """Claims not settled by their expiry: a process died, or a hold ran out."""
    return list(claims().find({"expires_at": {"$lt": now}}).limit(limit))


# -- bookings ------------------------------------------------------------------------------------


@registry.write("reference_1")
def insert_booking(document: dict) -> None:
    bookings().insert_one(document)


@registry.read("reference_1")
def booking_by_reference(reference: str, projection: dict | None = None) -> dict | None:
    return bookings().find_one({"reference": reference}, projection)


@registry.read("reference_1")
def bookings_by_reference(references: list[str]) -> list[dict | None]:
    found = {doc["reference"]: doc for doc in bookings().find({"reference": {"$in": references}})}
    return [found.get(reference) for reference in references]


def booking_filter(agency: str | None, clinic: str | None, status: str | None) -> dict:
    """Equalities in the order of the index that serves them (see ``Booking``'s indexes)."""
    return {k: v for k, v in (("agency", agency), ("clinic", clinic), ("status", status)) if v is not None}


@registry.read("agency, clinic or status, then created_key")
def booking_page(find: dict, sort: Sort, *, limit: int, cursor: str | None, with_total: bool) -> Page:
    return paginate(bookings(), find, sort, limit=limit, cursor=cursor, with_total=with_total)


@registry.write("_id_")
def change_booking(current: dict, changes: dict, entry: dict, reported: list[dict]) -> dict | None:
    """Apply ``changes`` to the booking as read, append a history entry and the events that report them,
    and bump the revision, if the booking is still at the revision it was read at: the booking after;
    None if another change came first. (An update, not a findAndModify: on the embedded server a
    findAndModify with more than its ``_id`` in the filter reads the whole collection.)"""
    changed = bookings().update_one(
        {"_id": current["_id"], "revision": current["revision"]},
        {
            "$set": {**changes, "outbox_pending": True},
            "$push": {"history": entry, "outbox": {"$each": reported}},
            "$inc": {"revision": 1},
        },
    )
    if changed.matched_count != 1:
        return None
    return {
        **current,
        **changes,
        "outbox_pending": True,
        "history": [*current.get("history", []), entry],
        "outbox": [*current.get("outbox", []), *reported],
        "revision": current["revision"] + 1,
    }


@registry.write("reference_1")
def fence_booking(reference: str) -> None:
    """Bump the booking's revision with no change, so that an update a stalled request decided on the
    booking as it read it before can no longer apply (the sweeper's fence, see ledger.py)."""
    bookings().update_one({"reference": reference}, {"$inc": {"revision": 1}})


# -- registrations, agreements, and what statements and reports read ----------------------------------


@registry.read("_id_")
def registrations_by_id(ids: list[str]) -> dict[str, dict]:
    """The registrations of these ids that exist, by id: one query."""
    return {doc["_id"]: doc for doc in registrations().find({"_id": {"$in": ids}})}


@registry.write("_id_")
def put_registration(document: dict) -> dict:
    """Record or renew a registration (its first record keeps its creation time); the registration after."""
    created = document.pop("created_at")
    return registrations().find_one_and_update(
        {"_id": document["_id"]},
        {"$set": document, "$setOnInsert": {"created_at": created}},
        upsert=True,
        return_document=ReturnDocument.AFTER,
    )


@registry.write("_id_")
def insert_missing_registrations(documents: list[dict]) -> int:
    """Insert-if-absent by id (the seed): a registration an admin renewed since stays as it is."""
    inserted = 0
    for batch in batches(documents):
        operations = [UpdateOne({"_id": d["_id"]}, {"$setOnInsert": d}, upsert=True) for d in batch]
        inserted += registrations().bulk_write(operations, ordered=False).upserted_count
    return inserted


@registry.read("warn_on")
def registrations_to_warn(today: str, limit: int) -> list[dict]:
    """Registrations whose expiry is to be warned of by ``today`` (a Seoul ISO date) and was not yet."""
    return list(registrations().find({"warn_on": {"$lte": today}}).limit(limit))


@registry.write("_id_")
def mark_warned(registration_id: str, warn_on: str, expires_on: str) -> bool:
    """Note that the expiry the registration still has was warned of; False if it was renewed or noted meanwhile."""
    noted = registrations().update_one(
        {"_id": registration_id, "warn_on": warn_on, "expires_on": expires_on},
        {"$unset": {"warn_on": ""}, "$set": {"warned_for": expires_on}},
    )
    return noted.matched_count == 1


@registry.read("_id_")
def agreement_by_id(agreement_id: str) -> dict | None:
    return agreements().find_one({"_id": agreement_id})


@registry.write("_id_")
def put_agreement(document: dict) -> dict:
    created = document.pop("created_at")
    return agreements().find_one_and_update(
        {"_id": document["_id"]},
        {"$set": document, "$setOnInsert": {"created_at": created}},
        upsert=True,
        return_document=ReturnDocument.AFTER,
    )


@registry.write("_id_")
def insert_missing_agreements(documents: list[dict]) -> int:
    inserted = 0
    for batch in batches(documents):
        operations = [UpdateOne({"_id": d["_id"]}, {"$setOnInsert": d}, upsert=True) for d in batch]
        inserted += agreements().bulk_write(operations, ordered=False).upserted_count
    return inserted


ACCOUNTED = {  # what a statement or a report reads of a booking
    "reference": 1,
    "agency": 1,
    "clinic": 1,
    "status": 1,
    "slot_start": 1,
    "commission": 1,
    "price": 1,
    "refund": 1,
    "patient.nationality": 1,
    "package.items": 1,
    "package.title": 1,
}


@registry.read("agency_first_visit")
def agency_bookings_between(agency: str, start: datetime, end: datetime) -> list[dict]:
    """An agency's bookings whose first visit starts in [start, end), by first visit."""
    found = bookings().find({"agency": agency, "slot_start": {"$gte": start, "$lt": end}}, ACCOUNTED)
    return sorted(found, key=lambda doc: (doc["slot_start"], doc["reference"]))


@registry.read("clinic_first_visit")
def clinic_bookings_between(clinic: str, start: datetime, end: datetime) -> list[dict]:
    """A clinic's bookings whose first visit starts in [start, end), by first visit."""
    found = bookings().find({"clinic": clinic, "slot_start": {"$gte": start, "$lt": end}}, ACCOUNTED)
    return sorted(found, key=lambda doc: (doc["slot_start"], doc["reference"]))


# -- events ----------------------------------------------------------------------------------------


@registry.read("outbox")
def pending_outboxes(limit: int) -> list[dict]:
    """Bookings whose outbox holds events not yet logged."""
    return list(bookings().find({"outbox_pending": True}, {"outbox": 1}).limit(limit))


@registry.write("_id_")
def clear_outbox(booking_id: ObjectId, event_ids: list[str]) -> None:
    """Take logged events out of a booking's outbox; the flag goes once it is empty (an event pushed
    meanwhile keeps it)."""
    bookings().update_one({"_id": booking_id}, {"$pull": {"outbox": {"id": {"$in": event_ids}}}})
    bookings().update_one({"_id": booking_id, "outbox": {"$size": 0}}, {"$unset": {"outbox_pending": ""}})


# -- idempotency keys ----------------------------------------------------------------------------


@registry.write("_id_")
def insert_key(claim: dict) -> None:
    """Raises DuplicateKeyError when the key is claimed already."""
    keys().insert_one(claim)


@registry.read("_id_")
def key_by_id(key: str) -> dict | None:
    return keys().find_one({"_id": key})


@registry.write("_id_")
def take_over_key(key: str, now: datetime, lease_until: datetime, lease: str) -> dict | None:
    """An in-flight key whose request stopped renewing its lease, for this request (``lease``)."""
    taken = keys().update_one(
        {"_id": key, "state": "IN_FLIGHT", "lease_until": {"$lt": now}},
        {"$set": {"lease_until": lease_until, "lease": lease}},
    )
    return key_by_id(key) if taken.matched_count == 1 else None


@registry.write("_id_")
def renew_key(key: str, lease: str, lease_until: datetime) -> bool:
    """Keep the key for the request still working under ``lease``; False once another took it over."""
    renewed = keys().update_one(
        {"_id": key, "state": "IN_FLIGHT", "lease": lease}, {"$set": {"lease_until": lease_until}}
    )
    return renewed.matched_count == 1


@registry.write("_id_")
def rekey(key: str, lease: str, reference: str) -> bool:
    """A new reference for the request holding the key (its reservation was released for good)."""
    return (
        keys()
        .update_one({"_id": key, "state": "IN_FLIGHT", "lease": lease}, {"$set": {"reference": reference}})
        .matched_count
        == 1
    )


@registry.write("_id_")
def finish_key(key: str, lease: str, status: int, body: dict) -> bool:
    """Record the answer of the request holding the key; False if it no longer does."""
    finished = keys().update_one(
        {"_id": key, "state": "IN_FLIGHT", "lease": lease},
        {"$set": {"state": "DONE", "response_status": status, "response_body": body}},
    )
    return finished.matched_count == 1


@registry.write("_id_")
def lapse_key(key: str, lease: str, now: datetime) -> None:
    """End the lease of the request holding the key now; it keeps its reference for the retry that
    takes it over."""
    keys().update_one(
        {"_id": key, "state": "IN_FLIGHT", "lease": lease}, {"$set": {"lease_until": now - timedelta(milliseconds=1)}}
    )


# -- start-up migrations, and the checker's scans: an operator's commands, never a request path -------


def migrate_bookings() -> int:
    """Bookings recorded before they kept their visits and a revision get them, once (start-up)."""

    def migrate() -> int:
        changed = 0
        for booking in bookings().find({"$or": [{"visits": {"$in": [None, []]}}, {"revision": None}]}):
            visits = booking.get("visits") or [
                {
                    "number": 1,
                    "slot_id": booking["slot_id"],
                    "start": booking["slot_start"],
                    "duration_minutes": booking.get("slot_duration_minutes", 60),
                    "status": lifecycle.legacy_visit_status(booking["status"]),
                }
            ]
            done = bookings().update_one(
                {"_id": booking["_id"], "revision": booking.get("revision")},
                {"$set": {"visits": visits, "revision": booking.get("revision") or 0}},
            )
            changed += done.modified_count
        return changed

    return once(bookings().database, "bookings.visits", migrate)


def migrate_refund_rates() -> int:
    """Refunds recorded before they kept the booking's locked rate get it from the booking's price, once
    (start-up): every refund is then shown as it is stored."""

    def migrate() -> int:
        changed = 0
        for booking in bookings().find({"refund": {"$ne": None}, "refund.krwPerUnit": {"$exists": False}}):
            rate = {"krwPerUnit": booking["price"]["krwPerUnit"], "rateAsOf": booking["price"]["rateAsOf"]}
            done = bookings().update_one(
                {"_id": booking["_id"], "revision": booking.get("revision")},
                {"$set": {"refund": {**rate, **booking["refund"]}}},
            )
            changed += done.modified_count
        return changed

    return once(bookings().database, "bookings.refund_rates", migrate)


def _seat(slot_id: str, visit: int, holder: str) -> dict:
    return {"kind": "SEAT", "resource": slot_id, "visit": visit, "holder": holder}


def _migrate_hold(hold: dict, now: datetime) -> int:
    """A seat hold kept before the ledger as its claim (1), or a move's hold settled by what the booking
    records, or nothing for a booking's own hold (0)."""
    reference = hold.get("reference") or hold["_id"]
    slot_ids = hold.get("slot_ids") or [hold["slot_id"]]
    state = hold.get("state", "HELD")
    if "/" in hold["_id"]:  # a visit's move: the booking keeps the slot it records, the other goes back
        if state not in ("BOOKED", "RELEASED"):
            booking = bookings().find_one({"reference": reference}, {"visits": 1})
            kept_slots = {v["slot_id"] for v in (booking or {}).get("visits", []) if v["status"] != "CANCELLED"}
            for slot_id in slot_ids:
                if slot_id not in kept_slots:
                    give_seat_back(ObjectId(slot_id), reference)
        return 0
    if bookings().find_one({"reference": reference}, {"_id": 1}) is not None:
        return 0  # the booking's claim follows from the booking
    claim = {
        "_id": reference,
        "state": "RELEASED" if state in ("BOOKED", "RELEASED") else ("EXPIRING" if state == "EXPIRING" else "HELD"),
        "lease": "migrated",
        "items": [_seat(slot_id, n, reference) for n, slot_id in enumerate(slot_ids, start=1)],
        "quote_id": hold.get("quote_id"),
        "created_at": now,
        **{k: hold[k] for k in ("hold_id", "owner", "travel") if hold.get(k) is not None},
    }
    if claim["state"] == "RELEASED":
        claim["settled_at"] = hold.get("settled_at") or now
    else:
        claim.update(expires_at=hold.get("held_until") or hold.get("expires_at") or now, ending="EXPIRED")
    claims().update_one({"_id": reference}, {"$setOnInsert": claim}, upsert=True)
    return 1


def _migrate_booking_claim(booking: dict, now: datetime) -> None:
    """A booking kept before the ledger gets the claim of the seats it keeps."""
    if booking.get("seat_release_pending"):  # cancelled by a process that died before giving the seats back
        for visit in booking["visits"]:
            if visit["status"] == "CANCELLED":
                give_seat_back(ObjectId(visit["slot_id"]), booking["reference"])
        bookings().update_one({"_id": booking["_id"]}, {"$unset": {"seat_release_pending": ""}})
    kept = [v for v in booking["visits"] if v["status"] != "CANCELLED"]
    claim = {
        "_id": booking["reference"],
        "state": "BOOKED" if kept else "RELEASED",
        "lease": "migrated",
        "items": [_seat(v["slot_id"], v["number"], booking["reference"]) for v in kept],
        "quote_id": booking["quote_id"],
        "created_at": now,
        **({} if kept else {"settled_at": now}),
    }
    claims().update_one({"_id": booking["reference"]}, {"$setOnInsert": claim}, upsert=True)


def migrate_claims(now: datetime) -> int:
    """The seat holds and bookings kept before the ledger, as claims, once (start-up; stop the earlier
    bookings processes and sweepers first). A booking's seats were held under its reference."""
    database = bookings().database

    def migrate() -> int:
        changed = sum(_migrate_hold(hold, now) for hold in database["seat_holds"].find())
        for booking in bookings().find({}, {"reference": 1, "visits": 1, "quote_id": 1, "seat_release_pending": 1}):
            _migrate_booking_claim(booking, now)
            changed += 1
        database.drop_collection("seat_holds")
        return changed

    return once(database, "claims.ledger", migrate)


def every_slot() -> list[dict]:
    """Every slot's seats (the checker)."""
    return list(slots().find({}, {"booked": 1, "free": 1, "capacity": 1, "holders": 1}))


def every_unit() -> list[dict]:
    """Every unit taken or once taken (the checker)."""
    return list(units().find({}))


def unsettled_claims() -> list[dict]:
    """Every claim not yet released (the checker)."""
    return list(claims().find({"state": {"$ne": "RELEASED"}}))


def every_booking(projection: dict) -> list[dict]:
    """Every booking, as projected (the checker)."""
    return list(bookings().find({}, projection))


# -- what the metrics read -----------------------------------------------------------------------------

IN_FLIGHT_LIMIT = 10_000  # claims in flight read per scrape, at most: past it the gauges say "at least"


@registry.read("expiry")
def claims_in_flight(limit: int = IN_FLIGHT_LIMIT) -> list[dict]:
    """Claims not yet settled: only these have an expiry (a reservation being made or held, a move or a
    cancellation halfway, one left for the sweeper), so this reads what is in flight, never the bookings
    made, however many there are."""
    return list(
        claims()
        .find({"expires_at": {"$gte": datetime(1970, 1, 1)}}, {"state": 1, "hold_id": 1, "items": 1, "expires_at": 1})
        .limit(limit)
    )


@registry.write("_id_")
def count_sweep(counts: dict[str, int]) -> None:
    """Add a sweeper round's outcomes to the running totals the metrics read."""
    changes = {f"claims.{outcome}": n for outcome, n in counts.items() if n}
    if changes:
        get_db(ALIAS)["counters"].update_one({"_id": "sweeper"}, {"$inc": changes}, upsert=True)


@registry.read("_id_")
def sweep_totals() -> dict[str, int]:
    found = get_db(ALIAS)["counters"].find_one({"_id": "sweeper"}) or {}
    return found.get("claims", {})
