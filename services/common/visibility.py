"""Who sees a draft, decided once: anyone sees a package once it is published (or archived); a draft
only its clinic's admins and platform admins. The packages service reads, lists and tells events by
it; the gateway by it sends a public read without the caller's token, so the answer can be cached."""

from __future__ import annotations

from collections.abc import Iterable

from .tokens import Principal

LISTED = "PUBLISHED"  # the status anyone's listing shows; any other is a clinic's own view


def is_public(status: str) -> bool:
    """Whether a package in ``status`` is seen by anyone, without an API key too."""
    return status != "DRAFT"


def visible_to(package: dict, principal: Principal | None) -> bool:
    """Whether the caller sees the package (its ``status`` and ``clinic``)."""
    return is_public(package["status"]) or bool(principal and principal.administers(package["clinic"]))


def listable_by(status: str, clinics: Iterable[str], principal: Principal | None) -> bool:
    """Whether the caller may list packages of ``status`` of these clinics: anyone the published ones,
    any other status only a caller who administers every clinic named."""
    if status == LISTED:
        return True
    named = list(clinics)
    return principal is not None and bool(named) and all(principal.administers(slug) for slug in named)


def sees_as_anyone(principal: Principal | None) -> bool:
    """Whether ``visible_to`` answers this caller as it answers an anonymous one: true unless the caller
    administers a clinic (or every clinic), so that caller's public reads are everyone's."""
    return principal is None or not (principal.is_platform_admin or principal.role == "CLINIC_ADMIN")
