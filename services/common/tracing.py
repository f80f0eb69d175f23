"""OpenTelemetry traces, on when ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``)
names a collector, and off otherwise: then nothing is instrumented and a request costs what it did.

On, each process exports its spans by OTLP over HTTP in batches, named ``clinicbridge-<service>``
(``OTEL_SERVICE_NAME`` overrides it), and the instrumentations of Flask (every request continues the
caller's W3C ``traceparent``), requests and aiohttp (every call to a service carries it on) and pymongo
(every database command) make one trace of a request across every hop. Off, a caller's
``traceparent`` still travels to the services as it came, so every hop's log lines share its trace id.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, g, has_request_context

_started = False
# version 00: trace id (32 hex, not all zeros), parent span id (16 hex), flags
_TRACEPARENT = re.compile(r"^00-(?!0{32})([0-9a-f]{32})-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$")
_EXCLUDED = "healthz,readyz,metrics"  # probes and scrapes: no traces of their own


def configured() -> bool:
    return bool(os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))


def tracing() -> bool:
    """Whether this process exports traces."""
    return _started


def start_tracing(service: str) -> bool:
    """Once per process, before its database connections and HTTP clients are made (the instrumentations
    see only those made later); whether traces are on."""
    global _started
    if _started or not configured():
        return _started
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor
    from opentelemetry.instrumentation.pymongo import PymongoInstrumentor
    from opentelemetry.instrumentation.requests import RequestsInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    name = os.environ.get("OTEL_SERVICE_NAME") or f"clinicbridge-{service}"
    provider = TracerProvider(resource=Resource.create({"service.name": name}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    PymongoInstrumentor().instrument()
    RequestsInstrumentor().instrument(excluded_urls=_EXCLUDED)
    AioHttpClientInstrumentor().instrument()
    _started = True
    return True


def trace_app(app: Flask, service: str) -> None:
    """Continue the caller's trace in every request of ``app`` (when traces are on)."""
    if start_tracing(service):
        from opentelemetry.instrumentation.flask import FlaskInstrumentor

        FlaskInstrumentor().instrument_app(app, excluded_urls=_EXCLUDED)


def incoming_traceparent(header: str | None) -> str | None:
    """The caller's ``traceparent`` if well formed (anything else is dropped, never passed on)."""
    return header if header and _TRACEPARENT.match(header) else None


def current_trace_id() -> str | None:
    """The trace this line of work belongs to: the current span's, or with traces off the caller's."""
    if _started:
        from opentelemetry import trace

        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            return format(context.trace_id, "032x")
    if has_request_context():
        parent = g.get("traceparent")
        if parent:
            return parent[3:35]
    return None


def passed_on() -> dict[str, str]:
    """Headers that carry the trace to a service called now: with traces on the instrumentations add
    them; off, the caller's ``traceparent`` as it came."""
    if _started or not has_request_context():
        return {}
    parent = g.get("traceparent")
    return {"traceparent": parent} if parent else {}


def current_traceparent() -> str | None:
    """The trace context to record with work done later elsewhere (an event's webhook deliveries): the
    current span's, or with traces off the caller's ``traceparent`` as it came."""
    if _started:
        from opentelemetry import trace

        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            return f"00-{context.trace_id:032x}-{context.span_id:016x}-{int(context.trace_flags):02x}"
    if has_request_context():
        parent: str | None = g.get("traceparent")
        return parent
    return None


@contextmanager
def continued(name: str, traceparent: str | None, attributes: dict[str, str]) -> Iterator[dict[str, str]]:
    """A span continuing a recorded trace context (``current_traceparent``) while the block runs; yields the
    headers that carry it on (with traces off, the recorded ``traceparent`` as it was)."""
    if not _started:
        recorded = incoming_traceparent(traceparent)
        yield {"traceparent": recorded} if recorded else {}
        return
    from opentelemetry import propagate, trace

    parent = propagate.extract({"traceparent": traceparent}) if traceparent else None
    with trace.get_tracer("clinicbridge").start_as_current_span(
        name, context=parent, kind=trace.SpanKind.PRODUCER, attributes=attributes
    ):
        headers: dict[str, str] = {}
        propagate.inject(headers)
        yield headers
