"""Clinics and procedures by key and language, one catalogue call per batch and language."""

from __future__ import annotations

from ...clients import catalogue
from ..core.loaders import ByLanguageLoader


class ClinicBySlugLoader(ByLanguageLoader):
    """Keys: (slug, lang)."""

    fetch = staticmethod(catalogue.clinics_by_slug)


class ProcedureByCodeLoader(ByLanguageLoader):
    """Keys: (procedure code, lang)."""

    fetch = staticmethod(catalogue.procedures_by_code)
