"""The bookings service's own gauges, read when ``/metrics`` is scraped: what is in flight in the seat
ledger (only claims not yet settled are read, never the bookings made), the sweeper's running totals,
and the head of the event log."""

from __future__ import annotations

from collections import Counter

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from services.common.clock import utcnow
from services.common.metrics import event_log_head

from . import store

STATES = ("HELD", "BOOKING", "BOOKED", "MOVING", "RELEASING", "EXPIRING")


def ledger():
    now = utcnow()
    claims = store.claims_in_flight()
    held = GaugeMetricFamily(
        "clinicbridge_bookings_held_seats",
        "Seats claimed by reservations not yet booked: checkout holds and bookings being made.",
        value=sum(len(c.get("items") or []) for c in claims if c["state"] in ("HELD", "BOOKING")),
    )
    holds = GaugeMetricFamily(
        "clinicbridge_bookings_live_holds",
        "Checkout holds (holdVisits) not yet booked, released or expired.",
        value=sum(1 for c in claims if c["state"] == "HELD" and c.get("hold_id") and c["expires_at"] > now),
    )
    overdue = GaugeMetricFamily(
        "clinicbridge_bookings_overdue_claims",
        "Claims past their expiry, waiting for the sweeper: more than a few for long means no sweeper runs.",
        value=sum(1 for c in claims if c["expires_at"] <= now),
    )
    states = Counter(c["state"] for c in claims)
    in_flight = GaugeMetricFamily(
        "clinicbridge_bookings_claims_in_flight",
        f"Claims not yet settled, by state (at most {store.IN_FLIGHT_LIMIT} read).",
        labels=["state"],
    )
    for state in STATES:
        in_flight.add_metric([state], states.get(state, 0))
    swept = CounterMetricFamily(
        "clinicbridge_bookings_sweeper_claims",
        "Claims the sweeper settled, by outcome: reclaimed (a reservation's seats freed), recorded (a committed "
        "booking written), settled (a move or cancellation finished).",
        labels=["outcome"],
    )
    totals = store.sweep_totals()
    for outcome in ("reclaimed", "recorded", "settled"):
        swept.add_metric([outcome], totals.get(outcome, 0))
    return [held, holds, overdue, in_flight, swept]


READINGS = (ledger, event_log_head("bookings", store.event_log))
