"""The sweeper (``python -m services.bookings sweep``): what a process that died halfway left behind,
finished or undone by the seat ledger, the changes the clinic started that a request left unproposed, and the
events left in outboxes moved into the event log.

Every step is guarded, so sweepers may run anywhere, at once.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from services.common.clock import utcnow

from . import changes, ledger, store

SWEEP_BATCH = 500


def sweep(now: datetime | None = None, hold_seconds: int = 120, batch: int = SWEEP_BATCH) -> dict:
    """Settle every claim past its expiry (see ``ledger.sweep``), checking each booking it writes against what
    the clinic withdrew meanwhile (``changes.recorded``), then propose a change for every visit still BOOKED on a
    closed slot (``changes.settle_closed``): how many reservations were given back, committed bookings recorded,
    moves or cancellations settled, and visits proposed."""
    settings = changes.settings_of(current_app.config["SETTINGS"])
    counts = ledger.sweep(now or utcnow(), hold_seconds, batch, lambda booking: changes.recorded(booking, settings))
    store.count_sweep(counts)  # the totals /metrics reports
    return {**counts, "proposed": changes.settle_closed(settings, batch)}
