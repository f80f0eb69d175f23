"""Slots written before seats were counted in ``free`` are brought over at start, once."""

from __future__ import annotations

from datetime import timedelta

from bson import ObjectId

from services.bookings import checker, seed, store
from services.common.clock import seoul_date, utcnow
from tests.support import AGENCY, ORACLE


def test_old_slots_get_their_free_seats_and_keys_once_at_start(bookings, client):
    start = utcnow() + timedelta(days=9)
    old = [  # as slots were stored before: no free, no bookable keys
        {
            "_id": ObjectId(),
            "clinic": ORACLE,
            "package_id": None,
            "start": start,
            "duration_minutes": 60,
            "capacity": 3,
            "booked": 1,
            "holders": ["CB-AAAAAAAA"],
            "status": "OPEN",
        },
        {
            "_id": ObjectId(),
            "clinic": ORACLE,
            "package_id": None,
            "start": start + timedelta(hours=2),
            "duration_minutes": 60,
            "capacity": 2,
            "booked": 2,
            "holders": ["CB-BBBBBBBB", "CB-CCCCCCCC"],
            "status": "OPEN",
        },
    ]
    with bookings.app_context():
        store.slots().database["migrations"].delete_many({})
        store.slots().insert_many(old)
        seed.ensure_indexes()  # what `python -m services.bookings init` runs at start
        migrated = {doc["_id"]: doc for doc in store.slots().find({"_id": {"$in": [s["_id"] for s in old]}})}
        assert migrated[old[0]["_id"]]["free"] == 2 and migrated[old[0]["_id"]]["bookable"] == store.slot_key(
            ORACLE, None, start
        )
        assert migrated[old[0]["_id"]]["bookable_day"] == store.day_key(ORACLE, None, start)
        assert migrated[old[1]["_id"]]["free"] == 0 and "bookable" not in migrated[old[1]["_id"]]
        assert store.migrate_slots() == 0  # a second start finds it done
    found = client.get(
        f"/availability?clinic={ORACLE}&from={seoul_date(start) - timedelta(days=1)}&to={seoul_date(start)}"
    ).json
    assert [slot["id"] for slot in found["items"]] == [str(old[0]["_id"])]  # the full one is not offered


def test_bookings_and_seat_holds_kept_before_the_ledger_become_claims_once_at_start(bookings):
    now = utcnow()
    start = now + timedelta(days=40)

    def slot(offset_hours: int, holders: list[str]) -> dict:
        document = store.new_slot(ORACLE, None, start + timedelta(hours=offset_hours), 60, 3, now)
        document.update(booked=len(holders), free=3 - len(holders), holders=holders)
        return document

    old_single, moved_from, moved_to, held, cancelled = (
        slot(0, ["CB-OLD2SEAT"]),
        slot(1, ["CB-OLDMOVE2"]),
        slot(2, ["CB-OLDMOVE2"]),  # a move whose process died after recording it: the old seat is left
        slot(3, ["CB-OLDHOLD2"]),
        slot(4, ["CB-OLDCANC2"]),  # cancelled by a process that died before giving the seat back
    )
    package = {"schedule": {"visits": 1}, "title": "Old", "cancellationPolicy": {"tiers": []}}

    def booking(reference: str, first: dict, **fields) -> dict:
        return {
            "reference": reference,
            "agency": AGENCY,
            "clinic": ORACLE,
            "package_id": "0" * 24,
            "package_version": 1,
            "slot_id": str(first["_id"]),
            "slot_start": first["start"],
            "quote_id": "q" * 32,
            "package": package,
            "status": "PENDING",
            "created_key": f"{now.isoformat()}:{reference}",
            **fields,
        }

    with bookings.app_context():
        database = store.slots().database
        database["migrations"].delete_many({"_id": {"$in": ["bookings.visits", "claims.ledger"]}})
        store.slots().insert_many([old_single, moved_from, moved_to, held, cancelled])
        store.bookings().insert_many(
            [
                booking("CB-OLD2SEAT", old_single),  # before visits and revisions
                booking(
                    "CB-OLDMOVE2",
                    moved_to,
                    revision=1,
                    visits=[
                        {
                            "number": 1,
                            "slot_id": str(moved_to["_id"]),
                            "start": moved_to["start"],
                            "duration_minutes": 60,
                            "status": "BOOKED",
                        }
                    ],
                ),
                booking(
                    "CB-OLDCANC2",
                    cancelled,
                    status="CANCELLED",
                    revision=1,
                    seat_release_pending=True,
                    visits=[
                        {
                            "number": 1,
                            "slot_id": str(cancelled["_id"]),
                            "start": cancelled["start"],
                            "duration_minutes": 60,
                            "status": "CANCELLED",
                        }
                    ],
                ),
            ]
        )
        database["seat_holds"].insert_many(
            [
                {
                    "_id": "CB-OLDMOVE2/visit-1",
                    "reference": "CB-OLDMOVE2",
                    "state": "HELD",
                    "slot_id": str(moved_to["_id"]),
                    "slot_ids": [str(moved_to["_id"]), str(moved_from["_id"])],
                    "expires_at": now,
                },
                {
                    "_id": "CB-OLDHOLD2",
                    "state": "HELD",
                    "slot_id": str(held["_id"]),
                    "slot_ids": [str(held["_id"])],
                    "expires_at": now + timedelta(minutes=10),
                    "hold_id": "h" * 32,
                    "owner": AGENCY,
                    "quote_id": "r" * 32,
                },
            ]
        )
        seed.ensure_indexes()  # what `python -m services.bookings init` runs at start
        seats = {
            doc["_id"]: doc["booked"]
            for doc in store.slots().find(
                {"_id": {"$in": [s["_id"] for s in (old_single, moved_from, moved_to, held, cancelled)]}}
            )
        }
        claims = {claim["_id"]: claim["state"] for claim in store.claims().find()}
        assert "seat_holds" not in database.list_collection_names()
        assert store.migrate_claims(utcnow()) == store.migrate_bookings() == 0  # a second start finds it done
    assert [seats[s["_id"]] for s in (old_single, moved_from, moved_to, held, cancelled)] == [1, 0, 1, 1, 0]
    assert claims == {
        "CB-OLD2SEAT": "BOOKED",
        "CB-OLDMOVE2": "BOOKED",
        "CB-OLDCANC2": "RELEASED",
        "CB-OLDHOLD2": "HELD",
    }
    with bookings.app_context():
        visits = store.booking_by_reference("CB-OLD2SEAT")["visits"]
        assert [(v["number"], v["slot_id"], v["status"]) for v in visits] == [(1, str(old_single["_id"]), "BOOKED")]
        assert checker.broken(utcnow(), sweep_seconds=60, quotes=[]) == []


def test_refunds_recorded_before_they_kept_the_rate_get_it_once_at_start(
    bookings, client, open_slot, new_quote, agency
):
    """A cancelled booking whose refund was stored without the locked rate (as refunds were) is shown with it after
    the start-up migration, and a second start changes nothing."""
    from tests.support import body_for, post, series

    made = post(client, agency, body_for(new_quote(), series(open_slot, 62)))
    assert made.status_code == 201, made.json
    reference = made.json["reference"]
    assert client.post(f"/bookings/{reference}/cancel", json={}, headers=agency).status_code == 200
    with bookings.app_context():
        store.bookings().update_one(
            {"reference": reference}, {"$unset": {"refund.krwPerUnit": "", "refund.rateAsOf": ""}}
        )
        store.slots().database["migrations"].delete_many({"_id": "bookings.refund_rates"})
        assert store.migrate_refund_rates() == 1
        assert store.migrate_refund_rates() == 0  # a second start finds it done
    shown = client.get(f"/bookings/{reference}", headers=agency).json
    assert (shown["refund"]["krwPerUnit"], shown["refund"]["rateAsOf"]) == (
        shown["price"]["krwPerUnit"],
        shown["price"]["rateAsOf"],
    )
