"""The sweeper (``python -m services.bookings sweep``): what a process that died halfway left behind,
finished or undone by the seat ledger, and the events left in outboxes moved into the event log.

Every step is guarded, so sweepers may run anywhere, at once.
"""

from __future__ import annotations

from datetime import datetime

from services.common.clock import utcnow

from . import ledger, store

SWEEP_BATCH = 500


def sweep(now: datetime | None = None, hold_seconds: int = 120, batch: int = SWEEP_BATCH) -> dict:
    """Settle every claim past its expiry (see ``ledger.sweep``): how many reservations were given back,
    committed bookings recorded, and moves or cancellations settled."""
    counts = ledger.sweep(now or utcnow(), hold_seconds, batch)
    store.count_sweep(counts)  # the totals /metrics reports
    return counts
