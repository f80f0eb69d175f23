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

from services.common.clock import SEOUL, aware, seoul_date
from services.common.eventlog import EventLog
from services.common.pagination import Page, Sort, paginate
from services.common.store import Registry, batches

from .models import ALIAS, Booking, IdempotencyKey, SeatHold, Slot

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


def holds():
    return SeatHold._get_collection()


def keys():
    return IdempotencyKey._get_collection()


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
def insert_missing_slots(documents: list[dict]) -> int:
    """Insert-if-absent by (clinic, package, start), in batches the driver's timeout allows."""
    opened = 0
    for batch in batches(documents):
        operations = [
            UpdateOne(
                {"clinic": s["clinic"], "package_id": s["package_id"], "start": s["start"]},
                {"$setOnInsert": s},
                upsert=True,
            )
            for s in batch
        ]
        opened += slots().bulk_write(operations, ordered=False).upserted_count
    return opened


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
    return slots().find_one_and_update(
        {"_id": slot_id},
        {"$set": {"status": "CLOSED"}, "$unset": {"bookable": "", "bookable_day": ""}},
        return_document=ReturnDocument.AFTER,
    )


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
def take_seat(slot_id: ObjectId, cutoff: datetime, reference: str) -> bool:
    """One seat of an open slot starting after ``cutoff`` for ``reference``: a single guarded
    update, never read-check-write. False when the guard did not hold."""
    return (
        slots()
        .update_one(
            {
                "_id": slot_id,
                "status": "OPEN",
                "start": {"$gt": cutoff},
                "holders": {"$ne": reference},
                "free": {"$gt": 0},
            },
            [
                {
                    "$set": {
                        "booked": {"$add": ["$booked", 1]},
                        "free": {"$add": ["$free", -1]},
                        "holders": {"$concatArrays": ["$holders", {"$literal": [reference]}]},
                    }
                },
                _BOOKABLE,
            ],
        )
        .modified_count
        == 1
    )


@registry.write("_id_")
def give_seat_back(slot_id: ObjectId, reference: str) -> bool:
    """Free the seat ``reference`` holds, if it holds one: giving it back twice frees it once."""
    changed = slots().update_one(
        {"_id": slot_id, "holders": reference},
        [
            {
                "$set": {
                    "booked": {"$add": ["$booked", -1]},
                    "free": {"$add": ["$free", 1]},
                    "holders": {"$filter": {"input": "$holders", "cond": {"$ne": ["$$this", {"$literal": reference}]}}},
                }
            },
            _BOOKABLE,
        ],
    )
    return changed.modified_count == 1


def migrate_slots() -> int:
    """Bring slots written before ``free`` and the bookable keys existed up to date, once: a
    marker in ``migrations`` says it is done, so later starts skip the scan. Run by ``init``
    (start-up), never on a request path; safe to run twice at once (every write is guarded)."""
    migrations = slots().database["migrations"]
    if migrations.find_one({"_id": "slots.bookable_day"}) is not None:
        return 0
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
    migrations.update_one({"_id": "slots.bookable_day"}, {"$setOnInsert": {"slots": changed}}, upsert=True)
    return changed


# -- seat holds ----------------------------------------------------------------------------------
# A hold is the durable record of seats being taken for a reservation, in one of these states, and
# moves between them only by updates guarded on the state it was read in:
#   HELD      its seats are being taken or are taken, until ``expires_at``;
#   BOOKING   a booking is being recorded from it (a checkout hold), until ``expires_at`` (a lease at
#             least as long as the hold had; ``held_until`` keeps the hold's own expiry);
#   EXPIRING  a sweeper, or the partner's release, is giving its seats back, until ``expires_at``;
#   BOOKED    its booking is recorded and owns the seats; RELEASED  its seats went back.
# BOOKED and RELEASED holds have no ``expires_at`` (no sweeper looks at them again) and are purged
# ``SETTLED_KEPT_DAYS`` after ``settled_at``, so a late call can still be told what became of them.
LIVE_HOLD_STATES = ("HELD", "BOOKING", "EXPIRING")


@registry.write("_id_")
def put_hold(reference: str, slot_ids: list[ObjectId], expires_at: datetime) -> None:
    """Record that ``reference`` is taking a seat of each slot (its first one also as ``slot_id``, as
    holds written before a booking had several visits have it)."""
    ids = [str(slot_id) for slot_id in slot_ids]
    holds().replace_one(
        {"_id": reference},
        {"state": "HELD", "slot_id": ids[0], "slot_ids": ids, "expires_at": expires_at},
        upsert=True,
    )


@registry.write("_id_")
def put_checkout_hold(
    reference: str,
    slot_ids: list[ObjectId],
    expires_at: datetime,
    hold_id: str,
    owner: str,
    quote_id: str,
    travel: list | None,
) -> None:
    """A hold the caller turns into a booking later (holdVisits): the seats' hold, with its id and owner."""
    ids = [str(slot_id) for slot_id in slot_ids]
    holds().replace_one(
        {"_id": reference},
        {
            "state": "HELD",
            "slot_id": ids[0],
            "slot_ids": ids,
            "expires_at": expires_at,
            "hold_id": hold_id,
            "owner": owner,
            "quote_id": quote_id,
            "travel": travel,
        },
        upsert=True,
    )


@registry.write("_id_")
def put_move_hold(hold: str, reference: str, slot_ids: list[ObjectId], expires_at: datetime) -> None:
    """A visit of ``reference`` moving: its new slot's seat and its old one, one of which the booking
    will not keep (the sweeper gives that one back if the move's process dies)."""
    ids = [str(slot_id) for slot_id in slot_ids]
    holds().replace_one(
        {"_id": hold},
        {"state": "HELD", "reference": reference, "slot_id": ids[0], "slot_ids": ids, "expires_at": expires_at},
        upsert=True,
    )


@registry.read("_id_")
def hold_of(reference: str) -> dict | None:
    return holds().find_one({"_id": reference})


@registry.read("hold_id")
def hold_by_id(hold_id: str) -> dict | None:
    return holds().find_one({"hold_id": hold_id})


@registry.write("_id_")
def start_booking_hold(hold: dict, now: datetime, lease: datetime, token: str) -> dict | None:
    """HELD → BOOKING for the booking being recorded from a live hold, as read: from now on no
    sweeper touches it until ``lease`` (never sooner than the hold's own expiry). None when the hold
    has expired, or another request or a sweeper took it first."""
    if aware(hold["expires_at"]) <= now:
        return None
    return holds().find_one_and_update(
        {"_id": hold["_id"], "state": "HELD", "expires_at": hold["expires_at"]},
        {"$set": {"state": "BOOKING", "expires_at": lease, "held_until": hold["expires_at"], "claim": token}},
        return_document=ReturnDocument.AFTER,
    )


@registry.write("_id_")
def resume_hold(hold_id: str, token: str) -> None:
    """BOOKING → HELD with the hold's own expiry, when the booking ``token`` was recording was refused."""
    holds().update_one(
        {"_id": hold_id, "state": "BOOKING", "claim": token},
        [{"$set": {"state": "HELD", "expires_at": "$held_until"}}, {"$unset": ["held_until", "claim"]}],
    )


@registry.write("_id_")
def settle_hold(hold_id: str, state: str, now: datetime, from_states: tuple[str, ...] = LIVE_HOLD_STATES) -> bool:
    """A live hold → BOOKED or RELEASED; False when it was not in one of ``from_states``."""
    return (
        holds()
        .update_one(
            {"_id": hold_id, "state": {"$in": list(from_states)}},
            {"$set": {"state": state, "settled_at": now}, "$unset": {"expires_at": "", "held_until": "", "claim": ""}},
        )
        .modified_count
        == 1
    )


@registry.write("_id_")
def start_releasing_hold(hold_id: str, until: datetime) -> dict | None:
    """HELD → EXPIRING when the partner gives a hold back; None when it is not HELD (booked, being
    booked, or already going)."""
    return holds().find_one_and_update(
        {"_id": hold_id, "state": "HELD"},
        {"$set": {"state": "EXPIRING", "expires_at": until}},
        return_document=ReturnDocument.AFTER,
    )


@registry.read("expiry")
def expired_holds(now: datetime, limit: int) -> list[dict]:
    return list(holds().find({"expires_at": {"$lt": now}}).limit(limit))


@registry.write("_id_")
def claim_hold(hold: dict, until: datetime) -> bool:
    """A live hold past its expiry, as read → EXPIRING, so only this sweeper settles it (one that dies
    leaves it to expire again). The guard on the expiry read keeps it off a hold taken meanwhile."""
    return (
        holds().find_one_and_update(
            {"_id": hold["_id"], "state": hold.get("state", "HELD"), "expires_at": hold["expires_at"]},
            {"$set": {"state": "EXPIRING", "expires_at": until}},
        )
        is not None
    )


def migrate_holds() -> int:
    """Holds written before they had a state are HELD: once, at start-up (``init``)."""
    return holds().update_many({"state": {"$exists": False}}, {"$set": {"state": "HELD"}}).modified_count


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
def change_booking(
    booking_id: ObjectId, revision: int | None, changes: dict, entry: dict, reported: list[dict]
) -> dict | None:
    """Apply ``changes``, append a history entry and the events that report them, and bump the
    revision, if the booking is still at ``revision`` (None: a booking recorded before it had one);
    None if another change came first."""
    return bookings().find_one_and_update(
        {"_id": booking_id, "revision": revision},
        {
            "$set": {**changes, "outbox_pending": True},
            "$push": {"history": entry, "outbox": {"$each": reported}},
            "$inc": {"revision": 1},
        },
        return_document=ReturnDocument.AFTER,
    )


@registry.write("_id_")
def seat_released(booking_id: ObjectId) -> None:
    bookings().update_one({"_id": booking_id}, {"$unset": {"seat_release_pending": ""}})


@registry.read("seat_release")
def pending_releases(limit: int, projection: dict) -> list[dict]:
    return list(bookings().find({"seat_release_pending": True}, projection).limit(limit))


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
def take_over_key(key: str, now: datetime, lease_until: datetime) -> dict | None:
    return keys().find_one_and_update(
        {"_id": key, "state": "IN_FLIGHT", "lease_until": {"$lt": now}},
        {"$set": {"lease_until": lease_until}},
        return_document=ReturnDocument.AFTER,
    )


@registry.write("_id_")
def finish_key(key: str, status: int, body: dict) -> None:
    keys().update_one({"_id": key}, {"$set": {"state": "DONE", "response_status": status, "response_body": body}})


@registry.write("_id_")
def lapse_key(key: str, now: datetime) -> None:
    """End an in-flight claim's lease now; it keeps its reference for the retry that takes it over."""
    keys().update_one({"_id": key, "state": "IN_FLIGHT"}, {"$set": {"lease_until": now - timedelta(milliseconds=1)}})
