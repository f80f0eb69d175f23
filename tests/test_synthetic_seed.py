"""Synthetic data for scale work: written in batches, and every package and slot belongs to a
synthetic clinic that the same count of synthetic clinics holds."""

from __future__ import annotations

from pymongo import monitoring

from services.bookings import seed as bookings_seed
from services.bookings import store as bookings_store
from services.bookings.app import create_app as bookings_app
from services.catalogue import seed as catalogue_seed
from services.catalogue import store as catalogue_store
from services.catalogue.app import create_app as catalogue_app
from services.common.store import BATCH_WRITE_SIZE
from services.packages import seed as packages_seed
from services.packages import store as packages_store
from services.packages.app import create_app as packages_app


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
    assert max(batches) <= BATCH_WRITE_SIZE and len(batches) == 3
    interpreters = [size for collection, size in WRITES.sizes if collection == "interpreters"]
    assert sum(interpreters) == (BATCH_WRITE_SIZE * 2 + 500) // 10 * len(bookings_seed.SYNTHETIC_LANGUAGES)
    assert max(interpreters) <= BATCH_WRITE_SIZE
