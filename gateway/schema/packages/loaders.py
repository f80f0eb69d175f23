"""Packages by id and language, and their next free slots."""

from __future__ import annotations

from ...clients import bookings, packages
from ..core.loaders import ByLanguageLoader, Loader


class PackageByIdLoader(ByLanguageLoader):
    """Keys: (package id, lang)."""

    fetch = staticmethod(packages.packages_by_id)


class NextFreeSlotLoader(Loader):
    """Keys: (package id, clinic slug, interpreter language or None, follow-up kind or None); one bookings
    call for every package of the request."""

    async def load_batch(self, keys: list[tuple[str, str, str | None, str | None]]) -> list:
        return await bookings.next_free_slots(self.context, keys)
