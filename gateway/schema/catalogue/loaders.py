"""Clinics and procedures by key and language, one catalogue call per batch and language."""

from __future__ import annotations

from typing import Any

from ...clients import bookings, catalogue
from ..core.loaders import ByLanguageLoader, Loader


class ClinicBySlugLoader(ByLanguageLoader):
    """Keys: (slug, lang)."""

    fetch = staticmethod(catalogue.clinics_by_slug)


class ProcedureByCodeLoader(ByLanguageLoader):
    """Keys: (procedure code, lang)."""

    fetch = staticmethod(catalogue.procedures_by_code)


class InstitutionRegistrationLoader(Loader):
    """Keys: clinic slugs; their registrations as institutions for foreign patients (the bookings service keeps
    them, beside the bookings they govern), one call per batch."""

    async def load_batch(self, keys: list[str]) -> list[Any]:
        return await bookings.institution_registrations(self.context, keys)
