"""How slots and bookings look on the wire."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from services.common.clock import aware, iso, seoul_iso

from .careplan import visit_procedures
from .interpreters import certified_on
from .registrations import WARN_DAYS


def slot(doc: dict) -> dict:
    free = doc["free"]
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


def refund_of(doc: dict) -> dict | None:
    """The refund as recorded, with the booking's locked rate (``store.migrate_refund_rates`` gave it to the
    refunds recorded before they kept it)."""
    return doc.get("refund")


def _visits(doc: dict, home: ZoneInfo) -> list[dict]:
    """The visits whose seats the booking holds (a booking of its first visit only: that one)."""
    procedures = visit_procedures(doc["package"])
    return [
        {
            "number": visit["number"],
            "slotId": visit["slot_id"],
            "start": seoul_iso(visit["start"]),
            "startHome": aware(visit["start"]).astimezone(home).isoformat(),
            "durationMinutes": visit["duration_minutes"],
            "procedures": procedures[visit["number"] - 1] if visit["number"] <= len(procedures) else [],
            "status": visit["status"],
            "interpreter": visit.get("interpreter"),
            "proposedChange": proposed_change(visit, home) if visit["status"] == "CHANGE_PROPOSED" else None,
            "refund": refund_of({"price": doc["price"], "refund": visit.get("refund")}),
        }
        for visit in doc["visits"]
    ]


def proposed_change(visit: dict, home: ZoneInfo) -> dict:
    """The change the clinic proposes for a visit whose slot or interpreter it withdrew, and its alternatives."""
    proposal = visit["proposal"]
    return {
        "reason": proposal["reason"],
        "proposedAt": iso(proposal["proposed_at"]),
        "withdrawnSlotId": proposal["slot_id"],
        "alternatives": [
            {
                "slotId": alternative["slot_id"],
                "start": seoul_iso(alternative["start"]),
                "startHome": aware(alternative["start"]).astimezone(home).isoformat(),
                "end": seoul_iso(aware(alternative["start"]) + timedelta(minutes=alternative["duration_minutes"])),
                "durationMinutes": alternative["duration_minutes"],
                "interpreter": alternative.get("interpreter"),
            }
            for alternative in proposal["alternatives"]
        ],
    }


def follow_ups(doc: dict, home: ZoneInfo) -> list[dict]:
    """The follow-up appointments the booking reserves, in Seoul and home time."""
    return [
        {
            "number": follow["number"],
            "kind": follow["kind"],
            "status": follow["status"],
            "start": seoul_iso(follow["start"]),
            "startHome": aware(follow["start"]).astimezone(home).isoformat(),
            "end": seoul_iso(aware(follow["start"]) + timedelta(minutes=follow["duration_minutes"])),
            "durationMinutes": follow["duration_minutes"],
            "slotId": follow.get("slot_id"),
            "interpreter": follow.get("interpreter"),
        }
        for follow in doc.get("follow_ups") or []
    ]


def _history(entry: dict) -> dict:
    """A change: of the booking's status, of one visit's status (``visit``), or a visit moved (``moved``)."""
    moved = entry.get("moved")
    return {
        "from": entry["from"],
        "to": entry["to"],
        "at": iso(entry["at"]),
        "by": entry["by"],
        "reason": entry.get("reason"),
        "visit": entry.get("visit"),
        "moved": {"from": seoul_iso(moved["from"]), "to": seoul_iso(moved["to"]), "slotId": moved["slot_id"]}
        if moved
        else None,
        **({"followUp": _follow_up_change(entry["follow_up"])} if entry.get("follow_up") else {}),
        **({"visitChange": entry["change"]} if entry.get("change") else {}),
    }


def _follow_up_change(change: dict) -> dict:
    """A follow-up's change: its status's, or its move (start before and after, Seoul time)."""
    moved = change.get("moved")
    return {
        "number": change["number"],
        "from": change["from"],
        "to": change["to"],
        "movedFrom": seoul_iso(moved["from"]) if moved else None,
        "movedTo": seoul_iso(moved["to"]) if moved else None,
    }


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
        "travel": doc.get("travel"),
        "interpreterLanguage": doc.get("interpreter_language"),
        "followUpPlan": doc.get("follow_up_plan"),
        "followUps": follow_ups(doc, ZoneInfo(doc["patient"]["homeTimeZone"])),
        "messagingWindow": doc.get("messaging"),
        "price": doc["price"],
        "cancellationPolicy": doc["package"]["cancellationPolicy"],
        "warnings": doc.get("warnings", []),
        "refund": refund_of(doc),
        "commission": doc.get("commission"),
        "history": [_history(entry) for entry in doc["history"]],
        "createdAt": iso(doc["created_at"]),
        "updatedAt": iso(doc["updated_at"]),
    }


def hold(doc: dict) -> dict:
    return {
        "id": doc["id"],
        "quoteId": doc["quoteId"],
        "expiresAt": iso(doc["expiresAt"]),
        "visits": [
            {
                "number": number,
                "slotId": str(slot["_id"]),
                "start": seoul_iso(slot["start"]),
                "interpreter": doc["interpreters"].get(number),
            }
            for number, slot in enumerate(doc["slots"], start=1)
        ],
        "followUps": [
            {
                "number": follow["number"],
                "kind": follow["kind"],
                "start": seoul_iso(follow["start"]),
                "durationMinutes": follow["duration_minutes"],
                "slotId": follow.get("slot_id"),
                "interpreter": follow.get("interpreter"),
            }
            for follow in doc.get("followUps", [])
        ],
    }


def interpreter(doc: dict, today) -> dict:
    """An interpreter as its managers see it (``doc`` with its ``provider_doc``)."""
    credential = doc.get("credential")
    provider = doc.get("provider_doc")
    return {
        "id": str(doc["_id"]),
        "provider": doc["provider"],
        "providerName": provider["name"] if provider else None,
        "name": doc["name"],
        "languages": doc["languages"],
        "level": doc["level"],
        "capacity": doc["capacity"],
        "credential": credential,
        "credentialValid": credential is not None and certified_on(doc, today),
        "hours": doc.get("hours", []),
        "active": doc.get("active", True),
        "source": doc.get("source", "admin"),
    }


def provider(doc: dict) -> dict:
    return {
        "id": doc["_id"],
        "name": doc["name"],
        "kind": doc["kind"],
        "clinics": doc["clinics"],
        "noticeHours": doc["notice_hours"],
        "weeklyCap": doc.get("weekly_cap"),
        "source": doc.get("source", "admin"),
    }


def consultation_hours(doc: dict) -> dict:
    return {
        "clinic": doc["_id"],
        "minutes": doc["minutes"],
        "calls": doc["calls"],
        "hours": doc.get("hours", []),
        "source": doc.get("source", "admin"),
    }


def registration(doc: dict, today) -> dict:
    """A registration for attracting foreign patients, with whether it is valid on ``today`` (a Seoul date)."""
    day = today.isoformat()
    valid = doc["issued_on"] <= day <= doc["expires_on"]
    return {
        "kind": doc["kind"],
        "party": doc["party"],
        "name": doc["name"],
        "number": doc["number"],
        "category": doc.get("category"),
        "issuedOn": doc["issued_on"],
        "expiresOn": doc["expires_on"],
        "valid": valid,
        "expiringSoon": valid and (date.fromisoformat(doc["expires_on"]) - today).days < WARN_DAYS,
        "source": doc.get("source", "admin"),
    }


def agreement(doc: dict, cap: dict) -> dict:
    return {
        "agency": doc["agency"],
        "clinic": doc["clinic"],
        "ratePercent": doc["rate_percent"],
        "cap": {key: cap[key] for key in ("category", "percent", "since", "source")},
        "updatedAt": iso(doc["updated_at"]),
    }
