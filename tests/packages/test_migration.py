"""Packages kept in an older shape are completed once by ``python -m services.packages migrate``, so
rendering keeps no fallbacks; a second run changes nothing."""

from __future__ import annotations

import json

from bson import ObjectId

from services.packages import __main__ as commands
from services.packages import store
from services.packages.seed import seed_id

OLD_FIELDS = ("visits", "price_per_session_krw", "procedure_names")


def test_an_old_package_and_its_version_are_completed_once_and_then_render(packages, client, capsys):
    with packages.app_context():
        current = store.packages().find_one({"_id": seed_id("oracle-icepick-tca-co2")})
        old = {k: v for k, v in current.items() if k not in OLD_FIELDS} | {"_id": ObjectId()}
        store.packages().insert_one(old)
        store.versions().insert_one(
            {"package_id": str(old["_id"]), "version": old["version"], "document": old, "published": True}
        )
        commands._migrate(None, None)
        first = json.loads(capsys.readouterr().out)
        commands._migrate(None, None)
        second = json.loads(capsys.readouterr().out)
        migrated = store.packages().find_one({"_id": old["_id"]})
        kept = store.versions().find_one({"package_id": str(old["_id"])})["document"]
    assert first == {"migrated": 2} and second == {"migrated": 0}
    visits = max(item["sessions"] for item in current["items"])
    assert (migrated["visits"], migrated["price_per_session_krw"]) == (visits, current["price_krw"] // visits)
    assert migrated["procedure_names"] == {} and kept["procedure_names"] == {}
    assert kept["price_per_session_krw"] == migrated["price_per_session_krw"]
    shown = client.get(f"/packages/{old['_id']}").json
    assert shown["pricePerSessionKrw"] == current["price_krw"] // visits
    assert shown["schedule"]["visits"] == visits
    assert [item["name"] for item in shown["items"]] == [item["procedure"] for item in current["items"]]
    quoted = client.get(f"/packages/{old['_id']}/versions/{old['version']}").json
    assert quoted["pricePerSessionKrw"] == shown["pricePerSessionKrw"]


def test_a_package_already_complete_is_left_as_it_is(packages):
    with packages.app_context():
        before = list(store.packages().find({}, {"updated_at": 1, "version": 1}))
        assert store.migrate_derived() == 0
        assert list(store.packages().find({}, {"updated_at": 1, "version": 1})) == before
