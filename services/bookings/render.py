"""How slots and bookings look on the wire."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from services.common.clock import aware, iso, seoul_iso


def slot(doc: dict) -> dict:
    free = max(doc["capacity"] - doc["booked"], 0)  # free is kept on the slot too; this reads older slots alike
    return {
        "id": str(doc["_id"]),
        "clinic": doc["clinic"],
        "packageId": doc.get("package_id"),
        "start": seoul_iso(doc["start"]),
        "durationMinutes": doc["duration_minutes"],
        "capacity": doc["capacity"],
        "booked": doc["booked"],
        "free": free,
        "status": "CLOSED" if doc["status"] == "CLOSED" else ("FREE" if free else "BUSY"),
    }


def _refund(doc: dict) -> dict | None:
    """The refund with the booking's locked rate (refunds recorded before they kept it take it from the price)."""
    refund = doc.get("refund")
    if refund is None:
        return None
    return {"krwPerUnit": doc["price"]["krwPerUnit"], "rateAsOf": doc["price"]["rateAsOf"], **refund}


def _visits(doc: dict, home: ZoneInfo) -> list[dict]:
    """The visits whose seats the booking holds (a booking of its first visit only: that one)."""
    visits = doc.get("visits") or [{"number": 1, "slot_id": doc["slot_id"], "start": doc["slot_start"]}]
    return [
        {
            "number": visit["number"],
            "slotId": visit["slot_id"],
            "start": seoul_iso(visit["start"]),
            "startHome": aware(visit["start"]).astimezone(home).isoformat(),
        }
        for visit in visits
    ]


def booking(doc: dict) -> dict:
    start = aware(doc["slot_start"])
    return {
        "reference": doc["reference"],
        "status": doc["status"],
        "clinic": doc["clinic"],
        "agency": doc["agency"],
        "packageId": doc["package_id"],
        "packageVersion": doc["package_version"],
        "packageTitle": doc["package"]["title"],
        "slot": {
            "id": doc["slot_id"],
            "start": seoul_iso(start),
            "startHome": start.astimezone(ZoneInfo(doc["patient"]["homeTimeZone"])).isoformat(),
        },
        "visits": _visits(doc, ZoneInfo(doc["patient"]["homeTimeZone"])),
        "patient": doc["patient"],
        "interpreterLanguage": doc.get("interpreter_language"),
        "followUpPlan": doc.get("follow_up_plan"),
        "price": doc["price"],
        "cancellationPolicy": doc["package"]["cancellationPolicy"],
        "warnings": doc.get("warnings", []),
        "refund": _refund(doc),
        "history": [
            {"from": h["from"], "to": h["to"], "at": iso(h["at"]), "by": h["by"], "reason": h.get("reason")}
            for h in doc["history"]
        ],
        "createdAt": iso(doc["created_at"]),
        "updatedAt": iso(doc["updated_at"]),
    }


def hold(doc: dict) -> dict:
    return {
        "id": doc["id"],
        "quoteId": doc["quoteId"],
        "expiresAt": iso(doc["expiresAt"]),
        "visits": [
            {"number": number, "slotId": str(slot["_id"]), "start": seoul_iso(slot["start"])}
            for number, slot in enumerate(doc["slots"], start=1)
        ],
    }
