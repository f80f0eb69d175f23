"""What every service's data-access module (``services/<name>/store.py``) shares.

Each store names its queries and updates as functions and registers them here with the index
that serves them, so one test can run every registered read on seeded data and check its plan
with ``explain``, and check that every registered write is led by a unique key.

On the embedded server a query is fast only when its filter's fields are exactly one index's
fields (equalities, then at most one range or ``$in``); anything else reads the collection.
The stores keep to that shape, and test the rest of a condition in Python where needed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pymongo import UpdateOne
from pymongo.errors import AutoReconnect, BulkWriteError, ExecutionTimeout, NetworkTimeout

from .failpoints import failpoint

log = logging.getLogger("clinicbridge.store")

BATCH_WRITE_SIZE = 500  # a bulk write of 2,000 can run past the driver's socket timeout on a busy embedded server
# Loading many documents (``seed``): a batch should take about this long, far inside the driver's socket
# timeout (10 s or more); the next batch's size follows from how long the last one took.
BATCH_SECONDS = 2.0
BATCH_SIZES = (25, 2000)  # the smallest and largest batch
BATCH_ATTEMPTS = 6  # one batch's tries (each half the size of the last) before the load gives up


@dataclass(frozen=True)
class Operation:
    name: str
    kind: str  # "read" or "write"
    index: str  # the index that serves it ("_id_" for the primary key)
    function: Callable


class Registry:
    """A service's named queries and updates."""

    def __init__(self, service: str):
        self.service = service
        self.operations: dict[str, Operation] = {}

    def _register(self, kind: str, index: str):
        def decorate(function: Callable) -> Callable:
            self.operations[function.__name__] = Operation(function.__name__, kind, index, function)
            return function

        return decorate

    def read(self, index: str):
        """A query on a request path, served by ``index``."""
        return self._register("read", index)

    def write(self, index: str):
        """An update or delete whose filter is led by the unique key ``index``."""
        return self._register("write", index)

    def reads(self) -> dict[str, Operation]:
        return {name: op for name, op in self.operations.items() if op.kind == "read"}

    def writes(self) -> dict[str, Operation]:
        return {name: op for name, op in self.operations.items() if op.kind == "write"}


def batches(items: list, size: int = BATCH_WRITE_SIZE):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def upsert_missing(collection, operations: list[UpdateOne], seconds: float = BATCH_SECONDS) -> dict[int, Any]:
    """Apply insert-if-absent upserts (``$setOnInsert`` under a unique key, so each is safe to apply twice) in
    batches sized by what the server answers within ``seconds``: a batch that took longer halves the next,
    one that took under a quarter of it doubles the next (within ``BATCH_SIZES``). A batch that timed out or
    lost its connection is tried again at half the size, after a pause: what it wrote is there already,
    and its upserts match it. An upsert that meets the unique key (another writer inserted it) counts as
    present. The ids inserted, by the index of their operation."""
    inserted: dict[int, Any] = {}
    size, start, failures = BATCH_WRITE_SIZE, 0, 0
    while start < len(operations):
        batch = operations[start : start + size]
        began = time.monotonic()
        try:
            upserted = collection.bulk_write(batch, ordered=False).upserted_ids
            failpoint("store.batch_written")  # as if its answer were lost: the batch is written, the load not told
        except BulkWriteError as error:
            if any(write["code"] != 11000 for write in error.details.get("writeErrors", [])):
                raise
            upserted = {one["index"]: one["_id"] for one in error.details.get("upserted", [])}
        except (NetworkTimeout, AutoReconnect, ExecutionTimeout) as error:
            failures += 1
            if failures >= BATCH_ATTEMPTS:
                raise
            size = max(BATCH_SIZES[0], size // 2)
            log.warning(
                "a batch of %d writes failed (%s); trying again with %d", len(batch), type(error).__name__, size
            )
            time.sleep(min(2**failures * 0.5, 8))
            continue
        took = time.monotonic() - began
        inserted.update({start + index: ident for index, ident in upserted.items()})
        start, failures = start + len(batch), 0
        if took > seconds:
            size = max(BATCH_SIZES[0], size // 2)
        elif took < seconds / 4:
            size = min(BATCH_SIZES[1], size * 2)
    return inserted


def once(database, name: str, migrate: Callable[[], int]) -> int:
    """Run a start-up migration unless a marker in the database's ``migrations`` says it ran: later
    starts skip its scan. ``migrate`` must be safe to run twice at once (every write guarded)."""
    migrations = database["migrations"]
    if migrations.find_one({"_id": name}) is not None:
        return 0
    changed = migrate()
    migrations.update_one({"_id": name}, {"$setOnInsert": {"changed": changed}}, upsert=True)
    return changed
