"""What happened to packages, for the partners it concerns: published, updated and archived.

A package's event is written into ``event_outbox`` in the same transaction as the change it
reports, so no change can happen without its event; ``publish`` logs it (``services.common.eventlog``)
right after the transaction, and the relay process (``python -m services.packages relay``) logs any
that a process which died in between left behind. A package's events are public (every agency reads
them) once agencies can see the package, and always its clinic's.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from pymongo.errors import PyMongoError

from services.common.clock import utcnow
from services.common.tokens import Principal
from services.common.visibility import is_public

from . import store

log = logging.getLogger("clinicbridge.packages.events")

TYPES = ("package.published", "package.updated", "package.archived")


def state_of(package: dict) -> dict:
    """A package's state as its events carry it."""
    return {
        "id": str(package["_id"]),
        "clinic": package["clinic"],
        "status": package["status"],
        "version": package["version"],
        "title": package["title"],
        "priceKrw": package["price_krw"],
    }


def write(type_: str, package: dict, by: str, at: datetime, session) -> dict:
    """Write the event of a change to ``package`` (as it is after the change) in the change's transaction;
    the event, to publish once the transaction commits."""
    event = {
        "id": uuid.uuid4().hex,
        "type": type_,
        "at": at,
        "clinic": package["clinic"],
        "resource": {"type": "package", "id": str(package["_id"])},
        "by": by,
        "data": state_of(package),
    }
    if is_public(package["status"]):  # agencies read it as anyone sees it
        event["public"] = True
    store.event_log.put_outbox_event(event, session=session)
    return event


def publish(event: dict) -> None:
    """Log a committed change's event at once, so partners hear of it within moments; if this fails, or
    the process dies first, the relay process logs it."""
    try:
        store.event_log.publish([event])
    except PyMongoError:
        log.warning("event left for the relay", extra={"event": event["id"]})


def scope(principal: Principal) -> dict:
    """Who reads which events: a clinic its own, an agency those of packages it may see, a platform admin all."""
    if principal.role == "CLINIC_ADMIN":
        return {"clinic": principal.clinic}
    if principal.role == "AGENCY":
        return {"public": True}
    return {}


def relay(horizon: timedelta, batch: int = 200) -> dict:
    """The relay process's round: log what a process that died left in the outbox, and keep the log to
    its horizon."""
    relayed = store.event_log.relay_outbox(batch)
    return {"relayed": relayed, **store.event_log.tidy(utcnow(), horizon)}


def page(scope: dict, query: dict) -> dict:
    """A page of the feed (:meth:`EventLog.page`); reading writes nothing."""
    return store.event_log.page(scope, query)
