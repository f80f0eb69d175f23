"""Slots, bookings, seat holds and idempotency keys.

A slot's ``booked`` count only ever changes through guarded atomic updates in MongoDB, each
together with the slot's ``holders`` (the references holding its seats): a seat is taken with
``booked < capacity`` and the reference not yet a holder, and given back only while the
reference is one. So any number of bookings processes stay exact, and giving a seat back twice
gives it back once.

A booking in progress first records a seat hold (its reference, its slot, an expiry). If its
process dies before the booking is recorded, the sweeper finds the expired hold and gives the
seat back; a cancelled booking whose seat is not yet given back is marked, and the sweeper
finishes that too (``python -m services.bookings sweep``).
"""

from __future__ import annotations

from mongoengine import BooleanField, DateTimeField, DictField, Document, IntField, ListField, StringField

from services.common import lifecycle
from services.common.clock import utcnow

ALIAS = "bookings"
STATUSES = lifecycle.STATUSES


class Slot(Document):
    meta = {
        "db_alias": ALIAS,
        "collection": "slots",
        "auto_create_index": False,
        "indexes": [
            # One slot per clinic, package (or none: any package) and start; bulk opening relies on it.
            {"fields": ["clinic", "package_id", "start"], "unique": True, "name": "clinic_package_start"},
            {"fields": ["clinic", "start"], "name": "clinic_start"},
            # Open slots with a free seat, by offer and Seoul week, and by offer and Seoul date (see store.py).
            {"fields": ["bookable"], "name": "bookable"},
            {"fields": ["bookable_day"], "name": "bookable_day"},
        ],
    }
    clinic = StringField(required=True)
    package_id = StringField(null=True)
    start = DateTimeField(required=True)
    duration_minutes = IntField(required=True, default=60, min_value=15)
    capacity = IntField(required=True, min_value=1)
    booked = IntField(required=True, default=0, min_value=0)
    free = IntField(required=True, min_value=0)  # capacity - booked, kept by the same update as booked
    holders = ListField(StringField())  # the booking references holding its seats
    status = StringField(required=True, choices=("OPEN", "CLOSED"), default="OPEN")
    slot_key = StringField(required=True)  # "<clinic>:<package id or *>:<Seoul ISO week>"
    day_key = StringField(required=True)  # "<clinic>:<package id or *>:<Seoul date>"
    bookable = StringField()  # slot_key while open with a free seat, else absent
    bookable_day = StringField()  # day_key while open with a free seat, else absent
    created_at = DateTimeField(default=utcnow)


class Booking(Document):
    meta = {
        "db_alias": ALIAS,
        "collection": "bookings",
        "auto_create_index": False,
        "indexes": [
            {"fields": ["reference"], "unique": True},
            # Every list filter (the caller's scope, then clinic and status) with the sort key last.
            {"fields": ["agency", "created_key"], "name": "agency"},
            {"fields": ["agency", "clinic", "created_key"], "name": "agency_clinic"},
            {"fields": ["agency", "status", "created_key"], "name": "agency_status"},
            {"fields": ["agency", "clinic", "status", "created_key"], "name": "agency_clinic_status"},
            {"fields": ["clinic", "created_key"], "name": "clinic"},
            {"fields": ["clinic", "status", "created_key"], "name": "clinic_status"},
            {"fields": ["status", "created_key"], "name": "status"},
            {"fields": ["created_key"], "name": "by_created"},
            {"fields": ["seat_release_pending"], "name": "seat_release", "sparse": True},
            {"fields": ["outbox_pending"], "name": "outbox", "sparse": True},
        ],
    }
    reference = StringField(required=True, regex=r"^CB-[0-9A-Z]{8}$")
    agency = StringField(required=True)
    clinic = StringField(required=True)
    package_id = StringField(required=True)
    package_version = IntField(required=True)
    slot_id = StringField(required=True)
    slot_start = DateTimeField(required=True)
    slot_duration_minutes = IntField(required=True)
    quote_id = StringField(required=True)
    price = DictField(required=True)  # the locked quote's lines, total, currency and rate
    package = DictField(required=True)  # the package as the patient saw it (its version)
    package_texts = DictField()  # its texts in every language (title, procedures, steps, phases, rules)
    patient = DictField(required=True)
    travel = ListField(DictField(), null=True)  # the patient's trips, when given: the visits must fit them
    interpreter_language = StringField(null=True)
    follow_up_plan = StringField(null=True)
    warnings = ListField(DictField())
    status = StringField(required=True, choices=STATUSES, default="PENDING")
    visits = ListField(DictField())  # number, slot_id, start, duration_minutes, status: one per visit
    revision = IntField()  # bumped by every change, which is guarded by it
    history = ListField(DictField())
    refund = DictField(null=True)
    created_at = DateTimeField(required=True)
    updated_at = DateTimeField(required=True)
    created_key = StringField(required=True)  # creation time then reference: a unique sort key
    seat_release_pending = BooleanField()  # cancelled, seat not yet given back (the sweeper finishes it)
    outbox = ListField(DictField())  # events written with the changes they report, not yet in the event log
    outbox_pending = BooleanField()  # the outbox has events (the relay moves them to the log)


SETTLED_KEPT_DAYS = 7  # how long a booked or released hold still answers HOLD_ALREADY_BOOKED or HOLD_EXPIRED


class SeatHold(Document):
    """A seat taken (or about to be) for a booking not yet recorded; the sweeper reclaims it after ``expires_at``."""

    meta = {
        "db_alias": ALIAS,
        "collection": "seat_holds",
        "auto_create_index": False,
        "indexes": [
            {"fields": ["expires_at"], "name": "expiry"},
            {"fields": ["hold_id"], "name": "hold_id", "unique": True, "sparse": True},
            {"fields": ["settled_at"], "name": "settled", "expireAfterSeconds": SETTLED_KEPT_DAYS * 86400},
        ],
    }
    id = StringField(primary_key=True)  # the booking reference (a visit's move: "<reference>/visit-<n>")
    state = StringField(choices=("HELD", "BOOKING", "EXPIRING", "BOOKED", "RELEASED"), default="HELD")
    reference = StringField()  # a move's booking reference
    slot_id = StringField(required=True)
    slot_ids = ListField(StringField())  # every visit's slot
    expires_at = DateTimeField()  # while live (see store.py): when a sweeper may settle it
    held_until = DateTimeField()  # while BOOKING: the hold's own expiry, should the booking be refused
    claim = StringField()  # while BOOKING: the token of the request recording the booking
    settled_at = DateTimeField()  # once BOOKED or RELEASED; purged SETTLED_KEPT_DAYS later
    # A checkout hold (holdVisits) also has an unguessable id, its owner and its quote.
    hold_id = StringField()
    owner = StringField()
    quote_id = StringField()
    travel = ListField(DictField(), null=True)


class IdempotencyKey(Document):
    """The first answer to a ``POST /bookings`` per caller and key, replayed for retries."""

    meta = {
        "db_alias": ALIAS,
        "collection": "idempotency_keys",
        "auto_create_index": False,
        "indexes": [{"fields": ["expires_at"], "expireAfterSeconds": 0, "name": "expiry"}],
    }
    id = StringField(primary_key=True)  # "<caller>:<key>"
    request_hash = StringField(required=True)
    state = StringField(required=True, choices=("IN_FLIGHT", "DONE"))
    reference = StringField()  # the booking's reference, fixed by the first claim
    lease_until = DateTimeField(required=True)  # an in-flight key whose process died can be taken over after this
    response_status = IntField()
    response_body = DictField()
    created_at = DateTimeField(required=True)
    expires_at = DateTimeField()  # while live (see store.py): when a sweeper may settle it
    held_until = DateTimeField()  # while BOOKING: the hold's own expiry, should the booking be refused
    claim = StringField()  # while BOOKING: the token of the request recording the booking
    settled_at = DateTimeField()  # once BOOKED or RELEASED; purged SETTLED_KEPT_DAYS later
