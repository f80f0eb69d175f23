"""gunicorn settings shared by every service: ``gunicorn -c services/common/gunicorn_config.py``.

The bind address is given per service on the command line; the rest comes from the environment.
"""

import os
import sys

from services.common.config import exposed_with_development_secret

workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
graceful_timeout = 5
timeout = 30
# Several gunicorn masters share a machine in development; none needs the control socket.
control_socket_disable = True
# Each service writes its own JSON access log line; gunicorn's would be a second one.
accesslog = None


def on_starting(server):
    """Before any port is taken: never serve beyond loopback with the public development secret."""
    refusal = exposed_with_development_secret(
        list(server.cfg.bind), os.environ.get("CLINICBRIDGE_ENV", "development"), os.environ.get("SERVICE_TOKEN_SECRET")
    )
    if refusal:
        sys.exit(refusal)
