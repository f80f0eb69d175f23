"""Prometheus metrics: every service's and the gateway's requests, their calls to each other, and
what a service adds of its own domain.

Under gunicorn every worker writes its samples to files in ``PROMETHEUS_MULTIPROC_DIR`` (set by
``gunicorn_config.py`` before any worker starts), and a scrape adds up every worker's, so no request
goes uncounted whichever worker served it or the scrape. Outside gunicorn (a test's app, a command)
the samples stay in the process.

A scrape reads no more than a few documents: a service's own gauges (``domain`` collectors) are
counters its writes keep, or queries bounded by what is in flight, never counts of its data.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterable

from flask import Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from pymongo import monitoring
from pymongo.errors import PyMongoError

log = logging.getLogger("clinicbridge.metrics")

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
# Latencies from a cached read (well under a millisecond) to a booking of many visits (seconds).
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter(
    "clinicbridge_http_requests",
    "Requests answered, by process, route (the route's pattern, never the path as sent) and status.",
    ("service", "method", "route", "status"),
)
LATENCY = Histogram(
    "clinicbridge_http_request_duration_seconds",
    "Time from a request's arrival to its answer, by process and route.",
    ("service", "method", "route"),
    buckets=BUCKETS,
)
UPSTREAM = Counter(
    "clinicbridge_upstream_requests",
    "Calls to another service, by caller, service called and outcome: ok (2xx/3xx), refused (4xx), "
    "error (500), unavailable (502-504, or no answer: refused connection, timeout).",
    ("service", "target", "outcome"),
)
UPSTREAM_LATENCY = Histogram(
    "clinicbridge_upstream_request_duration_seconds",
    "Time of a call to another service, retries included, by caller and service called.",
    ("service", "target"),
    buckets=BUCKETS,
)
OPERATIONS = Counter(
    "clinicbridge_graphql_operations",
    "GraphQL operations the gateway answered, by operation name (anonymous, or other past the first "
    "names seen), type and outcome: ok, errors (an answer with errors), refused (never executed).",
    ("operation", "type", "outcome"),
)
OPERATION_LATENCY = Histogram(
    "clinicbridge_graphql_operation_duration_seconds",
    "Time to execute a GraphQL operation at the gateway, by operation name and type.",
    ("operation", "type"),
    buckets=BUCKETS,
)
DB_COMMANDS = Counter(
    "clinicbridge_db_commands",
    "Commands a process sent to its database, by process, command and collection (``$cmd.aggregate``: a "
    "database-wide change stream's aggregate and getMores).",
    ("service", "command", "collection"),
)

_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]{0,63}$")


class OperationNames:
    """Operation names are the caller's words: the first ``limit`` distinct ones get a label of their own,
    every later one counts as ``other``, so no caller can grow the metrics without end."""

    def __init__(self, limit: int = 200):
        self.limit = limit
        self.seen: set[str] = set()
        self.lock = threading.Lock()

    def label(self, name: str | None) -> str:
        if not name:
            return "anonymous"
        if name in self.seen:
            return name
        if not _NAME.match(name):
            return "other"
        with self.lock:
            if len(self.seen) >= self.limit:
                return "other"
            self.seen.add(name)
        return name


def outcome(status: int | None) -> str:
    """An upstream call's outcome label from its status (None: no answer)."""
    if status is None or status in (502, 503, 504):
        return "unavailable"
    if status >= 500:
        return "error"
    return "refused" if status >= 400 else "ok"


def observe_upstream(service: str, target: str, status: int | None, seconds: float) -> None:
    UPSTREAM.labels(service, target, outcome(status)).inc()
    UPSTREAM_LATENCY.labels(service, target).observe(seconds)


Read = Callable[[], Iterable[Metric]]  # a service's own gauges, read when scraped


class _Reading(Collector):
    """A service's own gauges, read at scrape time; a database that does not answer leaves them out
    (the scrape still gives every request metric, and ``/readyz`` says why)."""

    def __init__(self, read: Read):
        self.read = read

    def collect(self):
        try:
            return list(self.read())
        except PyMongoError as error:
            log.warning("domain metrics unavailable: %s", type(error).__name__)
            return []


def event_log_head(log_name: str, event_log) -> Read:
    """The last number of a service's event log: against the dispatchers' position in its feed
    (``clinicbridge_webhooks_feed_position``), how far webhook deliveries lag behind."""

    def read():
        head = GaugeMetricFamily(
            "clinicbridge_event_log_head",
            "The number of the last event a service logged; its feed's lag is this less the dispatchers' "
            "position (clinicbridge_webhooks_feed_position).",
            labels=["log"],
        )
        head.add_metric([log_name], event_log.counter().get("seq", 0))
        return [head]

    return read


def registry(domain: Iterable[Read] = ()) -> CollectorRegistry:
    """What a scrape reads: every worker's samples (or this process's), and the domain's collectors."""
    if os.environ.get(MULTIPROCESS_DIR):
        collected = CollectorRegistry()
        MultiProcessCollector(collected)
    else:
        collected = CollectorRegistry()
        collected.register(_ProcessSamples())
    for read in domain:
        collected.register(_Reading(read))
    return collected


class DatabaseCommands(monitoring.CommandListener):
    """Counts every command the driver sends (``DB_COMMANDS``): what a request costs its database, read
    from a scrape's difference around it."""

    def __init__(self, service: str):
        self.service = service

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        name = event.command_name
        target = event.command.get("collection") if name == "getMore" else event.command.get(name)
        collection = target if isinstance(target, str) else "$cmd.aggregate" if name == "aggregate" else ""
        DB_COMMANDS.labels(self.service, name, collection).inc()

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


class _ProcessSamples(Collector):
    """This process's own samples (outside gunicorn), without the default registry's platform metrics."""

    def collect(self):
        for metric in (REQUESTS, LATENCY, UPSTREAM, UPSTREAM_LATENCY, OPERATIONS, OPERATION_LATENCY, DB_COMMANDS):
            yield from metric.collect()


def init_metrics(app: Flask, service: str, *, serve: bool, domain: Iterable[Read] = ()) -> None:
    """Count and time every request by route. ``serve``: answer ``GET /metrics`` on the app's own port, with
    ``domain`` (services are reached on an internal network; the gateway serves its metrics on
    ``METRICS_PORT`` instead, so its public port has none)."""

    @app.before_request
    def _start_clock():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _count(response):
        started = g.pop("metrics_started", None)
        rule = request.url_rule
        route = rule.rule if rule is not None else "unmatched"
        REQUESTS.labels(service, request.method, route, str(response.status_code)).inc()
        if started is not None:
            LATENCY.labels(service, request.method, route).observe(time.perf_counter() - started)
        return response

    if serve:
        readings = list(domain)

        @app.get("/metrics")
        def metrics():
            return Response(generate_latest(registry(readings)), mimetype=CONTENT_TYPE_LATEST)
