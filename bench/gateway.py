"""The gateway against the same REST calls made directly, measured side by side in one run.

- single clinic: `clinic(slug)` through the gateway, against `GET /clinics/{slug}`;
- compare page: 20 packages with their clinic, procedures and next free slot, through the
  gateway (5 upstream calls), against the same 5 REST calls made one after another.
One Python driver measures both paths, so client overhead is the same on each side.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.support import seed, stack_env

from .harness import SECONDS, agency_key, database, stack

SINGLE = {"query": '{ clinic(slug: "synthetic-clinic-00042") { slug name kind district languages { inRoom } } }'}
COMPARE = {
    "query": """{ packages(first: 20, sort: {field: PRICE}) { edges { node { id title priceKrw
  price(currency: EUR) { amount } clinic { name district languages { inRoom } }
  items { sessions procedure { name } } nextFreeSlot { start } } } } }"""
}


def direct_compare(session: requests.Session, urls: dict) -> None:
    page = session.post(f"{urls['packages']}/packages/search", json={"sort": "price", "limit": 20}).json()["items"]
    session.get(f"{urls['packages']}/exchange-rates").raise_for_status()
    session.get(
        f"{urls['catalogue']}/clinics", params={"ids": ",".join(sorted({p["clinic"] for p in page}))}
    ).raise_for_status()
    codes = sorted({i["procedure"] for p in page for i in p["items"]})
    session.get(f"{urls['catalogue']}/procedures", params={"ids": ",".join(codes)}).raise_for_status()
    session.post(
        f"{urls['bookings']}/availability/next",
        json={"packages": [{"packageId": p["id"], "clinic": p["clinic"]} for p in page]},
    ).raise_for_status()


def measure(call, connections: int, seconds: int = SECONDS) -> dict:
    latencies: list[float] = []
    errors: Counter = Counter()
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker():
        session = requests.Session()
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                call(session)
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(elapsed)
            except Exception as error:
                with lock:
                    errors[str(error)[:120]] += 1

    with ThreadPoolExecutor(connections) as pool:
        for _ in range(connections):
            pool.submit(worker)
    ordered = sorted(latencies) or [float("nan")]
    return {
        "rps": len(ordered) / seconds,
        "p50": statistics.median(ordered),
        "p99": ordered[int(0.99 * (len(ordered) - 1))],
        "errors": sum(errors.values()),
        "kinds": errors,
    }


def run() -> None:
    with database() as uri:
        env = stack_env(uri, "bench_g")
        seed(env, synthetic={"catalogue": 200, "packages": 200, "bookings": 400})
        agency = {"Authorization": f"Bearer {agency_key(env, 'bench-travel')}"}
        with stack(env, gateway={}) as urls:
            catalogue, gateway = urls["catalogue"], urls["gateway"]
            direct_single = lambda s: s.get(f"{catalogue}/clinics/synthetic-clinic-00042").raise_for_status()  # noqa: E731
            cases = [
                (
                    "single clinic, anonymous",
                    lambda s: s.post(f"{gateway}/graphql", json=SINGLE).raise_for_status(),
                    direct_single,
                ),
                (
                    "single clinic, API key",
                    lambda s: s.post(f"{gateway}/graphql", json=SINGLE, headers=agency).raise_for_status(),
                    direct_single,
                ),
                (
                    "compare page (20 packages)",
                    lambda s: _ok(s.post(f"{gateway}/graphql", json=COMPARE)),
                    lambda s: direct_compare(s, urls),
                ),
            ]
            rows = []
            for _, through_gateway, direct in cases:  # warm every worker's pools and caches first, untimed
                measure(through_gateway, 4, seconds=3), measure(direct, 4, seconds=3)
            for name, through_gateway, direct in cases:
                for connections in (1, 8):
                    rows.append(
                        (name, connections, measure(through_gateway, connections), measure(direct, connections))
                    )
    print(
        "\ngateway vs direct REST, 200 synthetic clinics and packages, each service and the gateway on 2 gunicorn workers"
    )
    print(
        f"{'case':<28}{'conc':>5}{'gw rps':>9}{'gw p50':>9}{'gw p99':>9}{'rest rps':>10}{'rest p50':>10}{'rest p99':>10}"
        f"{'p50 ratio':>11}{'p50 +ms':>9}{'errors':>8}"
    )
    for name, connections, gw, rest in rows:
        print(
            f"{name:<28}{connections:>5}{gw['rps']:>9.0f}{gw['p50']:>9.2f}{gw['p99']:>9.2f}{rest['rps']:>10.0f}{rest['p50']:>10.2f}"
            f"{rest['p99']:>10.2f}{gw['p50'] / rest['p50']:>11.2f}{gw['p50'] - rest['p50']:>9.2f}{gw['errors'] + rest['errors']:>8}"
        )
    for name, connections, gw, rest in rows:
        for side, figures in (("gateway", gw), ("direct", rest)):
            for kind, count in figures["kinds"].items():
                print(f"  {name}, c={connections}, {side}: {count} x {kind}")


def _ok(response: requests.Response) -> None:
    response.raise_for_status()
    if "errors" in response.json():
        raise RuntimeError(response.json()["errors"][0]["message"])
