"""``python -m services.bookings check`` on a live stack: nothing broken after real work, and every break
named, with a non-zero exit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import timedelta

import pymongo
import requests
from bson import ObjectId

from services.common.clock import utcnow
from tests.support import (
    AGENCY,
    ICEPICK,
    ORACLE,
    PATIENT,
    ROOT,
    bearer_headers,
    drop_databases,
    in_days,
    seed,
    stack,
    stack_env,
)

SERVICES = ("catalogue", "packages", "bookings")


def check(env: dict) -> tuple[int, list[str]]:
    done = subprocess.run(
        [sys.executable, "-m", "services.bookings", "check"],
        env={**os.environ, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stdout, done.stderr
    return done.returncode, json.loads(done.stdout)["broken"]


def test_the_checker_balances_the_books_of_real_work_and_names_every_break(mongo_uri, mongo_client):
    env = stack_env(mongo_uri, f"check_{uuid.uuid4().hex[:8]}", MIN_NOTICE_HOURS="24")
    seed(env, SERVICES)
    try:
        with stack(env, SERVICES) as urls:
            bookings, packages = urls["bookings"], urls["packages"]
            env = {**env, "PACKAGES_URL": packages}
            admin, agency = bearer_headers("CLINIC_ADMIN", clinic=ORACLE), bearer_headers("AGENCY", agency=AGENCY)

            def slot(days: int, at: str = "06:37") -> str:
                body = {"clinic": ORACLE, "start": in_days(days, at).isoformat(), "capacity": 2}
                return requests.post(f"{bookings}/slots", json=body, headers=admin, timeout=10).json()["id"]

            def quote(**options) -> str:
                return requests.post(f"{packages}/packages/{ICEPICK}/quotes", json=options, timeout=10).json()["id"]

            def post(path: str, body: dict) -> dict:
                headers = {**agency, "Idempotency-Key": uuid.uuid4().hex}
                answer = requests.post(f"{bookings}{path}", json=body, headers=headers, timeout=30)
                assert answer.status_code in (200, 201), answer.text
                return answer.json()

            series = [slot(60), slot(90), slot(125)]
            kept = post(
                "/bookings", {"quoteId": quote(), "slotId": series[0], "laterSlotIds": series[1:], "patient": PATIENT}
            )
            post(f"/bookings/{kept['reference']}/visits/2/reschedule", {"slotId": slot(91, "06:41")})
            gone = post(
                "/bookings", {"quoteId": quote(), "slotId": series[0], "laterSlotIds": series[1:], "patient": PATIENT}
            )
            requests.post(f"{bookings}/bookings/{gone['reference']}/cancel", json={}, headers=agency, timeout=10)
            post("/holds", {"quoteId": quote(), "slotIds": [slot(70), slot(100), slot(135)]})
            # In Japanese with video follow-ups: an interpreter's half hours and the clinic's calls are claimed too.
            interpreted = quote(interpreterLanguage="ja", followUpPlan="VIDEO_3")
            made = post(
                "/bookings",
                {
                    "quoteId": interpreted,
                    "slotId": slot(64, "10:37"),
                    "laterSlotIds": [slot(94, "10:37"), slot(129, "10:37")],
                    "patient": PATIENT,
                },
            )
            assert len(made["followUps"]) == 3 and made["visits"][0]["interpreter"]["language"] == "ja"
            assert check(env) == (0, [])

            database = mongo_client[env["BOOKINGS_DB_NAME"]]
            stray = database.slots.find_one({"_id": ObjectId(slot(80))})
            database.slots.update_one(  # a seat taken that no claim names
                {"_id": stray["_id"]}, {"$push": {"holders": "CB-NOBODY22/x"}, "$inc": {"booked": 1, "free": -1}}
            )
            database.claims.update_one(  # a hold no sweeper settled
                {"hold_id": {"$exists": True}}, {"$set": {"expires_at": utcnow() - timedelta(minutes=5)}}
            )
            half_hour = database.units.find_one({"_id": {"$regex": "^time\\|"}, "count": 1})
            database.units.update_one(  # an interpreter's half hour taken that no claim names
                {"_id": half_hour["_id"]}, {"$push": {"holders": "CB-NOBODY33/x"}, "$inc": {"count": 1}}
            )
            orphan = quote()  # a quote locked for a reservation that does not exist
            requests.post(
                f"{packages}/quotes/{orphan}/lock",
                json={"bookingReference": "CB-NOBODY22"},
                headers=bearer_headers("PLATFORM_ADMIN"),
                timeout=10,
            )
            code, broken = check(env)
            assert code == 1 and len(broken) == 4, broken
            assert f"{half_hour['_id']} is taken by CB-NOBODY33/x that no claim names" in broken
            assert f"slot {stray['_id']} has a seat taken by CB-NOBODY22/x that no claim names" in broken
            assert any("is HELD past its expiry" in line for line in broken)
            assert f"quote {orphan} is locked by CB-NOBODY22, which is neither booked nor reserved" in broken
    finally:
        drop_databases(pymongo.MongoClient(mongo_uri), env)
