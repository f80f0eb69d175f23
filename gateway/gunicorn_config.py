"""gunicorn settings of the gateway: the services' (``services/common/gunicorn_config.py``), and its
metrics served by the master on an address of their own (``METRICS_HOST``:``METRICS_PORT``), never on
the public port. ``METRICS_PORT=0`` serves none."""

import os
import sys

from services.common.gunicorn_config import *  # noqa: F403


def when_ready(server):
    port = int(os.environ.get("METRICS_PORT", "8009") or 0)
    if not port:
        return
    from prometheus_client import start_http_server

    from services.common.metrics import registry

    host = os.environ.get("METRICS_HOST", "127.0.0.1")
    try:
        start_http_server(port, addr=host, registry=registry())
    except OSError as error:
        sys.exit(f"cannot serve metrics on {host}:{port} (METRICS_HOST, METRICS_PORT): {error.strerror}")
