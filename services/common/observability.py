"""Request ids, trace ids and JSON logs.

Every request carries an ``X-Request-ID``: the caller's if it is well formed, a new one
otherwise. It is echoed in the response, put in every log line and passed on to any
service this one calls. Every log line also carries the request's trace id (``trace_id``: its
OpenTelemetry trace, or with traces off the caller's W3C ``traceparent``), so a line leads to
the trace and a trace to every process's lines.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid

from flask import Flask, g, request
from pythonjsonlogger.json import JsonFormatter

from .tracing import current_trace_id, incoming_traceparent

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

access_log = logging.getLogger("clinicbridge.access")


class _RequestContextFilter(logging.Filter):
    def __init__(self, service: str):
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        try:
            record.request_id = g.get("request_id")
        except RuntimeError:  # outside a request
            record.request_id = None
        record.trace_id = current_trace_id()
        return True


def configure_logging(service: str, level: str) -> None:
    """JSON lines on stderr, once per process."""
    root = logging.getLogger()
    if getattr(root, "_clinicbridge_configured", False):
        root.setLevel(level)
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter(
            "{asctime}{levelname}{name}{message}",
            style="{",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    )
    handler.addFilter(_RequestContextFilter(service))
    root.handlers = [handler]
    root.setLevel(level)
    root._clinicbridge_configured = True  # type: ignore[attr-defined]


def current_request_id() -> str | None:
    try:
        return g.get("request_id")
    except RuntimeError:
        return None


def init_request_ids(app: Flask) -> None:
    @app.before_request
    def _assign_request_id():
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        g.traceparent = incoming_traceparent(request.headers.get("traceparent"))
        g.started_at = time.perf_counter()

    @app.after_request
    def _log_and_echo(response):
        request_id = g.get("request_id")
        if request_id:
            response.headers[REQUEST_ID_HEADER] = request_id
        started = g.get("started_at")
        access_log.info(
            "request",
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2) if started else None,
            },
        )
        return response
