"""Bookings by reference: one bookings call per batch (visibility is the service's)."""

from __future__ import annotations

from ...clients import bookings
from ..core.loaders import Loader


class BookingByReferenceLoader(Loader):
    """Keys: booking references."""

    async def load_batch(self, keys: list[str]) -> list:
        return await bookings.bookings_by_reference(self.context, keys)
