"""Webhook endpoints, their deliveries, and how far the dispatchers have read each event feed.

A delivery is one event for one endpoint; its id is ``<endpoint>:<event>``, so fanning an event
out twice writes it once. Dispatchers claim a delivery by moving its ``due`` time past a lease in
one guarded update: only one of them sends it at a time, and a dispatcher that dies mid-send
leaves it due again once the lease runs out (at least once, with the same event id).
"""

from __future__ import annotations

from mongoengine import BooleanField, DateTimeField, DictField, Document, IntField, ListField, StringField

ALIAS = "webhooks"
ENDPOINT_STATES = ("ACTIVE", "FAILING", "DISABLED")
DELIVERY_STATES = ("PENDING", "DELIVERED", "FAILED")
RETENTION_DAYS = 30  # deliveries are kept this long
HISTORY = 20  # attempts a delivery keeps in its history


class Endpoint(Document):
    meta = {
        "db_alias": ALIAS,
        "collection": "endpoints",
        "auto_create_index": False,
        "indexes": [
            # Who is told of an event: its agency's or clinic's endpoints for that type, or every agency's.
            {"fields": ["owner", "events"], "name": "owner_events"},
            {"fields": ["kind", "events"], "name": "kind_events"},
            {"fields": ["owner", "created_key"], "name": "owner_created"},
            {"fields": ["state", "created_key"], "name": "state_created"},
            {"fields": ["created_key"], "name": "created"},
        ],
    }
    id = StringField(primary_key=True)  # "wh_<hex>"
    kind = StringField(required=True, choices=("agency", "clinic"))
    owner = StringField(required=True)  # "agency:<slug>" or "clinic:<slug>"
    url = StringField(required=True)
    description = StringField()
    events = ListField(StringField(), required=True)
    secrets = ListField(DictField(), required=True)  # [{secret, created_at, retires_at?}], newest first
    state = StringField(required=True, choices=ENDPOINT_STATES)
    failure = DictField()  # why it is failing: {at, reason, delivery}
    created_at = DateTimeField(required=True)
    created_key = StringField(required=True)  # "<created_at iso>:<id>": a unique sort key
    updated_at = DateTimeField(required=True)


class Delivery(Document):
    meta = {
        "db_alias": ALIAS,
        "collection": "deliveries",
        "auto_create_index": False,
        "indexes": [
            {"fields": ["state", "due"], "name": "state_due"},  # what is due now
            {"fields": ["endpoint", "day"], "name": "endpoint_day"},  # an endpoint's log, a day at a time
            {"fields": ["endpoint", "deferred"], "name": "endpoint_deferred"},  # waiting for one of its lanes
            {"fields": ["created_at"], "expireAfterSeconds": RETENTION_DAYS * 86400, "name": "retention"},
        ],
    }
    id = StringField(primary_key=True)  # "<endpoint id>:<event id>"
    endpoint = StringField(required=True)
    owner = StringField(required=True)
    event = DictField(required=True)  # the payload: id, type, at, resource, data
    state = StringField(required=True, choices=DELIVERY_STATES)
    due = DateTimeField()  # when it is next sent (a claim moves it past the lease); absent once done
    claim = StringField()  # the claiming dispatcher's token, while it sends
    attempts = IntField(required=True, default=0)
    retry_until = DateTimeField(required=True)  # retries stop here, and the endpoint is marked failing
    last_status = IntField()  # the last response's HTTP status
    last_error = StringField()  # why the last attempt failed
    last_attempt_at = DateTimeField()
    history = ListField(DictField())  # the last HISTORY attempts, oldest first: {at, status, error, duration_ms}
    deferred = BooleanField()  # its endpoint had no free lane: it waits for one (``due`` is when the lane's lease ends)
    delivered_at = DateTimeField()
    created_at = DateTimeField(required=True)
    created_key = StringField(required=True)
    day = StringField(required=True)  # UTC date of created_at


class FeedCursor(Document):
    """How far the dispatchers have fanned out a service's event feed."""

    meta = {"db_alias": ALIAS, "collection": "feed_cursors", "auto_create_index": False}
    id = StringField(primary_key=True)  # the service: bookings or packages
    after = IntField(required=True, default=0)


class Lane(Document):
    """One of an endpoint's lanes: a request in flight to it. An endpoint has
    ``WEBHOOK_ENDPOINT_CONCURRENCY`` of them (``<endpoint>:<n>``), shared by every dispatcher; a lane is
    taken by a unique insert (or, once its holder's lease has run out, by a guarded update) and given back
    when the request is over, so a slow endpoint holds its own lanes and never anyone else's."""

    meta = {
        "db_alias": ALIAS,
        "collection": "lanes",
        "auto_create_index": False,
        "indexes": [{"fields": ["until"], "expireAfterSeconds": 0, "name": "expiry"}],  # a dead holder's lane
    }
    id = StringField(primary_key=True)  # "<endpoint id>:<n>"
    holder = StringField(required=True)  # the claim of the delivery being sent
    until = DateTimeField(required=True)  # the holder's lease: after it, the lane is free
