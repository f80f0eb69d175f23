"""Partners' webhook endpoints: who owns which, their signing secrets, and their delivery logs.

An endpoint belongs to an agency or a clinic, and takes the events its owner may see (the
dispatcher decides that per event). Its signing secret is shown once, when it is created or
rotated; after a rotation the old secret keeps signing beside the new one for a day, so a
partner can switch without losing a delivery. Secrets are stored sealed (``sealing``), never as
they are shown.
"""

from __future__ import annotations

import base64
import secrets
from datetime import datetime, timedelta

from services.common.clock import iso, utc_date, utcnow
from services.common.errors import Problem, not_found, validation_problem
from services.common.tokens import Principal

from . import addresses, store
from .models import RETENTION_DAYS
from .sealing import Sealer

ROTATION_GRACE = timedelta(hours=24)  # an old secret still signs this long after a rotation


def owner_of(principal: Principal) -> tuple[str, str]:
    """The kind and owner key of the caller's endpoints."""
    if principal.role == "AGENCY":
        return "agency", f"agency:{principal.agency}"
    if principal.role == "CLINIC_ADMIN":
        return "clinic", f"clinic:{principal.clinic}"
    raise Problem(403, "FORBIDDEN", "Webhook endpoints belong to an agency or a clinic.")


def new_secret(now: datetime, sealer: Sealer) -> tuple[dict, str]:
    """A new signing secret as it is stored (sealed), and as it is shown once."""
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    return {"sealed": sealer.seal(secret), "created_at": now}, secret


def signing_secrets(endpoint: dict, now: datetime, sealer: Sealer) -> list[str]:
    """The secrets a delivery is signed with now: the newest, and any not yet retired."""
    return [sealer.open(s["sealed"]) for s in endpoint["secrets"] if "retires_at" not in s or s["retires_at"] > now]


def _checked_url(url: str, production: bool, resolve_within: float) -> str:
    try:
        addresses.check(url, production, resolve_within)
    except addresses.Refused as refused:
        raise Problem(
            422, "URL_NOT_ALLOWED", str(refused), errors=[{"field": "url", "message": str(refused)}]
        ) from None
    return url


def create(
    body: dict, principal: Principal, production: bool, sealer: Sealer, resolve_within: float = 2.0
) -> tuple[dict, str]:
    """The new endpoint, and its secret (shown this once). ``resolve_within``: seconds the URL's host
    name has to resolve."""
    kind, owner = owner_of(principal)
    url = _checked_url(body["url"], production, resolve_within)
    now = utcnow()
    endpoint_id = "wh_" + secrets.token_hex(12)
    sealed, secret = new_secret(now, sealer)
    document = {
        "_id": endpoint_id,
        "kind": kind,
        "owner": owner,
        "url": url,
        "description": body.get("description"),
        "events": list(body["events"]),
        "secrets": [sealed],
        "state": "ACTIVE",
        "created_at": now,
        "created_key": f"{now.isoformat()}:{endpoint_id}",
        "updated_at": now,
    }
    store.insert_endpoint(document)
    return document, secret


def visible_to(endpoint: dict, principal: Principal) -> bool:
    return principal.is_platform_admin or endpoint["owner"] == owner_of(principal)[1]


def find(endpoint_id: str, principal: Principal) -> dict:
    """An endpoint the caller owns (a platform admin: any); any other is 404."""
    endpoint = store.endpoint_by_id(endpoint_id)
    if endpoint is None or not visible_to(endpoint, principal):
        raise not_found("webhook", endpoint_id)
    return endpoint


def page(principal: Principal, state: str | None, limit: int, cursor: str | None) -> dict:
    if principal.is_platform_admin:
        find_filter = {"state": state} if state else {}
    else:
        if state:
            raise validation_problem([{"field": "state", "message": "only platform admins filter by state"}])
        find_filter = {"owner": owner_of(principal)[1]}
    return store.endpoint_page(find_filter, limit=limit, cursor=cursor).to_json(wire)


def update(endpoint_id: str, body: dict, principal: Principal, production: bool, resolve_within: float = 2.0) -> dict:
    endpoint = find(endpoint_id, principal)
    changes: dict = {}
    if "url" in body:
        changes["url"] = _checked_url(body["url"], production, resolve_within)
    if "events" in body:
        changes["events"] = list(body["events"])
    if "description" in body:
        changes["description"] = body["description"]
    if "enabled" in body:
        changes["state"] = "ACTIVE" if body["enabled"] else "DISABLED"
        changes["failure"] = None
    changed = store.change_endpoint(endpoint["_id"], changes, utcnow())
    if changed is None:
        raise not_found("webhook", endpoint_id)
    return changed


def rotate(endpoint_id: str, principal: Principal, sealer: Sealer) -> tuple[dict, str]:
    endpoint = find(endpoint_id, principal)
    now = utcnow()
    sealed, secret = new_secret(now, sealer)
    rotated = store.push_secret(endpoint["_id"], sealed, now + ROTATION_GRACE, now)
    if rotated is None:
        raise not_found("webhook", endpoint_id)
    return rotated, secret


def seal_all(sealer: Sealer) -> dict:
    """Seal every secret still stored as it is shown (stored before secrets were sealed), and seal
    again with the newest key every one sealed with an older key; how many endpoints changed. Each
    endpoint is changed by one update guarded by its secrets as read, so a rotation meanwhile wins."""
    changed = 0
    for endpoint in store.every_endpoints_secrets():
        sealed = [
            {k: v for k, v in s.items() if k != "secret"} | {"sealed": sealer.seal(s["secret"])}
            if "secret" in s
            else {**s, "sealed": sealer.reseal(s["sealed"])}
            for s in endpoint["secrets"]
        ]
        changed += store.replace_secrets(endpoint["_id"], endpoint["secrets"], sealed)
    return {"endpoints": changed}


def seal_plain(sealer: Sealer) -> int:
    """Seal the secrets stored as they are shown, once (start-up); endpoints changed."""
    changed = 0
    for endpoint in store.endpoints_with_plain_secrets():
        sealed = [
            {k: v for k, v in s.items() if k != "secret"} | {"sealed": sealer.seal(s["secret"])} if "secret" in s else s
            for s in endpoint["secrets"]
        ]
        changed += store.replace_secrets(endpoint["_id"], endpoint["secrets"], sealed)
    return changed


def delete(endpoint_id: str, principal: Principal) -> None:
    endpoint = find(endpoint_id, principal)
    if not store.delete_endpoint(endpoint["_id"]):
        raise not_found("webhook", endpoint_id)


def deliveries(endpoint_id: str, principal: Principal, limit: int, cursor: str | None) -> dict:
    """An endpoint's deliveries, newest first: read a UTC day at a time, back to the retention's
    start, so a page's cost is bounded by the days it reads, not by the endpoint's history.
    The cursor is ``<day>|<created_key of the last item>``."""
    endpoint = find(endpoint_id, principal)
    today = utc_date(utcnow())
    day, after_key = today, None
    if cursor:
        raw_day, _, after_key = cursor.partition("|")
        try:
            day = datetime.strptime(raw_day, "%Y-%m-%d").date()
        except ValueError:
            raise validation_problem([{"field": "cursor", "message": "not a cursor this list gave out"}]) from None
    oldest = today - timedelta(days=RETENTION_DAYS)
    items: list[dict] = []
    while day >= oldest:
        for delivery in store.deliveries_on(endpoint["_id"], day.isoformat()):
            if after_key is not None and delivery["created_key"] >= after_key:
                continue
            items.append(delivery)
            if len(items) == limit:
                return {"items": [wire_delivery(d) for d in items], "nextCursor": f"{day}|{delivery['created_key']}"}
        day, after_key = day - timedelta(days=1), None
    return {"items": [wire_delivery(d) for d in items], "nextCursor": None}


def redeliver(delivery_id: str, principal: Principal, retry_for: timedelta) -> dict:
    """Send a delivery again now (its retries start over)."""
    delivery = store.delivery_by_id(delivery_id)
    if delivery is None:
        raise not_found("delivery", delivery_id)
    endpoint = store.endpoint_by_id(delivery["endpoint"])
    if endpoint is None or not visible_to(endpoint, principal):
        raise not_found("delivery", delivery_id)
    now = utcnow()
    requeued = store.requeue(delivery_id, now, now + retry_for)
    if requeued is None:
        raise Problem(409, "DELIVERY_IN_FLIGHT", "The delivery is being sent now; look at it again in a moment.")
    return requeued


def wire(endpoint: dict, secret: str | None = None) -> dict:
    kind, _, owner_id = endpoint["owner"].partition(":")
    failure = endpoint.get("failure")
    body = {
        "id": endpoint["_id"],
        "owner": {"kind": kind, "id": owner_id},
        "url": endpoint["url"],
        "description": endpoint.get("description"),
        "events": endpoint["events"],
        "state": endpoint["state"],
        "failure": (
            {"at": iso(failure["at"]), "reason": failure["reason"], "deliveryId": failure["delivery"]}
            if failure
            else None
        ),
        "secretRotatedAt": iso(endpoint["secrets"][0]["created_at"]),
        "createdAt": iso(endpoint["created_at"]),
        "updatedAt": iso(endpoint["updated_at"]),
    }
    if secret is not None:
        body["secret"] = secret
    return body


def wire_delivery(delivery: dict) -> dict:
    def when(name: str) -> str | None:
        return iso(delivery[name]) if delivery.get(name) else None

    return {
        "id": delivery["_id"],
        "webhookId": delivery["endpoint"],
        "eventId": delivery["event"]["id"],
        "eventType": delivery["event"]["type"],
        "state": delivery["state"],
        "attempts": delivery["attempts"],
        "lastStatus": delivery.get("last_status"),
        "lastError": delivery.get("last_error"),
        "lastAttemptAt": when("last_attempt_at"),
        "history": [
            {"at": iso(a["at"]), "status": a.get("status"), "error": a.get("error"), "durationMs": a.get("duration_ms")}
            for a in delivery.get("history") or []
        ],
        "nextAttemptAt": when("due") if delivery["state"] == "PENDING" else None,
        "deliveredAt": when("delivered_at"),
        "retryUntil": iso(delivery["retry_until"]),
        "createdAt": iso(delivery["created_at"]),
    }
