"""What happened to packages, for the partners it concerns: published, updated and archived.

A package's event is written into ``event_outbox`` in the same transaction as the change it
reports, so no change can happen without its event; ``relay`` moves it into the log
(``services.common.eventlog``). A package's events are public (every agency reads them) once
agencies can see the package, and always its clinic's.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from services.common.tokens import Principal

from . import store

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


def write(type_: str, package: dict, by: str, at: datetime, session) -> None:
    """Write the event of a change to ``package`` (as it is after the change) in the change's transaction."""
    event = {
        "id": uuid.uuid4().hex,
        "type": type_,
        "at": at,
        "clinic": package["clinic"],
        "resource": {"type": "package", "id": str(package["_id"])},
        "by": by,
        "data": state_of(package),
    }
    if package["status"] != "DRAFT":  # as ``packages.visible_to``: agencies see all but drafts
        event["public"] = True
    store.event_log.put_outbox_event(event, session=session)


def scope(principal: Principal) -> dict:
    """Who reads which events: a clinic its own, an agency those of packages it may see, a platform admin all."""
    if principal.role == "CLINIC_ADMIN":
        return {"clinic": principal.clinic}
    if principal.role == "AGENCY":
        return {"public": True}
    return {}


def relay(batch: int = 200) -> int:
    return store.event_log.relay_outbox(batch)


def page(scope: dict, query: dict) -> dict:
    """A page of the feed (:meth:`EventLog.page`), with what happened just before in it."""
    relay()
    return store.event_log.page(scope, query)
