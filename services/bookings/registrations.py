"""Korean law on attracting foreign patients, as the bookings it governs need it: facilitators' and
institutions' registrations, the commission caps, and agencies' fee agreements with clinics.

A booking or a hold needs the agency registered as a facilitator and the clinic as an institution, each
registration issued and not expired on the Seoul date of the request (``check``), and is refused by name
before anything is reserved or locked. An agreement's rate may not pass the cap for the clinic's
registered category; the caps, and the law they come from, are data (``seed/bookings/commission_caps.json``),
so a change in the law is a change of that file. A registration expiring within ``WARN_DAYS`` is told once
per expiry (``warn_expiring``, the sweeper's and ``python -m services.bookings expiring``).
"""

from __future__ import annotations

import json
from contextlib import suppress
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from pymongo.errors import PyMongoError

from services.common.clock import seoul_today, utcnow
from services.common.errors import Problem, validation_problem
from services.common.tokens import Principal

from . import commissions, store

WARN_DAYS = 60
SEED = Path(__file__).resolve().parents[2] / "seed" / "bookings"
CAPS = json.loads((SEED / "commission_caps.json").read_text(encoding="utf-8"))
KINDS = {"facilitators": "FACILITATOR", "institutions": "INSTITUTION"}


def registration_id(kind: str, party: str) -> str:
    return f"{kind.lower()}:{party}"


def cap_for(category: str) -> dict:
    """The cap on a commission for an institution of ``category``: percent, since when, and its source."""
    cap = next(cap for cap in CAPS["caps"] if cap["category"] == category)
    return {**cap, "source": CAPS["source"]}


def valid_on(registration: dict | None, day: date) -> bool:
    """Issued, and not expired, on that Seoul date (the expiry date is its last valid day)."""
    return registration is not None and registration["issued_on"] <= day.isoformat() <= registration["expires_on"]


def _not_registered(kind: str, party: str, registration: dict | None, day: date) -> Problem:
    code, field, noun = (
        ("FACILITATOR_NOT_REGISTERED", "agency", "agency")
        if kind == "FACILITATOR"
        else ("INSTITUTION_NOT_REGISTERED", "clinic", "clinic")
    )
    if registration is None:
        why = f"The {noun} {party} has no registration for attracting foreign patients."
    elif registration["expires_on"] < day.isoformat():
        why = f"The {noun} {party}'s registration {registration['number']} expired on {registration['expires_on']}."
    else:
        why = f"The {noun} {party}'s registration {registration['number']} is valid from {registration['issued_on']}."
    return Problem(422, code, why, errors=[{"field": field, "message": why}])


def check(agency: str, clinic: str, day: date | None = None) -> dict:
    """Both registrations valid on the Seoul date (today by default), and the agency's agreement with the
    clinic (None without one): what a booking records. Refused FACILITATOR_NOT_REGISTERED, then
    INSTITUTION_NOT_REGISTERED."""
    day = day or seoul_today()
    found = store.registrations_by_id([registration_id("FACILITATOR", agency), registration_id("INSTITUTION", clinic)])
    facilitator = found.get(registration_id("FACILITATOR", agency))
    institution = found.get(registration_id("INSTITUTION", clinic))
    if not valid_on(facilitator, day):
        raise _not_registered("FACILITATOR", agency, facilitator, day)
    if not valid_on(institution, day):
        raise _not_registered("INSTITUTION", clinic, institution, day)
    return {
        "facilitator": facilitator,
        "institution": institution,
        "agreement": store.agreement_by_id(f"{agency}:{clinic}"),
    }


def recorded(checked: dict) -> dict:
    """What a booking keeps of the registrations it was made under."""

    def kept(registration: dict) -> dict:
        return {
            "name": registration["name"],
            "number": registration["number"],
            "category": registration.get("category"),
            "expiresOn": registration["expires_on"],
        }

    return {"facilitator": kept(checked["facilitator"]), "institution": kept(checked["institution"])}


def booked_under(checked: dict, price: dict) -> dict:
    """What a new booking records of the rules it was made under: both registrations, and its commission at
    the agreement's rate (none: 0) on the medical fee."""
    agreement = checked["agreement"]
    return {
        "registrations": recorded(checked),
        "commission": commissions.on_booking(agreement["rate_percent"] if agreement else None, price),
    }


# -- recording and renewing ------------------------------------------------------------------------------


def _warn_on(expires_on: str) -> str:
    return (date.fromisoformat(expires_on) - timedelta(days=WARN_DAYS)).isoformat()


def record(kind: str, party: str, body: dict, source: str = "admin") -> dict:
    """Record a registration or renew it (platform admins): a new expiry is warned of again, in its time."""
    if body["expiresOn"] < body["issuedOn"]:
        raise validation_problem([{"field": "expiresOn", "message": "before issuedOn"}])
    if kind == "INSTITUTION" and "category" not in body:
        raise validation_problem([{"field": "category", "message": "an institution's category is required"}])
    if kind == "FACILITATOR" and "category" in body:
        raise validation_problem([{"field": "category", "message": "only institutions have a category"}])
    now = utcnow()
    document = {
        "_id": registration_id(kind, party),
        "kind": kind,
        "party": party,
        "name": body["name"],
        "number": body["number"],
        "category": body.get("category"),
        "issued_on": body["issuedOn"],
        "expires_on": body["expiresOn"],
        "source": source,
        "updated_at": now,
        "created_at": now,
    }
    current = store.registrations_by_id([document["_id"]]).get(document["_id"])
    if current is None or current.get("warned_for") != body["expiresOn"]:
        document["warn_on"] = _warn_on(body["expiresOn"])
    return store.put_registration(document) or store.registrations_by_id([document["_id"]])[document["_id"]]


def institutions(clinics: list[str]) -> list[dict | None]:
    """The institutions' registrations of these clinics, in order (None where there is none)."""
    found = store.registrations_by_id([registration_id("INSTITUTION", clinic) for clinic in clinics])
    return [found.get(registration_id("INSTITUTION", clinic)) for clinic in clinics]


def facilitator(agency: str) -> dict | None:
    return store.registrations_by_id([registration_id("FACILITATOR", agency)]).get(
        registration_id("FACILITATOR", agency)
    )


def may_read_facilitator(agency: str, principal: Principal) -> bool:
    return principal.is_platform_admin or (principal.role == "AGENCY" and principal.agency == agency)


# -- agreements --------------------------------------------------------------------------------------


def set_agreement(agency: str, clinic: str, body: dict) -> tuple[dict, dict]:
    """Record an agency's fee agreement with a clinic (platform admins); refused COMMISSION_ABOVE_CAP, naming
    the cap and its source, when the rate passes the cap for the clinic's registered category. The agreement
    and the cap."""
    institution = institutions([clinic])[0]
    if institution is None:
        raise _not_registered("INSTITUTION", clinic, None, seoul_today())
    cap = cap_for(institution["category"])
    if Decimal(body["ratePercent"]) > Decimal(cap["percent"]):
        why = (
            f"{body['ratePercent']}% passes the cap of {cap['percent']}% of the medical fee for a "
            f"{institution['category']} (since {cap['since']}): {cap['source']}"
        )
        raise Problem(422, "COMMISSION_ABOVE_CAP", why, errors=[{"field": "ratePercent", "message": why}])
    now = utcnow()
    document = {
        "_id": f"{agency}:{clinic}",
        "agency": agency,
        "clinic": clinic,
        "rate_percent": body["ratePercent"],
        "source": "admin",
        "updated_at": now,
        "created_at": now,
    }
    saved = store.put_agreement(document) or store.agreement_by_id(document["_id"])
    return saved, cap


# -- expiring registrations ----------------------------------------------------------------------------


def _expiring_event(registration: dict, at) -> dict:
    kind = registration["kind"]
    return {
        "id": f"registration-{registration['_id']}-{registration['expires_on']}",  # once per registration and expiry
        "type": "registration.expiring",
        "at": at,
        "agency": registration["party"] if kind == "FACILITATOR" else None,
        "clinic": registration["party"] if kind == "INSTITUTION" else None,
        "resource": {"type": "registration", "id": registration["_id"]},
        "by": None,
        "data": {
            "kind": kind,
            "party": registration["party"],
            "number": registration["number"],
            "category": registration.get("category"),
            "expiresOn": registration["expires_on"],
            "daysLeft": (date.fromisoformat(registration["expires_on"]) - seoul_today()).days,
        },
    }


def warn_expiring(day: date | None = None, batch: int = 200) -> int:
    """Tell each registration expiring within WARN_DAYS of the Seoul date, once per expiry: its event is
    written under an id made of the registration and its expiry (writing it twice writes it once), then the
    registration is noted as told by an update guarded by that expiry. How many were told."""
    day = day or seoul_today()
    told = 0
    for registration in store.registrations_to_warn(day.isoformat(), batch):
        store.event_log.put_outbox_event(_expiring_event(registration, utcnow()))
        if store.mark_warned(registration["_id"], registration["warn_on"], registration["expires_on"]):
            told += 1
    with suppress(PyMongoError):  # else the relay logs it later
        store.event_log.relay_outbox(batch)
    return told
