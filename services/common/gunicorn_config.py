"""gunicorn settings shared by every service: ``gunicorn -c services/common/gunicorn_config.py``.

The bind address is given per service on the command line; the rest comes from the environment.
"""

import gc
import glob
import os
import shutil
import sys
import tempfile

from services.common.config import exposed_with_development_secret

workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
graceful_timeout = 5
timeout = 30
# How long an idle connection is kept: the gateway's pools reuse one for at most 2 s
# (services/common/http.py), so a service never closes one the gateway is about to send on.
keepalive = 5
# Several gunicorn masters share a machine in development; none needs the control socket.
control_socket_disable = True
# Each service writes its own JSON access log line; gunicorn's would be a second one.
accesslog = None

# Every worker writes its metrics to files here and a scrape adds them up (prometheus-client's
# multiprocess mode). It must be set before any worker imports prometheus_client: one directory per
# gunicorn master, a new one unless PROMETHEUS_MULTIPROC_DIR names one.
_OWN_METRICS_DIR = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _OWN_METRICS_DIR:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="clinicbridge-metrics-")


def on_starting(server):
    """Before any port is taken: never serve beyond loopback with the public development secret; and
    start the metrics from zero (files a previous master left would be added to this one's)."""
    refusal = exposed_with_development_secret(
        list(server.cfg.bind), os.environ.get("CLINICBRIDGE_ENV", "development"), os.environ.get("SERVICE_TOKEN_SECRET")
    )
    if refusal:
        sys.exit(refusal)
    for stale in glob.glob(os.path.join(os.environ["PROMETHEUS_MULTIPROC_DIR"], "*.db")):
        os.remove(stale)


def post_worker_init(worker):
    """The application is loaded: what it holds lives as long as the worker, so the collector stops
    scanning it. A full collection then looks only at what requests left behind, instead of stopping the
    worker for tens of milliseconds (the modules, the GraphQL schema, the read models) every thousand or
    so requests."""
    gc.freeze()


def child_exit(server, worker):
    """A worker's live gauges go with it; its counters stay counted."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    """The directory this master made for its metrics goes with it."""
    if _OWN_METRICS_DIR:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
