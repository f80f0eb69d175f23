"""Our gateway against Hive Gateway on the same single-clinic query, same catalogue process, one run.

Hive Gateway (``@graphql-hive/gateway``) serves a supergraph that ``@graphql-mesh/compose-cli``
composes from the catalogue's own ``/openapi.json``; the Node side is installed under
``bench/hive`` from its committed ``package-lock.json`` (``npm ci``). Both gateways and the
direct REST call are measured with wrk at c=1 and c=8, one after another, against one catalogue
(200 synthetic clinics, 2 gunicorn workers). Our gateway runs 2 gunicorn workers, once as
configured by default (its HTTP cache reuses the catalogue's answer while the catalogue says it
is fresh: 1 s), once with that cache off, and once with the cache off and traces on (every span
exported by OTLP to a collector endpoint in this process); Hive Gateway runs as it starts by default.
Then what metrics cost a request: the metric updates one request of our gateway makes, timed as its
workers make them (multiprocess mode), and a scrape of its metrics address after the run.

    make bench BENCH_ARGS=hive        (BENCH_SECONDS per case)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager

import requests

from tests.support import SpanReceiver, free_port, sample, scrape, seed, stack_env, stop_process, wait_until_ready

from .harness import ROOT, SECONDS, database, stack, wrk

HIVE = ROOT / "bench" / "hive"
SLUG = "synthetic-clinic-00042"
OURS = {"query": f'{{ clinic(slug: "{SLUG}") {{ slug name kind district languages {{ inRoom }} }} }}'}
TRACED = "our gateway, its HTTP cache off, traces on"
THEIRS = {
    "query": f'{{ catalogue_get_clinic_get(slug: "{SLUG}") {{ ... on Clinic {{ slug name kind district languages {{ inRoom }} }} }} }}'
}


def ensure_node() -> None:
    """Node and npm (Debian's packages) and the pinned Node packages of bench/hive."""
    if not shutil.which("npm"):
        print("installing nodejs and npm (Debian packages) ...", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-q", "nodejs", "npm"], check=True, stdout=subprocess.DEVNULL)
    if not (HIVE / "node_modules" / ".bin" / "hive-gateway").exists():
        print("installing Hive Gateway (npm ci in bench/hive) ...", flush=True)
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=HIVE, check=True, stdout=subprocess.DEVNULL)


@contextmanager
def hive_gateway(catalogue: str):
    """Compose the supergraph from the catalogue's OpenAPI document, then serve it; yields the URL."""
    env = {**os.environ, "CATALOGUE_URL": catalogue}
    subprocess.run(
        [str(HIVE / "node_modules/.bin/mesh-compose"), "-o", "supergraph.graphql"],
        cwd=HIVE,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    port = free_port()
    process = subprocess.Popen(
        [str(HIVE / "node_modules/.bin/hive-gateway"), "supergraph", "supergraph.graphql", "--port", str(port)],
        cwd=HIVE,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base, process, path="/healthcheck")
        yield base
    finally:
        stop_process(process, 10)


def same_answer(ours: str, theirs: str) -> None:
    """Both gateways answer the query with the same clinic before anything is measured."""
    mine = requests.post(f"{ours}/graphql", json=OURS, timeout=10).json()["data"]["clinic"]
    hive = requests.post(f"{theirs}/graphql", json=THEIRS, timeout=10).json()["data"]["catalogue_get_clinic_get"]
    assert mine == hive, (mine, hive)


# What one request of our gateway (the single-clinic query, its cache off) adds to its metrics: the request by
# route, the operation by name, the one call to the catalogue, each counted and timed.
_METRIC_UPDATES = """
import os, sys, tempfile, time
os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp()
from services.common import metrics
names = metrics.OperationNames()
def one_request():
    metrics.REQUESTS.labels("gateway", "POST", "/graphql", "200").inc()
    metrics.LATENCY.labels("gateway", "POST", "/graphql").observe(0.004)
    label = names.label("Clinic")
    metrics.OPERATIONS.labels(label, "query", "ok").inc()
    metrics.OPERATION_LATENCY.labels(label, "query").observe(0.003)
    metrics.observe_upstream("gateway", "catalogue", 200, 0.002)
for _ in range(2000):
    one_request()
rounds = 50000
started = time.perf_counter()
for _ in range(rounds):
    one_request()
print((time.perf_counter() - started) / rounds * 1e6)
"""


def metric_updates_us() -> float:
    """Microseconds of the metric updates one gateway request makes (8 samples), in multiprocess mode."""
    done = subprocess.run([sys.executable, "-c", _METRIC_UPDATES], cwd=ROOT, capture_output=True, text=True, check=True)
    return float(done.stdout.strip())


def run() -> None:
    ensure_node()
    spans = SpanReceiver()
    with database() as uri:
        env = stack_env(uri, "bench_h")
        seed(env, ("catalogue",), synthetic={"catalogue": 200})
        uncached_env = {"GATEWAY_HTTP_CACHE_ENTRIES": "0"}
        metrics_port = free_port()
        traced_env = {**uncached_env, "OTEL_EXPORTER_OTLP_ENDPOINT": spans.endpoint}
        with (
            stack(env, ("catalogue",), gateway={}) as urls,
            stack(
                env, (), gateway={"CATALOGUE_URL": urls["catalogue"], **uncached_env, "METRICS_PORT": str(metrics_port)}
            ) as other,
            stack(env, (), gateway={"CATALOGUE_URL": urls["catalogue"], **traced_env}) as traced,
            hive_gateway(urls["catalogue"]) as theirs,
        ):
            catalogue, ours, uncached = urls["catalogue"], urls["gateway"], other["gateway"]
            same_answer(ours, theirs)
            sides = [
                ("direct REST GET /clinics/{slug}", f"{catalogue}/clinics/{SLUG}", None),
                ("our gateway", f"{ours}/graphql", OURS),
                ("our gateway, its HTTP cache off", f"{uncached}/graphql", OURS),
                (TRACED, f"{traced['gateway']}/graphql", OURS),
                ("Hive Gateway", f"{theirs}/graphql", THEIRS),
            ]
            for _, url, body in sides:  # warm-up, untimed
                wrk(url, 8, 3, body=body)
            figures = {(name, c): wrk(url, c, SECONDS, body=body) for c in (1, 8) for name, url, body in sides}
            metrics = f"http://127.0.0.1:{metrics_port}/metrics"
            started = time.perf_counter()
            samples = scrape(metrics)
            scrape_ms = (time.perf_counter() - started) * 1000
            counted = sample(samples, "clinicbridge_graphql_operations_total")
    spans.close()
    print(
        f"\nsingle clinic: our gateway against Hive Gateway over the same catalogue process; wrk, {SECONDS} s per case"
    )
    print(f"{'side':<48}{'conc':>5}{'rps':>9}{'p50 ms':>9}{'p99 ms':>9}{'p50 +ms over REST':>19}{'errors':>8}")
    for c in (1, 8):
        floor = figures[(sides[0][0], c)]["p50_ms"]
        for name, _, _ in sides:
            f = figures[(name, c)]
            print(
                f"{name:<48}{c:>5}{f['rps']:>9.0f}{f['p50_ms']:>9.2f}{f['p99_ms']:>9.2f}{f['p50_ms'] - floor:>19.2f}"
                f"{f['errors'] + f['non2xx']:>8}"
            )
        for name in ("our gateway", "our gateway, its HTTP cache off", TRACED):
            ratio = figures[(name, c)]["rps"] / figures[("Hive Gateway", c)]["rps"]
            print(f"{'rps ratio, ' + name + ' / Hive':<70}{c:>5}{ratio:>9.2f}")
        ratio = figures[(TRACED, c)]["rps"] / figures[("our gateway, its HTTP cache off", c)]["rps"]
        print(f"{'rps ratio, traces on / off (cache off)':<70}{c:>5}{ratio:>9.2f}")
    updates = metric_updates_us()
    p50 = figures[("our gateway, its HTTP cache off", 1)]["p50_ms"] * 1000
    print(
        f"metrics: {updates:.1f} us of updates per gateway request ({updates / p50:.1%} of its p50 at c=1, cache off); "
        f"a scrape of its metrics address after {counted:.0f} operations: {scrape_ms:.1f} ms; "
        f"spans received with traces on: {len(spans.spans)}"
    )
