"""One :class:`ServiceClient` per target service and process, created on first use."""

from __future__ import annotations

import threading

from flask import current_app

from .http import ServiceClient

_lock = threading.Lock()


def client_for(service: str) -> ServiceClient:
    clients = current_app.extensions.setdefault("service_clients", {})
    if service not in clients:
        with _lock:
            if service not in clients:
                settings = current_app.config["SETTINGS"]
                clients[service] = ServiceClient(
                    service, settings.service_urls[service], settings.http_timeout_seconds, caller=settings.service
                )
    return clients[service]
