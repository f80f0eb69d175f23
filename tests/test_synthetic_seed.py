"""Synthetic data for scale work: written in batches, and every package and slot belongs to a
synthetic clinic that the same count of synthetic clinics holds."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pymongo
import pytest
from pymongo import UpdateOne, monitoring
from pymongo.errors import NetworkTimeout

from services.bookings import seed as bookings_seed
from services.bookings import store as bookings_store
from services.bookings.app import create_app as bookings_app
from services.catalogue import seed as catalogue_seed
from services.catalogue import store as catalogue_store
from services.catalogue.app import create_app as catalogue_app
from services.common import failpoints
from services.common.store import BATCH_SIZES, BATCH_WRITE_SIZE, upsert_missing
from services.packages import seed as packages_seed
from services.packages import store as packages_store
from services.packages.app import create_app as packages_app
from tests.support import ROOT


class Writes(monitoring.CommandListener):
    """How many documents each update command carried, by collection."""

    def __init__(self):
        self.sizes: list[tuple[str, int]] = []

    def started(self, event):
        if event.command_name == "update" and event.command.get("updates"):
            self.sizes.append((event.command["update"], len(event.command["updates"])))

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


WRITES = Writes()
monitoring.register(WRITES)


def test_synthetic_packages_and_slots_belong_to_synthetic_clinics_that_exist(make_app):
    count = 120
    catalogue = make_app("catalogue", catalogue_app, lambda: catalogue_seed.load_synthetic(count))
    packages = make_app("packages", packages_app, lambda: packages_seed.load_synthetic(count))
    bookings = make_app("bookings", bookings_app, lambda: bookings_seed.load_synthetic(count * 10))
    with catalogue.app_context():
        clinics = {doc["slug"] for doc in catalogue_store.clinics().find({}, {"slug": 1})}
    with packages.app_context():
        package_clinics = {doc["clinic"] for doc in packages_store.packages().find({}, {"clinic": 1})}
    with bookings.app_context():
        slot_clinics = [doc["clinic"] for doc in bookings_store.slots().find({}, {"clinic": 1})]
    assert len(clinics) == count and len(package_clinics) == count and len(slot_clinics) == count * 10
    assert package_clinics == clinics  # one package per clinic
    assert set(slot_clinics) == clinics  # ten slots per clinic


def test_slots_are_written_in_batches_the_driver_can_finish(make_app):
    WRITES.sizes.clear()
    make_app("bookings", bookings_app, lambda: bookings_seed.load_synthetic(BATCH_WRITE_SIZE * 2 + 500))
    batches = [size for collection, size in WRITES.sizes if collection == "slots" and size > 1]
    assert sum(batches) == BATCH_WRITE_SIZE * 2 + 500
    assert batches[0] == BATCH_WRITE_SIZE and max(batches) <= BATCH_SIZES[1]
    interpreters = [size for collection, size in WRITES.sizes if collection == "interpreters"]
    assert sum(interpreters) == (BATCH_WRITE_SIZE * 2 + 500) // 10 * len(bookings_seed.SYNTHETIC_LANGUAGES)
    assert max(interpreters) <= BATCH_WRITE_SIZE


def _operations(count: int) -> list[UpdateOne]:
    return [UpdateOne({"_id": n}, {"$setOnInsert": {"n": n}}, upsert=True) for n in range(count)]


@pytest.fixture
def collection(mongo_uri):
    name = f"test_batches_{uuid.uuid4().hex[:8]}"
    client = pymongo.MongoClient(mongo_uri)  # after WRITES is registered: it sees this client's commands
    yield client[name]["items"]
    client.drop_database(name)
    client.close()


def test_a_load_sizes_its_batches_by_how_long_the_server_takes(collection):
    WRITES.sizes.clear()
    assert len(upsert_missing(collection, _operations(3500), seconds=600)) == 3500  # every batch fast: they grow
    assert [size for _, size in WRITES.sizes] == [500, 1000, 2000]
    WRITES.sizes.clear()
    collection.drop()
    assert len(upsert_missing(collection, _operations(1000), seconds=0)) == 1000  # every batch slow: they shrink
    assert [size for _, size in WRITES.sizes] == [500, 250, 125, 62, 31, 25, 7]
    assert collection.count_documents({}) == 1000


def test_a_batch_whose_answer_was_lost_is_tried_again_smaller_and_nothing_is_lost_or_written_twice(
    collection, monkeypatch
):
    lost = iter([True, True])

    def answer_lost():
        if next(lost, False):
            raise NetworkTimeout("timed out (failpoint)")

    monkeypatch.setitem(failpoints.ACTIVE, "store.batch_written", answer_lost)
    monkeypatch.setattr("services.common.store.time.sleep", lambda seconds: None)
    WRITES.sizes.clear()
    inserted = upsert_missing(collection, _operations(1200), seconds=600)
    assert [size for _, size in WRITES.sizes][:3] == [500, 250, 125]  # written, answer lost, twice
    assert collection.count_documents({}) == 1200 and sorted(doc["n"] for doc in collection.find()) == list(range(1200))
    # what the lost batch wrote is there, only not reported as inserted by this load
    assert sorted(inserted) == list(range(500, 1200))


def test_a_seed_killed_between_batches_finishes_when_run_again_with_every_package_and_its_version(
    mongo_uri, mongo_client
):
    databases = {name: f"test_seed_{name}_{uuid.uuid4().hex[:8]}" for name in ("catalogue", "packages")}
    env = {**os.environ, "MONGO_URI": mongo_uri, **{f"{name.upper()}_DB_NAME": db for name, db in databases.items()}}
    run = [sys.executable, "-m", "services.packages", "seed", "--synthetic", "1200"]
    try:
        subprocess.run(
            [sys.executable, "-m", "services.catalogue", "seed"], cwd=ROOT, env=env, check=True, capture_output=True
        )
        killed = subprocess.run(run, cwd=ROOT, env={**env, "FAILPOINTS": "store.batch_written"}, capture_output=True)
        assert killed.returncode == -9  # SIGKILLed after its first batch was written
        packages = mongo_client[databases["packages"]]
        assert packages.package_versions.count_documents({}) > 0
        subprocess.run(run, cwd=ROOT, env=env, check=True, capture_output=True)
        synthetic = {doc["_id"] for doc in packages.packages.find({"source": "synthetic"}, {"_id": 1})}
        versions = {doc["package_id"] for doc in packages.package_versions.find({"version": 1}, {"package_id": 1})}
        every = {str(doc["_id"]) for doc in packages.packages.find({}, {"_id": 1})}
        assert len(synthetic) == 1200 and every <= versions  # every package has its first version
    finally:
        for database in databases.values():
            mongo_client.drop_database(database)
