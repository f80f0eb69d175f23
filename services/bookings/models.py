"""Slots, bookings and idempotency keys.

A slot's ``booked`` count only ever changes through guarded atomic updates in MongoDB
(``booked < capacity`` to take a seat, ``booked > 0`` to give one back), so any number of
bookings processes stay exact.
"""
from __future__ import annotations

from mongoengine import DateTimeField, DictField, Document, IntField, ListField, StringField

from services.common.clock import utcnow

ALIAS = "bookings"
STATUSES = ("PENDING", "BOOKED", "ARRIVED", "FULFILLED", "CANCELLED", "NOSHOW")


class Slot(Document):
    meta = {
        "db_alias": ALIAS,
        "collection": "slots",
        "auto_create_index": False,
        "indexes": [
            # One slot per clinic, package (or none: any package) and start; bulk opening relies on it.
            {"fields": ["clinic", "package_id", "start"], "unique": True, "name": "clinic_package_start"},
            {"fields": ["clinic", "start"], "name": "clinic_start"},
        ],
    }
    clinic = StringField(required=True)
    package_id = StringField(null=True)
    start = DateTimeField(required=True)
    duration_minutes = IntField(required=True, default=60, min_value=15)
    capacity = IntField(required=True, min_value=1)
    booked = IntField(required=True, default=0, min_value=0)
    status = StringField(required=True, choices=("OPEN", "CLOSED"), default="OPEN")
    created_at = DateTimeField(default=utcnow)


class Booking(Document):
    meta = {
        "db_alias": ALIAS,
        "collection": "bookings",
        "auto_create_index": False,
        "indexes": [
            {"fields": ["reference"], "unique": True},
            {"fields": ["agency", "created_key"], "name": "agency"},
            {"fields": ["clinic", "created_key"], "name": "clinic"},
            {"fields": ["created_key"], "name": "by_created"},
            {"fields": ["slot_id"], "name": "slot"},
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
    price = DictField(required=True)            # the locked quote's lines, total, currency and rate
    package = DictField(required=True)          # the package as the patient saw it (its version)
    patient = DictField(required=True)
    interpreter_language = StringField(null=True)
    follow_up_plan = StringField(null=True)
    warnings = ListField(DictField())
    status = StringField(required=True, choices=STATUSES, default="PENDING")
    history = ListField(DictField())
    refund = DictField(null=True)
    created_at = DateTimeField(required=True)
    updated_at = DateTimeField(required=True)
    created_key = StringField(required=True)    # creation time then reference: a unique sort key


class IdempotencyKey(Document):
    """The first answer to a ``POST /bookings`` per caller and key, replayed for retries."""

    meta = {
        "db_alias": ALIAS,
        "collection": "idempotency_keys",
        "auto_create_index": False,
        "indexes": [{"fields": ["expires_at"], "expireAfterSeconds": 0, "name": "expiry"}],
    }
    id = StringField(primary_key=True)          # "<caller>:<key>"
    request_hash = StringField(required=True)
    state = StringField(required=True, choices=("IN_FLIGHT", "DONE"))
    lease_until = DateTimeField(required=True)  # an in-flight key whose process died can be taken over after this
    response_status = IntField()
    response_body = DictField()
    created_at = DateTimeField(required=True)
    expires_at = DateTimeField(required=True)
