"""Every query and update of the webhooks service, each beside the index that serves it."""

from __future__ import annotations

from datetime import datetime

from pymongo import ReturnDocument
from pymongo.errors import BulkWriteError, DuplicateKeyError

from services.common.pagination import Page, Sort, paginate
from services.common.store import Registry

from .models import HISTORY, Delivery, Endpoint, FeedCursor, Lane

registry = Registry("webhooks")
ENDPOINT_SORT = Sort("created_key", -1)


def endpoints():
    return Endpoint._get_collection()


def deliveries():
    return Delivery._get_collection()


def cursors():
    return FeedCursor._get_collection()


def lanes():
    return Lane._get_collection()


# -- endpoints -----------------------------------------------------------------------------------


@registry.write("_id_")
def insert_endpoint(document: dict) -> None:
    endpoints().insert_one(document)


@registry.read("_id_")
def endpoint_by_id(endpoint_id: str) -> dict | None:
    return endpoints().find_one({"_id": endpoint_id})


@registry.read("owner_created, state_created or created")
def endpoint_page(find: dict, *, limit: int, cursor: str | None) -> Page:
    """``find``: an owner's, those in a state, or all (a platform admin's view), newest first."""
    return paginate(endpoints(), find, ENDPOINT_SORT, limit=limit, cursor=cursor)


@registry.write("_id_")
def change_endpoint(endpoint_id: str, changes: dict, now: datetime) -> dict | None:
    update: dict = {"$set": {**changes, "updated_at": now}}
    return endpoints().find_one_and_update({"_id": endpoint_id}, update, return_document=ReturnDocument.AFTER)


@registry.write("_id_")
def push_secret(endpoint_id: str, secret: dict, retire_others_at: datetime, now: datetime) -> dict | None:
    """Put a new secret first; the others stay valid until ``retire_others_at`` (signatures carry both)."""
    endpoints().update_one(
        {"_id": endpoint_id},
        {"$set": {"secrets.$[old].retires_at": retire_others_at, "updated_at": now}},
        array_filters=[{"old.retires_at": {"$exists": False}}],
    )
    return endpoints().find_one_and_update(
        {"_id": endpoint_id},
        {"$push": {"secrets": {"$each": [secret], "$position": 0}}},
        return_document=ReturnDocument.AFTER,
    )


@registry.write("_id_")
def replace_secrets(endpoint_id: str, read: list[dict], sealed: list[dict]) -> int:
    """Store an endpoint's secrets sealed anew, unless they changed since they were read; 1 if stored."""
    return endpoints().update_one({"_id": endpoint_id, "secrets": read}, {"$set": {"secrets": sealed}}).modified_count


def every_endpoints_secrets():
    """Every endpoint's secrets (a command's: ``reseal``, never on a request path)."""
    return endpoints().find({}, {"secrets": 1})


def endpoints_with_plain_secrets():
    """Endpoints with a secret stored before secrets were sealed (start-up only)."""
    return endpoints().find({"secrets.secret": {"$exists": True}}, {"secrets": 1})


@registry.write("_id_")
def mark_failing(endpoint_id: str, failure: dict, now: datetime) -> None:
    """An endpoint still active becomes failing, with why (a later failure does not overwrite the first)."""
    endpoints().update_one(
        {"_id": endpoint_id, "state": "ACTIVE"}, {"$set": {"state": "FAILING", "failure": failure, "updated_at": now}}
    )


@registry.write("_id_")
def delete_endpoint(endpoint_id: str) -> bool:
    return endpoints().delete_one({"_id": endpoint_id}).deleted_count == 1


@registry.read("owner_events")
def endpoints_of(owner: str, event_type: str) -> list[dict]:
    """An agency's or a clinic's endpoints that take this type of event."""
    return list(endpoints().find({"owner": owner, "events": event_type}))


@registry.read("kind_events")
def endpoints_of_kind(kind: str, event_type: str) -> list[dict]:
    """Every agency's (or clinic's) endpoints that take this type of event."""
    return list(endpoints().find({"kind": kind, "events": event_type}))


# -- deliveries ----------------------------------------------------------------------------------


@registry.write("_id_")
def insert_deliveries(documents: list[dict]) -> int:
    """Insert deliveries not yet written (their ids are ``<endpoint>:<event>``); how many are new."""
    if not documents:
        return 0
    try:
        return len(deliveries().insert_many(documents, ordered=False).inserted_ids)
    except BulkWriteError as error:  # the ones written already (by this or another dispatcher)
        if any(e["code"] != 11000 for e in error.details["writeErrors"]):
            raise
        return error.details["nInserted"]


@registry.read("state_due")
def claim_due(now: datetime, lease_until: datetime, token: str) -> dict | None:
    """Claim a pending delivery that is due: its due time moves to the lease's end, so no other
    dispatcher takes it while this one sends, and it comes due again if this one dies."""
    return deliveries().find_one_and_update(
        {"state": "PENDING", "due": {"$lte": now}},
        {"$set": {"due": lease_until, "claim": token}, "$inc": {"attempts": 1}, "$unset": {"deferred": ""}},
        sort=[("due", 1)],
        return_document=ReturnDocument.AFTER,
    )


@registry.write("_id_")
def finish_attempt(delivery_id: str, token: str, changes: dict, attempt: dict) -> bool:
    """Record an attempt's outcome (``changes``) and add it to the delivery's history, if this
    dispatcher's claim still holds. A delivery no longer pending forgets when it was due; a delivered
    one, the error of an attempt before."""
    update: dict = {
        "$set": changes,
        "$unset": {"claim": ""},
        "$push": {"history": {"$each": [attempt], "$slice": -HISTORY}},
    }
    if changes.get("state") != "PENDING":
        update["$unset"]["due"] = ""
    if changes.get("state") == "DELIVERED":
        update["$unset"]["last_error"] = ""
    return deliveries().update_one({"_id": delivery_id, "claim": token}, update).matched_count == 1


@registry.write("_id_")
def defer(delivery_id: str, token: str, until: datetime) -> None:
    """Give back a claim unsent (its endpoint has no free lane): it waits to be woken when a lane is
    given back, or until ``until`` at the latest. It was not an attempt."""
    deliveries().update_one(
        {"_id": delivery_id, "claim": token},
        {"$set": {"due": until, "deferred": True}, "$unset": {"claim": ""}, "$inc": {"attempts": -1}},
    )


@registry.read("endpoint_deferred")
def deferred_of(endpoint_id: str) -> list[dict]:
    """An endpoint's deliveries waiting for one of its lanes."""
    return list(deliveries().find({"endpoint": endpoint_id, "deferred": True}, {"due": 1}))


@registry.write("_id_")
def wake(delivery_id: str, now: datetime) -> None:
    """A deferred delivery is due now (a lane of its endpoint was just given back)."""
    deliveries().update_one({"_id": delivery_id, "deferred": True}, {"$set": {"due": now}, "$unset": {"deferred": ""}})


# -- an endpoint's lanes -------------------------------------------------------------------------


@registry.write("_id_")
def take_lane(lane_id: str, token: str, until: datetime, now: datetime) -> bool:
    """Take a lane that is free (or whose holder's lease has run out) for the claim ``token``."""
    try:
        lanes().insert_one({"_id": lane_id, "holder": token, "until": until})
        return True
    except DuplicateKeyError:
        taken = lanes().update_one(
            {"_id": lane_id, "until": {"$lte": now}}, {"$set": {"holder": token, "until": until}}
        )
        return taken.matched_count == 1


@registry.read("_id_")
def lanes_by_id(lane_ids: list[str]) -> list[dict]:
    return list(lanes().find({"_id": {"$in": lane_ids}}))


@registry.write("_id_")
def give_lane_back(lane_id: str, token: str) -> None:
    lanes().delete_one({"_id": lane_id, "holder": token})


@registry.read("_id_")
def delivery_by_id(delivery_id: str) -> dict | None:
    return deliveries().find_one({"_id": delivery_id})


@registry.write("_id_")
def requeue(delivery_id: str, now: datetime, retry_until: datetime) -> dict | None:
    """Send a delivery again now, whatever became of it (not while a dispatcher is sending it)."""
    return deliveries().find_one_and_update(
        {"_id": delivery_id, "claim": {"$exists": False}},
        {
            "$set": {"state": "PENDING", "due": now, "retry_until": retry_until},
            "$unset": {"last_error": "", "deferred": ""},
        },
        return_document=ReturnDocument.AFTER,
    )


@registry.read("endpoint_day")
def deliveries_on(endpoint_id: str, day: str) -> list[dict]:
    """An endpoint's deliveries of one UTC day, newest first: a page reads a day at a time."""
    return sorted(
        deliveries().find({"endpoint": endpoint_id, "day": day}), key=lambda d: d["created_key"], reverse=True
    )


# -- feed cursors --------------------------------------------------------------------------------


@registry.read("_id_")
def feed_position(source: str) -> int:
    found = cursors().find_one({"_id": source})
    return found["after"] if found else 0


@registry.write("_id_")
def advance_feed(source: str, after: int, to: int) -> None:
    """Move a feed's position from ``after`` to ``to``, unless another dispatcher has moved it already."""
    if after == 0:
        cursors().update_one({"_id": source}, {"$setOnInsert": {"after": 0}}, upsert=True)
    cursors().update_one({"_id": source, "after": after}, {"$set": {"after": to}})


# -- what the metrics read -----------------------------------------------------------------------------

BACKLOG_LIMIT = 1000  # pending deliveries read per scrape, at most: past it the gauges say "at least"


@registry.read("state_due")
def backlog(limit: int = BACKLOG_LIMIT) -> list[dict]:
    """Deliveries not yet delivered nor failed, up to ``limit``: the attempts each has had."""
    return list(
        deliveries().find({"state": "PENDING", "due": {"$gte": datetime(1970, 1, 1)}}, {"attempts": 1}).limit(limit)
    )


@registry.read("state_created")
def failing_endpoints(limit: int = BACKLOG_LIMIT) -> int:
    """Endpoints marked failing (nothing is sent to them until their owner enables them again), up to ``limit``."""
    return len(list(endpoints().find({"state": "FAILING", "created_key": {"$gte": ""}}, {"_id": 1}).limit(limit)))


@registry.read("_id_")
def feed_positions(sources: tuple[str, ...]) -> dict[str, int]:
    """Where the dispatchers are in each service's event feed."""
    found = {c["_id"]: c["after"] for c in cursors().find({"_id": {"$in": list(sources)}})}
    return {source: found.get(source, 0) for source in sources}
