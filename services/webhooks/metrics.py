"""The webhooks service's own gauges, read when ``/metrics`` is scraped: the deliveries waiting (at most
``store.BACKLOG_LIMIT`` read), the endpoints failing, and where the dispatchers are in each feed."""

from __future__ import annotations

from prometheus_client.core import GaugeMetricFamily

from . import store
from .dispatcher import SOURCES


def deliveries():
    backlog = store.backlog()
    pending = GaugeMetricFamily(
        "clinicbridge_webhooks_deliveries_pending",
        f"Deliveries not yet delivered nor failed (counted up to {store.BACKLOG_LIMIT}).",
        value=len(backlog),
    )
    retrying = GaugeMetricFamily(
        "clinicbridge_webhooks_deliveries_retrying",
        "Pending deliveries tried at least once: waiting for a retry, or an attempt in flight.",
        value=sum(1 for d in backlog if d.get("attempts", 0) > 0),
    )
    failing = GaugeMetricFamily(
        "clinicbridge_webhooks_endpoints_failing",
        "Endpoints marked failing after a delivery's retries ran out; nothing is sent to them until enabled again.",
        value=store.failing_endpoints(),
    )
    position = GaugeMetricFamily(
        "clinicbridge_webhooks_feed_position",
        "The last event of each service's feed the dispatchers have fanned out into deliveries.",
        labels=["log"],
    )
    for source, after in store.feed_positions(SOURCES).items():
        position.add_metric([source], after)
    return [pending, retrying, failing, position]


READINGS = (deliveries,)
