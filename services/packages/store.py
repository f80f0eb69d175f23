"""Every query and update of the packages service, each beside the index that serves it, and the
read model of published packages that listings are answered from."""

from __future__ import annotations

from datetime import datetime, timedelta

from bson import ObjectId
from mongoengine.connection import get_db
from pymongo import ReturnDocument, UpdateOne

from services.common.eventlog import EventLog
from services.common.readmodel import ReadModel
from services.common.store import Registry, once, upsert_missing
from services.common.visibility import LISTED

from .models import ALIAS, CurrentExchangeRates, ExchangeRateTable, Package, PackageVersion, Quote, listing_key
from .prices import per_visit, visits_of

registry = Registry("packages")
event_log = EventLog(lambda: get_db(ALIAS), registry, scopes=("clinic", "public"))
# Stored for filters and sorts, never served.
DERIVED = (
    "listing",
    "price_key",
    "price_per_session_key",
    "downtime_key",
    "sessions_key",
    "updated_key",
    "procedure_codes",
    "interpreter_languages",
    "follow_up_kinds",
)
PURGE_AFTER = timedelta(days=7)  # an unlocked quote is purged this long after it expires
LOCKED_KEPT = timedelta(days=30)  # a locked one this long
SORT_FIELDS = ("price_key", "price_per_session_key", "downtime_key", "sessions_key", "updated_key")


def packages():
    return Package._get_collection()


def versions():
    return PackageVersion._get_collection()


def quotes():
    return Quote._get_collection()


# -- packages ------------------------------------------------------------------------------------


@registry.write("_id_")
def insert_package(document: dict, session=None) -> None:
    packages().insert_one(document, session=session)


@registry.read("_id_")
def package_by_id(package_id: ObjectId, session=None) -> dict | None:
    return packages().find_one({"_id": package_id}, session=session)


@registry.read("_id_")
def packages_by_id(ids: list[ObjectId]) -> list[dict | None]:
    found = {doc["_id"]: doc for doc in packages().find({"_id": {"$in": ids}})}
    return [found.get(ident) for ident in ids]


@registry.read("clinic")
def packages_in_listings(listings: list[str]) -> list[dict]:
    """Every package of these clinics in one status (``listing_key``): one clinic's drafts, say."""
    return list(packages().find({"listing": {"$in": listings}}))


@registry.write("_id_")
def replace_package(document: dict, read_version: int, session=None) -> bool:
    """Replace a package if it is still at the version read: no lost update."""
    return (
        packages()
        .replace_one({"_id": document["_id"], "version": read_version}, document, session=session)
        .matched_count
        == 1
    )


@registry.write("_id_")
def change_package_status(
    package_id: ObjectId, clinic: str, allowed: list[str], target: str, now: datetime, session=None
) -> dict | None:
    return packages().find_one_and_update(
        {"_id": package_id, "status": {"$in": allowed}},
        {
            "$set": {
                "status": target,
                "listing": listing_key(clinic, target),
                "updated_at": now,
                "updated_key": f"{now.isoformat()}:{package_id}",
            }
        },
        return_document=ReturnDocument.AFTER,
        session=session,
    )


@registry.write("package_version")
def insert_version(package_id: str, document: dict, published: bool, now: datetime, session=None) -> None:
    versions().insert_one(
        {
            "package_id": package_id,
            "version": document["version"],
            "document": document,
            "published": published,
            "created_at": now,
        },
        session=session,
    )


@registry.write("package_version")
def mark_version_published(package_id: str, version: int, session=None) -> None:
    versions().update_one(
        {"package_id": package_id, "version": version}, {"$set": {"published": True}}, session=session
    )


@registry.read("package_version")
def version(package_id: str, number: int) -> dict | None:
    return versions().find_one({"package_id": package_id, "version": number})


@registry.write("_id_")
def insert_missing_packages(documents: list[dict]) -> int:
    """Insert-if-absent by id, each with its first version, in batches the server answers in time
    (``upsert_missing``): the versions first, so no package is seen without its version."""
    first_versions = [
        UpdateOne(
            {"package_id": str(doc["_id"]), "version": doc["version"]},
            {
                "$setOnInsert": {
                    "document": doc,
                    "published": doc["status"] == "PUBLISHED",
                    "created_at": doc["created_at"],
                }
            },
            upsert=True,
        )
        for doc in documents
    ]
    upsert_missing(versions(), first_versions)
    operations = [UpdateOne({"_id": doc["_id"]}, {"$setOnInsert": doc}, upsert=True) for doc in documents]
    return len(upsert_missing(packages(), operations))


def describe(doc: dict) -> tuple[list, tuple]:
    """What a package can be filtered by: tokens, and (price, visits, downtime) for ranges."""
    tokens = [("clinic", doc["clinic"])]
    tokens += [("scarType", code) for code in doc.get("scar_types", [])]
    tokens += [("procedure", code) for code in doc.get("procedure_codes", [])]
    tokens += [("interpreterLanguage", code) for code in doc.get("interpreter_languages", [])]
    tokens += [("followUpKind", kind) for kind in doc.get("follow_up_kinds", [])]
    return tokens, (doc["price_krw"], doc.get("visits", 0), doc.get("downtime_days", 0))


def published_model() -> ReadModel:
    """Every published package, for listings (see ``services.common.readmodel``)."""
    return ReadModel(
        "published-packages",
        packages,
        hold={"status": LISTED},
        include=lambda doc: doc.get("status") == LISTED,
        describe=describe,
        sort_fields=SORT_FIELDS,
        strip=DERIVED,
    )


def listing_model(documents: list[dict]) -> ReadModel:
    """The same paging over a few documents read fresh (a clinic's own drafts or archive)."""
    return ReadModel.of(documents, describe, SORT_FIELDS, DERIVED)


# -- exchange rates ------------------------------------------------------------------------------


@registry.read("_id_")
def current_rates() -> dict | None:
    return CurrentExchangeRates._get_collection().find_one({"_id": "current"})


@registry.write("_id_")
def replace_rates(as_of: str, rates: dict, source: str, now: datetime) -> None:
    """Keep the table in the history, then make it the current one."""
    ExchangeRateTable._get_collection().insert_one(
        {"as_of": as_of, "rates": rates, "source": source, "created_at": now}
    )
    CurrentExchangeRates._get_collection().replace_one(
        {"_id": "current"}, {"as_of": as_of, "rates": rates, "source": source, "created_at": now}, upsert=True
    )


def migrate_documents() -> int:
    """Packages (and their versions) stored before they kept a visit window get their interval as one,
    and quotes locked before locks were purged get their purge time, once (start-up)."""

    def migrate() -> int:
        interval = {"min_days": "$session_interval_days", "max_days": "$session_interval_days"}
        changed = packages().update_many({"visit_window": None}, [{"$set": {"visit_window": interval}}]).modified_count
        in_version = {"min_days": "$document.session_interval_days", "max_days": "$document.session_interval_days"}
        stale = {"document.visit_window": None}
        changed += versions().update_many(stale, [{"$set": {"document.visit_window": in_version}}]).modified_count
        kept = {"$add": ["$expires_at", int(LOCKED_KEPT.total_seconds() * 1000)]}
        locked = {"locked_by": {"$gt": ""}, "purge_at": None}
        changed += quotes().update_many(locked, [{"$set": {"purge_at": kept}}]).modified_count
        return changed

    return once(packages().database, "packages.visit_window", migrate)


_LACKING_DERIVED = ("visits", "price_per_session_krw", "procedure_names")


def _derived(doc: dict) -> dict:
    """What a document kept before these were derived on save lacks: its visits, price per visit and
    procedure names (none known: each shows its code)."""
    visits = visits_of(doc["items"])
    return {"visits": visits, "price_per_session_krw": per_visit(doc["price_krw"], visits), "procedure_names": {}}


def migrate_derived() -> int:
    """Packages and their versions stored before they kept their visits, price per visit and procedure
    names get them; what a document already has is kept. Only documents lacking one are read, so a
    second run changes nothing (``python -m services.packages migrate``, and every ``init``)."""
    changed = 0
    lacking = {"$or": [{name: None} for name in _LACKING_DERIVED]}
    for doc in list(packages().find(lacking)):
        missing = {k: v for k, v in _derived(doc).items() if doc.get(k) is None}
        changed += (
            packages().update_one({"_id": doc["_id"], "version": doc["version"]}, {"$set": missing}).modified_count
        )
    in_version = {"$or": [{f"document.{name}": None} for name in _LACKING_DERIVED]}
    for kept in list(versions().find(in_version)):
        doc = kept["document"]
        missing = {f"document.{k}": v for k, v in _derived(doc).items() if doc.get(k) is None}
        changed += versions().update_one({"_id": kept["_id"]}, {"$set": missing}).modified_count
    return changed


def migrate_rates() -> None:
    """Name the newest table of the history current, where no table is yet (start-up only)."""
    if current_rates() is None:
        newest = ExchangeRateTable._get_collection().find_one({}, sort=[("created_at", -1)])
        if newest is not None:
            CurrentExchangeRates._get_collection().update_one(
                {"_id": "current"},
                {"$setOnInsert": {k: newest[k] for k in ("as_of", "rates", "source", "created_at")}},
                upsert=True,
            )


# -- quotes --------------------------------------------------------------------------------------


@registry.write("_id_")
def insert_quote(document: dict) -> None:
    quotes().insert_one(document)


@registry.read("_id_")
def quote_by_id(quote_id: str) -> dict | None:
    return quotes().find_one({"_id": quote_id})


@registry.read("locked_by")
def locked_quotes(after: str, limit: int) -> list[dict]:
    """Locked quotes by the reference that locks them, after ``after``: a range on one index."""
    found = quotes().find({"locked_by": {"$gt": after}}, {"locked_by": 1, "expires_at": 1}).sort("locked_by", 1)
    return list(found.limit(limit))


@registry.write("_id_")
def lock_quote(quote_id: str, reference: str, owner: str | None, now: datetime) -> dict | None:
    """Lock an unexpired quote of ``owner`` (or of no one: it becomes ``owner``'s) for one booking;
    locking again for the same booking answers the same. A locked quote is kept ``LOCKED_KEPT`` after it
    expires (its booking keeps its own copy of the price), then purged like any other."""
    locked = quotes().update_one(
        {
            "_id": quote_id,
            "expires_at": {"$gt": now},
            "locked_by": {"$in": [None, reference]},
            "owner": {"$in": [None, owner]},
        },
        [
            {
                "$set": {
                    "locked_by": {"$literal": reference},
                    "locked_at": {"$literal": now},
                    "owner": {"$literal": owner},
                    "purge_at": {"$add": ["$expires_at", int(LOCKED_KEPT.total_seconds() * 1000)]},
                }
            }
        ],
    )
    # Read back by id: on the embedded server, update-then-read costs a third of a findAndModify.
    return quote_by_id(quote_id) if locked.matched_count == 1 else None


@registry.write("_id_")
def unlock_quote(quote_id: str, reference: str, owner: str | None) -> dict | None:
    """Give back a quote of ``owner`` (None: anyone's) that ``reference`` locked: the quote after, or
    None if it is not theirs or ``reference`` did not hold it. Unlocked, it is purged again a week
    after it expires."""
    guard: dict = {"_id": quote_id, "locked_by": reference}
    if owner is not None:
        guard["owner"] = owner
    unlocked = quotes().find_one_and_update(
        guard,
        {"$set": {"locked_by": None, "locked_at": None}},
        return_document=ReturnDocument.AFTER,
    )
    if unlocked is not None:
        unlocked["purge_at"] = unlocked["expires_at"] + PURGE_AFTER
        quotes().update_one({"_id": quote_id, "locked_by": None}, {"$set": {"purge_at": unlocked["purge_at"]}})
    return unlocked
