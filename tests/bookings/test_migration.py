"""Slots written before seats were counted in ``free`` are brought over at start, once."""

from __future__ import annotations

from datetime import timedelta

from bson import ObjectId

from services.bookings import seed, store
from services.common.clock import seoul_date, utcnow
from tests.support import ORACLE


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
