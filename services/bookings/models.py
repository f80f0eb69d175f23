"""Slots, bookings, the seat ledger's claims and idempotency keys.

A slot's seats are counted by ``booked`` and ``free`` and named by ``holders`` (one holder token
per seat taken), changed only together by guarded atomic updates in MongoDB: a seat is taken
with ``free > 0`` and the token not yet a holder, and given back only while it is one. So any
number of bookings processes stay exact, and giving a seat back twice gives it back once.

Which holder tokens are right is the seat ledger's to say (``ledger.py``): a claim records every
seat a reservation takes before it takes it, and moves through its states by guarded updates, so
a process that dies at any step leaves a claim the sweeper finishes or undoes.
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
            # Closed slots whose bookings may still wait for a proposed change (the sweeper's, see changes.py).
            {"fields": ["proposing"], "name": "proposing", "sparse": True},
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
    proposing = BooleanField()  # closed, and a booking on it may still wait for its proposed change
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
            {"fields": ["outbox_pending"], "name": "outbox", "sparse": True},
            # Statements and annual reports: an agency's or a clinic's bookings by their first visit's start.
            {"fields": ["agency", "slot_start"], "name": "agency_first_visit"},
            {"fields": ["clinic", "slot_start"], "name": "clinic_first_visit"},
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
    follow_ups = ListField(DictField())  # number, key (F1), kind, start, duration_minutes, slot_id, resource, status
    messaging = DictField(null=True)  # a messaging plan's dated window: from, to, count
    revision = IntField()  # bumped by every change, which is guarded by it
    history = ListField(DictField())
    refund = DictField(null=True)
    commission = DictField(
        null=True
    )  # the facilitator's fee on the medical part: rate, base, amount (registrations.py)
    registrations = DictField(null=True)  # the facilitator's and the institution's registrations as booked under
    created_at = DateTimeField(required=True)
    updated_at = DateTimeField(required=True)
    created_key = StringField(required=True)  # creation time then reference: a unique sort key
    outbox = ListField(DictField())  # events written with the changes they report, not yet in the event log
    outbox_pending = BooleanField()  # the outbox has events (the relay moves them to the log)


SETTLED_KEPT_DAYS = 7  # how long a released claim still answers HOLD_EXPIRED (a booked one lives with its booking)
CLAIM_STATES = ("HELD", "BOOKING", "BOOKED", "MOVING", "RELEASING", "EXPIRING", "RELEASED")


class Claim(Document):
    """The seat ledger's record of one reservation: every resource it claims, its state and expiry.

    See ``services/bookings/ledger.py``, the only module that writes it.
    """

    meta = {
        "db_alias": ALIAS,
        "collection": "claims",
        "auto_create_index": False,
        "indexes": [
            {"fields": ["expires_at"], "name": "expiry"},
            {"fields": ["hold_id"], "name": "hold_id", "unique": True, "sparse": True},
            {"fields": ["settled_at"], "name": "settled", "expireAfterSeconds": SETTLED_KEPT_DAYS * 86400},
        ],
    }
    id = StringField(primary_key=True)  # the booking reference the reservation is for
    state = StringField(required=True, choices=CLAIM_STATES)
    lease = StringField(required=True)  # the token of whoever last moved it: every move is guarded by it
    by = StringField()  # the request (its idempotency reference) booking it from a hold, or moving or releasing it
    items = ListField(DictField())  # {kind: SEAT, resource: slot id, visit: n, holder: the slot's holder token}
    move = DictField(null=True)  # while MOVING: {visit, resource, holder} taken, the item it replaces
    quote_id = StringField()  # the quote it locks, or is locking: given back when it is released
    expires_at = DateTimeField()  # while not settled: when the sweeper may finish or undo it
    held_until = DateTimeField()  # while BOOKING: the hold's own expiry, should the booking be refused
    ending = StringField()  # while EXPIRING: why (EXPIRED, RELEASED, REFUSED)
    booking = DictField(null=True)  # BOOKED, not yet in the bookings collection: the booking to record
    hold_id = StringField()  # a checkout hold's unguessable id, once every seat is held
    owner = StringField()  # a checkout hold's agency
    travel = ListField(DictField(), null=True)  # a checkout hold's trips
    created_at = DateTimeField(required=True)
    settled_at = DateTimeField()  # once RELEASED: purged SETTLED_KEPT_DAYS later


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
    lease = StringField()  # the token of the request holding it: renewing, finishing and abandoning are guarded by it
    reference = StringField()  # the booking's reference, fixed by the first claim
    lease_until = DateTimeField(required=True)  # an in-flight key whose process died can be taken over after this
    response_status = IntField()
    response_body = DictField()
    created_at = DateTimeField(required=True)
    expires_at = DateTimeField()  # purged then (TTL)


INTERPRETER_LEVELS = ("IN_ROOM", "BOOKING")
PROVIDER_KINDS = ("CLINIC", "INTERPRETATION_PROVIDER")


class InterpreterProvider(Document):
    """Who interpreters work for: a clinic's own coordinators (``clinic:<slug>``), or an interpretation
    provider that serves several clinics, with its rules."""

    meta = {
        "db_alias": ALIAS,
        "collection": "interpreter_providers",
        "auto_create_index": False,
        "indexes": [{"fields": ["clinics"], "name": "clinics"}, {"fields": ["kind"], "name": "kind"}],
    }
    id = StringField(primary_key=True, regex=r"^(clinic:)?[a-z0-9][a-z0-9-]{1,79}$")
    name = StringField(required=True, max_length=200)
    kind = StringField(required=True, choices=PROVIDER_KINDS)
    clinics = ListField(StringField(), required=True)  # the clinics it serves (a clinic's own: that clinic)
    notice_hours = IntField(required=True, default=0, min_value=0, max_value=720)  # a visit this soon is not served
    weekly_cap = IntField(min_value=1, max_value=1000, null=True)  # visits per clinic per Seoul week, if capped
    source = StringField(required=True, choices=("sample", "admin"), default="admin")
    created_at = DateTimeField(required=True)
    updated_at = DateTimeField(required=True)


class Interpreter(Document):
    """A person who interprets: languages, a credential, working hours (Seoul time) and a capacity."""

    meta = {
        "db_alias": ALIAS,
        "collection": "interpreters",
        "auto_create_index": False,
        "indexes": [
            # "<clinic>:<language>" for every clinic its provider serves and every language it speaks, while active:
            # the interpreters who may serve a visit are one exact-index query.
            {"fields": ["serves"], "name": "serves"},
            {"fields": ["provider"], "name": "provider"},
        ],
    }
    provider = StringField(required=True)
    name = StringField(required=True, max_length=200)
    languages = ListField(StringField(regex=r"^[a-z]{2}$"), required=True)
    level = StringField(required=True, choices=INTERPRETER_LEVELS)  # IN_ROOM: the treatment room; BOOKING: coordination
    capacity = IntField(required=True, min_value=1, max_value=10)  # patients at once (IN_ROOM: one)
    credential = DictField(null=True)  # {name, issuer, number, expiresOn}: the national certificate, say
    hours = ListField(DictField())  # {weekday, from, to}: Seoul working hours
    active = BooleanField(required=True, default=True)
    serves = ListField(StringField())
    source = StringField(required=True, choices=("sample", "admin"), default="admin")
    created_at = DateTimeField(required=True)
    updated_at = DateTimeField(required=True)


class Unit(Document):
    """A resource counted in units and taken one holder at a time, as a slot's seats are: an interpreter's
    half hour (``time|<interpreter>|<block start>``) or a provider's visits for a clinic in a Seoul week
    (``week|<provider>|<clinic>|<week>``). Written only by the seat ledger."""

    meta = {
        "db_alias": ALIAS,
        "collection": "units",
        "auto_create_index": False,
        # An interpreter's half hours from a time on: the visits her changed hours leave (``store.units_between``).
        "indexes": [{"fields": ["interpreter", "block"], "name": "interpreter_block", "sparse": True}],
    }
    id = StringField(primary_key=True)
    count = IntField(required=True, min_value=0)
    holders = ListField(StringField())
    interpreter = StringField()  # a half hour's interpreter (its id's second part)
    block = StringField()  # a half hour's start, Seoul ISO 8601 (its id's third part)


class ConsultationHours(Document):
    """A clinic's hours for remote video follow-ups (Seoul time): calls of ``minutes`` each, ``calls`` at
    once. Each call's time is a unit in the seat ledger (``consult|<clinic>|<start>``), so two follow-ups
    never take the same call."""

    meta = {"db_alias": ALIAS, "collection": "consultation_hours", "auto_create_index": False}
    id = StringField(primary_key=True)  # the clinic's slug
    minutes = IntField(required=True, default=30, min_value=15, max_value=120)
    calls = IntField(required=True, default=1, min_value=1, max_value=20)
    hours = ListField(DictField())  # {weekday, from, to}: Seoul
    source = StringField(required=True, choices=("sample", "admin"), default="admin")
    created_at = DateTimeField(required=True)
    updated_at = DateTimeField(required=True)


REGISTRATION_KINDS = ("FACILITATOR", "INSTITUTION")
INSTITUTION_CATEGORIES = ("CLINIC", "HOSPITAL", "GENERAL_HOSPITAL", "TERTIARY_HOSPITAL")


class Registration(Document):
    """A registration with the Ministry of Health and Welfare for attracting foreign patients: an agency's as a
    facilitator, a clinic's as an institution (with its category). A booking needs both valid on its Seoul date."""

    meta = {
        "db_alias": ALIAS,
        "collection": "registrations",
        "auto_create_index": False,
        # Registrations to warn of: present only while the expiry has not been warned of (see registrations.py).
        "indexes": [{"fields": ["warn_on"], "name": "warn_on", "sparse": True}],
    }
    id = StringField(primary_key=True)  # "facilitator:<agency>" or "institution:<clinic>"
    kind = StringField(required=True, choices=REGISTRATION_KINDS)
    party = StringField(required=True)  # the agency's id or the clinic's slug
    name = StringField(required=True, max_length=200)  # the registered name
    number = StringField(required=True, max_length=80)
    category = StringField(choices=INSTITUTION_CATEGORIES, null=True)  # institutions only
    issued_on = StringField(required=True, regex=r"^\d{4}-\d{2}-\d{2}$")  # ISO dates compare as text
    expires_on = StringField(required=True, regex=r"^\d{4}-\d{2}-\d{2}$")
    warn_on = StringField()  # the Seoul date from which its expiry is warned of, until it is
    warned_for = StringField()  # the expiry last warned of
    source = StringField(required=True, choices=("sample", "admin", "synthetic"), default="admin")
    created_at = DateTimeField(required=True)
    updated_at = DateTimeField(required=True)


class Agreement(Document):
    """An agency's fee agreement with a clinic: the share of the medical fee the clinic pays it, at most the
    cap for the clinic's category."""

    meta = {"db_alias": ALIAS, "collection": "agreements", "auto_create_index": False}
    id = StringField(primary_key=True)  # "<agency>:<clinic>"
    agency = StringField(required=True)
    clinic = StringField(required=True)
    rate_percent = StringField(required=True)  # a decimal percent, e.g. "15" or "12.5"
    source = StringField(required=True, choices=("sample", "admin"), default="admin")
    created_at = DateTimeField(required=True)
    updated_at = DateTimeField(required=True)
