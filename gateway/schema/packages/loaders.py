"""Packages by id and language, their prices in a currency, and their next free slots."""

from __future__ import annotations

from collections import defaultdict

from ...clients import bookings, packages
from ..core.loaders import ByLanguageLoader, Loader


class PackageByIdLoader(ByLanguageLoader):
    """Keys: (package id, lang)."""

    fetch = staticmethod(packages.packages_by_id)


class PackagePriceLoader(Loader):
    """Keys: ((package id, version), currency); one call per currency asked for, priced by the packages service."""

    async def load_batch(self, keys: list[tuple[tuple[str, int], str]]) -> list:
        by_currency: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for package, currency in keys:
            if package not in by_currency[currency]:
                by_currency[currency].append(package)
        found: dict[tuple[tuple[str, int], str], dict | None] = {}
        for currency, asked in by_currency.items():
            priced = await packages.package_prices(self.context, asked, currency)
            found.update(zip(((package, currency) for package in asked), priced, strict=True))
        return [found[key] for key in keys]


class NextFreeSlotLoader(Loader):
    """Keys: (package id, clinic slug, interpreter language or None, follow-up kind or None); one bookings
    call for every package of the request."""

    async def load_batch(self, keys: list[tuple[str, str, str | None, str | None]]) -> list:
        return await bookings.next_free_slots(self.context, keys)
