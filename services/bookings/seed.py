"""Sample appointment slots for the seed clinics, and synthetic slots for scale.

Slots are opened from today on, so a later start adds the days that have come into range
and reopens nothing (one slot per clinic, package and start).
"""

from __future__ import annotations

import hashlib
import json
from contextlib import suppress
from datetime import date, datetime, time, timedelta
from pathlib import Path

from bson import ObjectId
from pymongo.errors import DuplicateKeyError

from services.common.clock import SEOUL, seoul_today, utcnow

from . import store
from .models import (
    Agreement,
    Booking,
    Claim,
    ConsultationHours,
    IdempotencyKey,
    Interpreter,
    InterpreterProvider,
    Registration,
    Slot,
    Unit,
)
from .registrations import WARN_DAYS, registration_id

SEED = Path(__file__).resolve().parents[2] / "seed" / "bookings"


def ensure_indexes() -> None:
    """The indexes, and what was stored before the current shapes brought up to date, once: slots before
    seats were counted in ``free``, bookings before they kept their visits, and seat holds and bookings
    before the seat ledger's claims."""
    for model in (
        Slot,
        Booking,
        Claim,
        IdempotencyKey,
        Interpreter,
        InterpreterProvider,
        Unit,
        ConsultationHours,
        Registration,
        Agreement,
    ):
        model.ensure_indexes()
    store.event_log.ensure_indexes()
    store.migrate_slots()
    store.migrate_units()
    store.migrate_bookings()
    store.migrate_refund_rates()
    store.migrate_claims(utcnow())


def slots_from_rule(rule: dict, clinic: str, first: date, package_id: str | None = None) -> list[dict]:
    now = utcnow()
    weekdays = {("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN").index(d) for d in rule["weekdays"]}
    slots = []
    for offset in range(rule["days"]):
        day = first + timedelta(days=offset)
        if day.weekday() not in weekdays:
            continue
        for at in rule["times"]:
            start = datetime.combine(day, time.fromisoformat(at), SEOUL)
            if start > now:
                slots.append(
                    store.new_slot(
                        clinic, package_id, start.astimezone(now.tzinfo), rule["durationMinutes"], rule["capacity"], now
                    )
                )
    return slots


def load_seed() -> dict[str, int]:
    ensure_indexes()
    rules = json.loads((SEED / "slots.json").read_text(encoding="utf-8"))
    today = seoul_today()
    slots = [slot for clinic, rule in rules["clinics"].items() for slot in slots_from_rule(rule, clinic, today)]
    return {
        "slots": len(store.insert_missing_slots(slots)),
        "interpreters": load_interpreters(),
        "consultationHours": load_consultation_hours(),
        **load_registrations(),
    }


def _registration(kind: str, party: str, item: dict, source: str, now) -> dict:
    return {
        "_id": registration_id(kind, party),
        "kind": kind,
        "party": party,
        "name": item["name"],
        "number": item["number"],
        "category": item.get("category"),
        "issued_on": item["issuedOn"],
        "expires_on": item["expiresOn"],
        "warn_on": (date.fromisoformat(item["expiresOn"]) - timedelta(days=WARN_DAYS)).isoformat(),
        "source": source,
        "created_at": now,
        "updated_at": now,
    }


def load_registrations() -> dict[str, int]:
    """The sample registrations of the seed institutions and of the agencies the demo and the tests book as,
    and the sample fee agreements (only those missing: a registration an admin renewed stays as it is)."""
    seed = json.loads((SEED / "registrations.json").read_text(encoding="utf-8"))
    now = utcnow()
    documents = [_registration("INSTITUTION", i["clinic"], i, "sample", now) for i in seed["institutions"]]
    documents += [_registration("FACILITATOR", f["agency"], f, "sample", now) for f in seed["facilitators"]]
    agreements = [
        {
            "_id": f"{a['agency']}:{a['clinic']}",
            "agency": a["agency"],
            "clinic": a["clinic"],
            "rate_percent": a["ratePercent"],
            "source": "sample",
            "created_at": now,
            "updated_at": now,
        }
        for a in seed["agreements"]
    ]
    return {
        "registrations": store.insert_missing_registrations(documents),
        "agreements": store.insert_missing_agreements(agreements),
    }


def interpreter_id(provider: str, name: str) -> ObjectId:
    return ObjectId(hashlib.sha256(f"clinicbridge-interpreter:{provider}:{name}".encode()).hexdigest()[:24])


def load_interpreters() -> int:
    """The sample providers and their interpreters (only those missing): each seed clinic's coordinators,
    and one interpretation provider that serves them all."""
    seed = json.loads((SEED / "interpreters.json").read_text(encoding="utf-8"))
    now = utcnow()
    added = 0
    for provider in seed["providers"]:
        document = {
            "_id": provider["id"],
            "name": provider["name"],
            "kind": provider["kind"],
            "clinics": provider["clinics"],
            "notice_hours": provider["noticeHours"],
            "weekly_cap": provider["weeklyCap"],
            "source": "sample",
            "created_at": now,
            "updated_at": now,
        }
        with suppress(DuplicateKeyError):
            store.insert_provider(document)
        for person in provider["interpreters"]:
            interpreter = {
                "_id": interpreter_id(provider["id"], person["name"]),
                "provider": provider["id"],
                "name": person["name"],
                "languages": person["languages"],
                "level": "IN_ROOM",
                "capacity": 1,
                "credential": seed["credential"] if person["certified"] else None,
                "hours": seed["hours"],
                "active": True,
                "serves": store.serves(provider["clinics"], person["languages"]),
                "source": "sample",
                "created_at": now,
                "updated_at": now,
            }
            with suppress(DuplicateKeyError):
                store.insert_interpreter(interpreter)
                added += 1
    return added


def load_consultation_hours() -> int:
    """Each seed clinic's sample hours for remote video follow-ups (only those missing)."""
    seed = json.loads((SEED / "consultations.json").read_text(encoding="utf-8"))
    now = utcnow()
    added = 0
    for clinic in seed["clinics"]:
        document = {
            "_id": clinic,
            "minutes": seed["minutes"],
            "calls": seed["calls"],
            "hours": seed["hours"],
            "source": "sample",
            "created_at": now,
            "updated_at": now,
        }
        with suppress(DuplicateKeyError):
            store.insert_consultation_hours(document)
            added += 1
    return added


SYNTHETIC_LANGUAGES = ["en", "zh", "ja", "ru", "vi", "th", "mn", "ar"]  # those synthetic packages offer


def load_synthetic(count: int) -> int:
    """``count`` slots spread over synthetic clinics, ten per clinic: one a week for ten weeks from the day
    after tomorrow, on a weekday of the clinic's own (as clinics open series' later visits weeks ahead),
    and each of those clinics' coordinators: one in-room interpreter of every language synthetic packages
    offer, at the sample hours."""
    ensure_indexes()
    first = seoul_today() + timedelta(days=2)
    slots: list[dict] = []
    clinic = 1
    while len(slots) < count:
        weekday = ("MON", "TUE", "WED", "THU", "FRI")[clinic % 5]
        rule = {"weekdays": [weekday], "times": ["10:00"], "days": 70, "durationMinutes": 60, "capacity": 4}
        slots += slots_from_rule(rule, f"synthetic-clinic-{clinic:05d}", first)
        clinic += 1
    opened = len(store.insert_missing_slots(slots[:count]))
    clinics = sorted({slot["clinic"] for slot in slots[:count]})
    _synthetic_coordinators(clinics)
    _synthetic_registrations(clinics)
    return opened


def _synthetic_coordinators(clinics: list[str]) -> None:
    """Each synthetic clinic's coordinators: one in-room interpreter of every language synthetic packages offer."""
    hours = json.loads((SEED / "interpreters.json").read_text(encoding="utf-8"))["hours"]
    now = utcnow()
    providers = [
        {
            "_id": f"clinic:{slug}",
            "name": f"{slug} coordinators",
            "kind": "CLINIC",
            "clinics": [slug],
            "notice_hours": 0,
            "weekly_cap": None,
            "source": "synthetic",
            "created_at": now,
            "updated_at": now,
        }
        for slug in clinics
    ]
    people = [
        {
            "_id": interpreter_id(f"clinic:{slug}", f"Synthetic {language}"),
            "provider": f"clinic:{slug}",
            "name": f"Synthetic interpreter ({language})",
            "languages": [language],
            "level": "IN_ROOM",
            "capacity": 1,
            "credential": None,
            "hours": hours,
            "active": True,
            "serves": store.serves([slug], [language]),
            "source": "synthetic",
            "created_at": now,
            "updated_at": now,
        }
        for slug in clinics
        for language in SYNTHETIC_LANGUAGES
    ]
    store.insert_missing_interpreters(providers, people)


def _synthetic_registrations(clinics: list[str]) -> None:
    """Each synthetic clinic registered as an institution (a clinic), valid for years."""
    now = utcnow()
    store.insert_missing_registrations(
        [
            _registration(
                "INSTITUTION",
                slug,
                {
                    "name": f"{slug} (synthetic)",
                    "number": f"FP-SYN-{slug[-5:]}",
                    "category": "CLINIC",
                    "issuedOn": "2026-01-01",
                    "expiresOn": "2029-12-31",
                },
                "synthetic",
                now,
            )
            for slug in clinics
        ]
    )
