"""Bookings: many concurrent clients booking series into a handful of slots, bookings service on 3 workers.

Each booking is of the ice-pick package's three visits (a first slot, and slots 30 and 65 days
later, every one shared by all the clients): it locks its own quote through the packages
service and takes a seat of each visit with a guarded update, all or nothing. Reports bookings
per second, latency, and every failure that is not the expected SLOT_FULL (there must be none).
"""

from __future__ import annotations

import os
import statistics
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import requests

from services.common.clock import seoul_today
from services.common.config import DEV_TOKEN_SECRET
from services.common.tokens import Principal, mint
from tests.support import load_sample_interpreters, seed, stack_env

from .harness import database, stack

ATTEMPTS = int(os.environ.get("BENCH_BOOKINGS", "600"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "16"))
SLOTS, CAPACITY = 8, 45  # 360 seats for 600 attempts: both outcomes are exercised
PACKAGE = "oracle-icepick-tca-co2"
PATIENT = {
    "name": "Bench Patient",
    "email": "bench@example.com",
    "nationality": "SG",
    "preferredLanguage": "en",
    "homeTimeZone": "Asia/Singapore",
    "fitzpatrickSkinType": "III",
    "isotretinoinLast6Months": False,
    "activeAcne": False,
}


def token(principal: Principal) -> dict:
    return {"Authorization": "Bearer " + mint(principal, DEV_TOKEN_SECRET, ttl_seconds=3600)}


def _created(answer: requests.Response) -> dict:
    if answer.status_code != 201:
        raise RuntimeError(f"set-up failed: {answer.status_code} {answer.text}")
    return answer.json()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run() -> None:
    from services.packages.seed import seed_id

    with database() as uri:
        env = stack_env(uri, "bench_b")
        seed(env, ("catalogue", "packages"))
        seed(env, ("bookings",), command="init")
        load_sample_interpreters(env)  # and registrations: bench-travel books at a registered clinic
        with stack(env, workers={"catalogue": 1, "packages": 2, "bookings": 3}) as urls:
            packages, bookings = urls["packages"], urls["bookings"]
            admin = token(Principal("CLINIC_ADMIN", "bench", clinic="oracle-skin-clinic"))
            day = seoul_today() + timedelta(days=20)

            def slot(first: int) -> str:
                body = {
                    "clinic": "oracle-skin-clinic",
                    "capacity": CAPACITY,
                    "start": f"{day + timedelta(days=first)}T10:00:00+09:00",
                }
                return _created(requests.post(f"{bookings}/slots", headers=admin, json=body))["id"]

            slots = [[slot(i), slot(i + 30), slot(i + 65)] for i in range(SLOTS)]  # every visit of each series
            package = str(seed_id(PACKAGE))
            with ThreadPoolExecutor(8) as pool:
                quotes = list(
                    pool.map(
                        lambda _: _created(
                            requests.post(f"{packages}/packages/{package}/quotes", json={"currency": "USD"})
                        )["id"],
                        range(ATTEMPTS),
                    )
                )
            agency = token(Principal("AGENCY", "bench", agency="bench-travel"))
            session = requests.Session()

            def attempt(index: int) -> tuple[float, int, str]:
                first, *later = slots[index % SLOTS]
                body = {"quoteId": quotes[index], "slotId": first, "laterSlotIds": later, "patient": PATIENT}
                started = time.perf_counter()
                answer = session.post(
                    f"{bookings}/bookings",
                    json=body,
                    timeout=60,
                    headers={**agency, "Idempotency-Key": uuid.uuid4().hex},
                )
                code = "BOOKED" if answer.status_code == 201 else answer.json().get("code", str(answer.status_code))
                return (time.perf_counter() - started) * 1000, answer.status_code, code

            started = time.perf_counter()
            with ThreadPoolExecutor(CLIENTS) as pool:
                results = list(pool.map(attempt, range(ATTEMPTS)))
            elapsed = time.perf_counter() - started
    latencies = [r[0] for r in results]
    outcomes = Counter(r[2] for r in results)
    unexpected = sum(n for code, n in outcomes.items() if code not in ("BOOKED", "SLOT_FULL"))
    print(
        f"\nbookings: {ATTEMPTS} attempts from {CLIENTS} concurrent clients at series of 3 visits into {SLOTS} x 3 slots "
        f"x {CAPACITY} seats; "
        f"bookings service 3 workers, packages 2, SecantusDB"
    )
    print(f"{'requests/s':>12}{'bookings/s':>12}{'p50 ms':>9}{'p99 ms':>9}{'mean ms':>9}  outcomes")
    print(
        f"{ATTEMPTS / elapsed:>12.1f}{outcomes['BOOKED'] / elapsed:>12.1f}{percentile(latencies, 0.5):>9.1f}"
        f"{percentile(latencies, 0.99):>9.1f}{statistics.mean(latencies):>9.1f}  {dict(outcomes)}"
    )
    print(
        f"failures other than SLOT_FULL: {unexpected}; series booked {outcomes['BOOKED']} of {SLOTS * CAPACITY} possible"
    )
