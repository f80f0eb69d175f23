"""What every service's data-access module (``services/<name>/store.py``) shares.

Each store names its queries and updates as functions and registers them here with the index
that serves them, so one test can run every registered read on seeded data and check its plan
with ``explain``, and check that every registered write is led by a unique key.

On the embedded server a query is fast only when its filter's fields are exactly one index's
fields (equalities, then at most one range or ``$in``); anything else reads the collection.
The stores keep to that shape, and test the rest of a condition in Python where needed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

BATCH_WRITE_SIZE = 500  # a bulk write of 2,000 can run past the driver's socket timeout on a busy embedded server


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


def once(database, name: str, migrate: Callable[[], int]) -> int:
    """Run a start-up migration unless a marker in the database's ``migrations`` says it ran: later
    starts skip its scan. ``migrate`` must be safe to run twice at once (every write guarded)."""
    migrations = database["migrations"]
    if migrations.find_one({"_id": name}) is not None:
        return 0
    changed = migrate()
    migrations.update_one({"_id": name}, {"$setOnInsert": {"changed": changed}}, upsert=True)
    return changed
