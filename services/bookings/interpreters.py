"""Interpreters: the people who interpret in the treatment room, who they work for, when, and which of
them can serve a visit.

An interpreter belongs to a provider: a clinic's own coordinators (``clinic:<slug>``, managed by the
clinic's admins), or an interpretation provider that serves several clinics (managed by platform
admins), which may ask for notice and cap the visits it serves each clinic in a Seoul week. A visit
in a language needs an ``IN_ROOM`` interpreter for its time and a buffer after it; that time is
counted in half hours (units in the seat ledger's sense), so one interpreter is never in two rooms.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bson import ObjectId
from pymongo.errors import DuplicateKeyError

from services.common.clock import SEOUL, aware, seoul_date, utcnow
from services.common.errors import Problem, not_found, validation_problem
from services.common.failpoints import failpoint
from services.common.ids import object_id
from services.common.tokens import Principal

from . import store

BLOCK = timedelta(minutes=30)
WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
ATTEMPTS = 5  # an interpreter changed by a racing request is decided again this many times before 409
FIELDS = ("name", "languages", "level", "capacity", "credential", "hours", "active")


# -- who manages what --------------------------------------------------------------------------------


def clinic_provider(clinic: str) -> str:
    return f"clinic:{clinic}"


def _may_manage(principal: Principal, provider: str) -> bool:
    return principal.is_platform_admin or (
        principal.role == "CLINIC_ADMIN" and provider == clinic_provider(principal.clinic or "")
    )


def _provider_of_new(body: dict, principal: Principal) -> dict:
    """The provider a new interpreter joins: the one named (a platform admin), or the caller's clinic's
    own coordinators (created with its first interpreter)."""
    if principal.role == "CLINIC_ADMIN":
        provider = clinic_provider(principal.clinic or "")
        if body.get("provider", provider) != provider:
            raise Problem(403, "FORBIDDEN", "A clinic's admins manage their own clinic's interpreters only.")
        now = utcnow()
        own = {
            "_id": provider,
            "name": f"{principal.clinic} coordinators",
            "kind": "CLINIC",
            "clinics": [principal.clinic],
            "notice_hours": 0,
            "weekly_cap": None,
            "source": "admin",
            "created_at": now,
            "updated_at": now,
        }
        with suppress(DuplicateKeyError):  # created already, with its first interpreter
            store.insert_provider(own)
        return store.providers_by_id([provider])[provider]
    if "provider" not in body:
        raise validation_problem([{"field": "provider", "message": "required for a platform admin"}])
    found = store.providers_by_id([body["provider"]])
    if body["provider"] not in found:
        raise Problem(
            422, "UNKNOWN_PROVIDER", "No such provider.", errors=[{"field": "provider", "message": "unknown"}]
        )
    return found[body["provider"]]


def _checked(fields: dict) -> dict:
    """An interpreter's fields as stored, or why not: an in-room interpreter serves one patient at a
    time; working hours end after they start."""
    errors = []
    if fields.get("level") == "IN_ROOM" and fields.get("capacity", 1) != 1:
        errors.append({"field": "capacity", "message": "an IN_ROOM interpreter serves one patient at a time"})
    for index, hours in enumerate(fields.get("hours", [])):
        if time.fromisoformat(hours["from"]) >= time.fromisoformat(hours["to"]):
            errors.append({"field": f"hours[{index}].to", "message": "must be after from"})
    if errors:
        raise validation_problem(errors)
    stored = {key: fields[key] for key in FIELDS if key in fields}
    if "languages" in stored:
        stored["languages"] = sorted(set(stored["languages"]))
    return stored


def create(body: dict, principal: Principal) -> dict:
    provider = _provider_of_new(body, principal)
    now = utcnow()
    document = {
        "_id": ObjectId(),
        "provider": provider["_id"],
        "capacity": 1,
        "active": True,
        "credential": None,
        "hours": [],
        "source": "admin",
        "created_at": now,
        "updated_at": now,
        **_checked(body),
    }
    document["serves"] = store.serves(provider["clinics"], document["languages"]) if document["active"] else []
    store.insert_interpreter(document)
    return with_provider(document, provider)


def update(interpreter_id: str, body: dict, principal: Principal) -> dict:
    """Change an interpreter: the change is checked against her as read and written only if nobody changed
    her since (an update guarded by ``updated_at``), else decided again; 409 CONCURRENT_UPDATE after
    ``ATTEMPTS`` lost races."""
    oid = object_id(interpreter_id, "interpreter")
    for _ in range(ATTEMPTS):
        found = store.interpreters_by_id([oid])[0]
        if found is None or not _may_manage(principal, found["provider"]):
            raise not_found("interpreter", interpreter_id)
        merged = {**found, **body}
        checked = _checked({**{key: merged[key] for key in FIELDS if key in merged}, **body})
        changes = {**checked, "updated_at": utcnow()}
        provider = store.providers_by_id([found["provider"]])[found["provider"]]
        languages = changes.get("languages", found["languages"])
        active = changes.get("active", found.get("active", True))
        changes["serves"] = store.serves(provider["clinics"], languages) if active else []
        failpoint("bookings.interpreter_checked")
        updated = store.update_interpreter(found["_id"], found.get("updated_at"), changes)
        if updated is not None:
            return with_provider(updated, provider)
    raise Problem(409, "CONCURRENT_UPDATE", "The interpreter was changed at the same moment; read her again and retry.")


def listed(principal: Principal, provider: str | None) -> list[dict]:
    """A provider's interpreters, for those who manage it (a clinic's admins: their own by default)."""
    provider = provider or (clinic_provider(principal.clinic or "") if principal.role == "CLINIC_ADMIN" else None)
    if provider is None:
        raise validation_problem([{"field": "provider", "message": "required for a platform admin"}])
    if not _may_manage(principal, provider):
        raise Problem(403, "FORBIDDEN", "You may only list the interpreters you manage.")
    found = store.providers_by_id([provider])
    return [with_provider(doc, found.get(provider)) for doc in store.interpreters_of(provider)]


def providers(principal: Principal, clinic: str | None) -> list[dict]:
    """The providers a clinic's admins are served by (their own coordinators among them), or, for platform
    admins, those serving ``clinic`` (every one when none is named)."""
    if principal.role == "CLINIC_ADMIN":
        if clinic not in (None, principal.clinic):
            raise Problem(403, "FORBIDDEN", "A clinic's admins see the providers of their own clinic only.")
        clinic = principal.clinic
    return store.providers_serving(clinic) if clinic else store.every_provider()


def create_provider(body: dict, principal: Principal) -> dict:
    now = utcnow()
    document = {
        "_id": body["id"],
        "name": body["name"],
        "kind": "INTERPRETATION_PROVIDER",
        "clinics": sorted(set(body["clinics"])),
        "notice_hours": body.get("noticeHours", 0),
        "weekly_cap": body.get("weeklyCap"),
        "source": "admin",
        "created_at": now,
        "updated_at": now,
    }
    try:
        store.insert_provider(document)
    except DuplicateKeyError:
        raise Problem(409, "PROVIDER_EXISTS", "A provider has this id already.") from None
    return document


def update_provider(provider_id: str, body: dict, principal: Principal) -> dict:
    found = store.providers_by_id([provider_id]).get(provider_id)
    if found is None or found["kind"] != "INTERPRETATION_PROVIDER":
        raise not_found("provider", provider_id)
    names = {"name": "name", "clinics": "clinics", "noticeHours": "notice_hours", "weeklyCap": "weekly_cap"}
    changes = {names[key]: value for key, value in body.items() if key in names}
    if "clinics" in changes:
        changes["clinics"] = sorted(set(changes["clinics"]))
    updated = store.update_provider(provider_id, {**changes, "updated_at": utcnow()})
    assert updated is not None
    if "clinics" in changes:
        store.set_serves(provider_id, updated["clinics"])
    return updated


def with_provider(interpreter: dict, provider: dict | None) -> dict:
    return {**interpreter, "provider_doc": provider}


# -- the time a visit needs, and who can give it -------------------------------------------------------


def time_units(interpreter_id: str, start: datetime, minutes: int, buffer_minutes: int) -> list[str]:
    """The half hours an interpreter spends on a visit: from the block its start falls in to the end of
    the visit and the buffer after it."""
    moment = aware(start).astimezone(SEOUL)
    first = moment.replace(minute=moment.minute - moment.minute % 30, second=0, microsecond=0)
    end = moment + timedelta(minutes=minutes + buffer_minutes)
    blocks = []
    while first < end:
        blocks.append(f"time|{interpreter_id}|{first.astimezone(SEOUL).isoformat()}")
        first += BLOCK
    return blocks


def week_unit(provider: str, clinic: str, start: datetime) -> str:
    year, week, _ = aware(start).astimezone(SEOUL).isocalendar()
    return f"week|{provider}|{clinic}|{year}-W{week:02d}"


def works(interpreter: dict, start: datetime, end: datetime) -> bool:
    """Whether the visit, start to end, falls inside one of the interpreter's working hours (Seoul)."""
    local_start, local_end = aware(start).astimezone(SEOUL), aware(end).astimezone(SEOUL)
    if local_start.date() != local_end.date():  # working hours end by 23:59
        return False
    weekday = WEEKDAYS[local_start.weekday()]
    return any(
        hours["weekday"] == weekday
        and time.fromisoformat(hours["from"]) <= local_start.time()
        and local_end.time() <= time.fromisoformat(hours["to"])
        for hours in interpreter.get("hours", [])
    )


def certified_on(interpreter: dict, day: date) -> bool:
    """No credential, or one still valid on ``day`` (a credential past its expiry is not valid)."""
    expires = (interpreter.get("credential") or {}).get("expiresOn")
    return expires is None or date.fromisoformat(expires) >= day


def still_serves(interpreter: dict, language: str, start: datetime, minutes: int) -> bool:
    """Whether an interpreter reserved for a visit can still give it: active, in its language, working then and
    certified on the day (an admin may have closed her hours since)."""
    end = aware(start) + timedelta(minutes=minutes)
    return (
        interpreter.get("active", True)
        and language in interpreter["languages"]
        and works(interpreter, start, end)
        and certified_on(interpreter, seoul_date(start))
    )


def block_of(moment: datetime) -> str:
    """The half hour a moment falls in, as an interpreter's half hours name it (``time_units``)."""
    local = aware(moment).astimezone(SEOUL)
    return local.replace(minute=local.minute - local.minute % 30, second=0, microsecond=0).isoformat()


@dataclass(frozen=True)
class Visit:
    number: int | str  # a visit, or a follow-up by its key (F1)
    start: datetime
    minutes: int
    field: str | None  # the input that gave its slot, to name in a refusal


def unavailable(visit: Visit, language: str) -> Problem:
    """No interpreter in ``language`` can serve the visit: refused by name."""
    detail = f"No {language} interpreter is free for visit {visit.number}."
    errors = [{"field": visit.field, "message": f"no {language} interpreter free"}] if visit.field else None
    return Problem(409, "INTERPRETER_UNAVAILABLE", detail, errors=errors)


Option = tuple[dict, list[dict]]  # an interpreter, and the units a visit would take of her


class Calendar:
    """Who could interpret visits in a language at a clinic, as read (``calendars`` reads many at once):
    the in-room people, clinic's own coordinators first, and their providers."""

    def __init__(
        self,
        clinic: str,
        language: str,
        people: list[dict],
        providers: dict[str, dict],
        buffer_minutes: int,
        now: datetime,
    ):
        self.clinic, self.language, self.buffer_minutes, self.now = clinic, language, buffer_minutes, now
        self.providers = providers
        self.people = sorted(
            people, key=lambda doc: (providers[doc["provider"]]["kind"] != "CLINIC", doc["provider"], doc["name"])
        )

    def options(self, visit: Visit) -> list[Option]:
        """Everyone who could serve ``visit`` (speaks, works then, certified that day, notice and cap allowing),
        clinic's own coordinators first, each with the units the visit would take of them."""
        end = aware(visit.start) + timedelta(minutes=visit.minutes)
        found = []
        for person in self.people:
            if not person.get("active", True):
                continue
            provider = self.providers[person["provider"]]
            if aware(visit.start) < self.now + timedelta(hours=provider["notice_hours"]):
                continue
            if not (works(person, visit.start, end) and certified_on(person, seoul_date(visit.start))):
                continue
            capacity = 1 if person["level"] == "IN_ROOM" else person["capacity"]  # one patient in the room
            units = [
                {"id": unit, "capacity": capacity}
                for unit in time_units(str(person["_id"]), visit.start, visit.minutes, self.buffer_minutes)
            ]
            if provider.get("weekly_cap"):
                units.append(
                    {"id": week_unit(provider["_id"], self.clinic, visit.start), "capacity": provider["weekly_cap"]}
                )
            found.append((person, units))
        return found


def calendars(
    keys: Collection[tuple[str, str]], buffer_minutes: int, now: datetime, tried: Collection[str] = ()
) -> dict[tuple[str, str], Calendar]:
    """The calendars of these (clinic, language) pairs: two queries whatever their number."""
    people = [
        doc
        for doc in store.interpreters_serving(sorted(f"{clinic}:{language}" for clinic, language in keys))
        if doc["level"] == "IN_ROOM" and str(doc["_id"]) not in tried
    ]
    providers = store.providers_by_id(sorted({doc["provider"] for doc in people}))
    return {
        (clinic, language): Calendar(
            clinic,
            language,
            [doc for doc in people if f"{clinic}:{language}" in doc["serves"]],
            providers,
            buffer_minutes,
            now,
        )
        for clinic, language in keys
    }


def first_free(
    wanted: list[list[Option]], read: Callable[[list[str]], dict[str, dict]] | None = None
) -> list[Option | None]:
    """For each list of options, the first whose units all look free (None if none's): one ``read`` of
    the units by id (``store.units_by_id`` unless given), none when no one could serve."""
    ids = sorted({u["id"] for options in wanted for _, units in options for u in units})
    taken = (read or store.units_by_id)(ids) if ids else {}
    return [
        next(
            (
                (person, units)
                for person, units in options
                if all(taken.get(u["id"], {"count": 0})["count"] < u["capacity"] for u in units)
            ),
            None,
        )
        for options in wanted
    ]


def assign(
    clinic: str,
    language: str,
    visits: list[Visit],
    buffer_minutes: int,
    now: datetime,
    tried: Collection[str] = (),
    calendar: Calendar | None = None,
    read: Callable[[list[str]], dict[str, dict]] | None = None,
) -> list[dict]:
    """For each visit, an in-room interpreter who speaks ``language`` for the clinic, works then, is
    certified on the day, whose provider's notice and weekly cap allow it, and whose half hours look free
    (a read: the ledger's guarded updates decide): ``{interpreter, provider, units}`` per visit, the
    clinic's own coordinators first. Three queries whatever the number of visits. Refused with
    INTERPRETER_UNAVAILABLE naming the first visit no one can serve. ``calendar``: the clinic's calendar in
    ``language`` read already (by ``calendars``, with nobody ``tried``), so only the half hours are read;
    ``read``: how (``first_free``)."""
    calendar = calendar or calendars([(clinic, language)], buffer_minutes, now, tried)[(clinic, language)]
    assigned = []
    for visit, free in zip(visits, first_free([calendar.options(visit) for visit in visits], read), strict=True):
        if free is None:
            raise unavailable(visit, language)
        person, units = free
        provider = calendar.providers[person["provider"]]
        assigned.append({"visit": visit.number, "interpreter": person, "provider": provider, "units": units})
    return assigned


def shown(interpreter: dict, provider: dict | None, language: str) -> dict:
    """An interpreter as a booking's visit shows it to the agency and the clinic."""
    return {
        "id": str(interpreter["_id"]),
        "name": interpreter["name"],
        "language": language,
        "provider": provider["name"] if provider else None,
        "credential": {key: value for key, value in (interpreter.get("credential") or {}).items() if key != "number"}
        or None,
    }
