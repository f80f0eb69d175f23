"""Writing packages and their versions, and their status; who may see them is ``services.common.visibility``."""

from __future__ import annotations

from bson import ObjectId
from mongoengine import ValidationError as ModelValidationError

from services.common import wire
from services.common.db import in_transaction
from services.common.errors import Problem, not_found, validation_problem
from services.common.ids import object_id
from services.common.tokens import Principal
from services.common.visibility import visible_to

from . import events, store
from .knowledge import apply_knowledge, check_with_catalogue
from .models import ALIAS, Package, utcnow

TRANSITIONS = {"PUBLISHED": ("DRAFT",), "ARCHIVED": ("DRAFT", "PUBLISHED")}


def model_fields(body: dict) -> dict:
    return wire.model_fields(Package, body)


def _check_options(body: dict) -> None:
    errors = []
    for name, key in (("interpreterOptions", "language"), ("followUpPlans", "code")):
        seen = set()
        for index, option in enumerate(body.get(name, [])):
            if option[key] in seen:
                errors.append({"field": f"{name}[{index}].{key}", "message": f"{option[key]} is listed twice"})
            seen.add(option[key])
    for index, option in enumerate(body.get("interpreterOptions", [])):
        if not option["included"] and "pricePerSessionKrw" not in option:
            errors.append(
                {"field": f"interpreterOptions[{index}].pricePerSessionKrw", "message": "needed unless included"}
            )
    items = body.get("items", [])
    if len({item["procedure"] for item in items}) != len(items):
        errors.append({"field": "items", "message": "a procedure is listed twice"})
    tiers = body.get("cancellationPolicy", {}).get("tiers", [])
    days = [tier["daysBefore"] for tier in tiers]
    if len(set(days)) != len(days):
        errors.append({"field": "cancellationPolicy.tiers", "message": "two tiers for the same daysBefore"})
    if errors:
        raise validation_problem(errors)


def _validated(package: Package) -> dict:
    try:
        package.validate()  # also derives the filter and sort fields
    except ModelValidationError as exc:
        raise validation_problem([{"field": f, "message": str(m)} for f, m in (exc.to_dict() or {}).items()]) from None
    return package.to_mongo().to_dict()


def create_package(body: dict, principal: Principal) -> dict:
    if not principal.administers(body["clinic"]):
        raise Problem(403, "FORBIDDEN", "You may only create packages for your own clinic.")
    _check_options(body)
    knowledge = check_with_catalogue(body["clinic"], body["items"])
    package = Package(id=ObjectId(), **model_fields(body))
    apply_knowledge(package, knowledge)
    document = _validated(package)

    def write(session):
        store.insert_package(document, session=session)
        store.insert_version(str(document["_id"]), document, False, utcnow(), session=session)

    in_transaction(ALIAS, write)
    return document


def find_package(package_id: str, principal: Principal | None) -> dict:
    """A package the caller may see (404 for others)."""
    doc = store.package_by_id(object_id(package_id, "package"))
    if doc is None or not visible_to(doc, principal):
        raise not_found("package", package_id)
    return doc


def update_package(package_id: str, patch: dict, principal: Principal, expected_version: int | None) -> dict:
    """Apply a merge patch; the version rises and the new version is kept beside the old ones,
    in one transaction guarded by the version read."""
    current = find_package(package_id, principal)
    if not principal.administers(current["clinic"]):
        raise Problem(403, "FORBIDDEN", "You may only change your own clinic's packages.")
    if current["status"] == "ARCHIVED":
        raise Problem(409, "PACKAGE_ARCHIVED", "An archived package cannot change.")
    if expected_version is not None and current["version"] != expected_version:
        raise Problem(
            412, "VERSION_MISMATCH", f"The package is at version {current['version']}, not {expected_version}."
        )
    _check_options(patch)
    package = Package._from_son(current)
    for field, value in model_fields(patch).items():
        setattr(package, field, value)
    if "items" in patch or "screening" in patch:
        items = [{"procedure": item.procedure} for item in package.items]
        apply_knowledge(package, check_with_catalogue(package.clinic, items))
    read_version = current["version"]
    package.version = read_version + 1
    package.updated_at = utcnow()
    document = _validated(package)

    def write(session):
        if not store.replace_package(document, read_version, session=session):
            raise Problem(409, "CONCURRENT_UPDATE", "The package changed while this update was applied; read it again.")
        store.insert_version(package_id, document, document["status"] == "PUBLISHED", utcnow(), session=session)
        return events.write("package.updated", document, principal.subject, document["updated_at"], session)

    events.publish(in_transaction(ALIAS, write))
    return document


def change_status(package_id: str, target: str, principal: Principal) -> dict:
    """DRAFT -> PUBLISHED -> ARCHIVED (or DRAFT -> ARCHIVED); anything else is 409. The guard
    on the current status is part of the update, so two racing changes cannot both apply."""
    current = find_package(package_id, principal)
    if not principal.administers(current["clinic"]):
        raise Problem(403, "FORBIDDEN", "You may only change your own clinic's packages.")
    now = utcnow()

    def write(session):
        updated = store.change_package_status(
            current["_id"], current["clinic"], list(TRANSITIONS[target]), target, now, session=session
        )
        if updated is None:
            latest = store.package_by_id(current["_id"], session=session)
            raise Problem(409, "INVALID_TRANSITION", f"A {latest['status']} package cannot become {target}.")
        if target == "PUBLISHED":
            store.mark_version_published(package_id, updated["version"], session=session)
        return updated, events.write(f"package.{target.lower()}", updated, principal.subject, now, session)

    updated, event = in_transaction(ALIAS, write)
    events.publish(event)
    return updated


def find_version(package_id: str, version: int, principal: Principal | None) -> dict:
    found = store.version(str(object_id(package_id, "package")), version)
    # A version once published stays readable by anyone, whatever the package's status now.
    if found is None or not visible_to(
        {**found["document"], "status": "PUBLISHED" if found["published"] else "DRAFT"}, principal
    ):
        raise not_found("package version", f"{package_id}/versions/{version}")
    return found["document"]
