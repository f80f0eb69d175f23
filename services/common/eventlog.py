"""A service's event log: what happened to its resources, for the partners they concern.

An event is written by the very write that makes the change it reports (a booking's guarded
update, a package's transaction), either inside the resource itself (the bookings' outbox) or
into ``event_outbox`` in the same transaction. ``relay`` (the service's) moves events from
there into the log, ``events``, through :meth:`EventLog.log`, which numbers them densely: an
event takes the number after the last one logged, under a unique index, so a number is only
ever taken once every number below it exists, and a reader who has seen number n never meets a
later event below n. Any number of relays may run at once: an event is logged once (its id is
the log's key), and each number once.

Each event names the scope that may read it (``scopes``: an agency, a clinic, or ``public``
for every agency); a page is read through the ``(scope, seq)`` index in windows of numbers, so
its cost does not grow with the log.
"""

from __future__ import annotations

from pymongo import ASCENDING
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from .clock import iso
from .pagination import DEFAULT_LIMIT
from .store import Registry

WINDOW = 500  # numbers of the log a page reads at a time
WINDOWS = 10  # windows a page reads at most: its cost does not grow with the log


class EventLog:
    """The log and outbox of one service's database. Its queries are registered with the
    service's store ``registry``, each beside the index that serves it."""

    def __init__(self, database, registry: Registry, scopes: tuple[str, ...]):
        self._database = database  # a callable returning the service's pymongo database
        self.scopes = scopes
        reads = {
            "event_logged": "_id_",
            "last_seq": "_id_",
            "outbox_events": "waiting",
            "events_between": " or ".join(f"{scope}_seq" for scope in scopes) + " or seq",
        }
        writes = {"log_event": "_id_", "note_seq": "_id_", "put_outbox_event": "_id_", "drop_outbox_event": "_id_"}
        for name, index in reads.items():
            registry.read(index)(getattr(self, name))
        for name, index in writes.items():
            registry.write(index)(getattr(self, name))

    # -- data access -------------------------------------------------------------------------

    def events(self) -> Collection:
        return self._database()["events"]

    def outbox(self) -> Collection:
        return self._database()["event_outbox"]

    def ensure_indexes(self) -> None:
        self.events().create_index([("seq", ASCENDING)], unique=True, name="seq")
        for scope in self.scopes:
            self.events().create_index([(scope, ASCENDING), ("seq", ASCENDING)], name=f"{scope}_seq")
        self.outbox().create_index([("waiting", ASCENDING)], name="waiting")

    def put_outbox_event(self, event: dict, session=None) -> None:
        """An event waiting for the relay; writing it twice writes it once."""
        self.outbox().update_one(
            {"_id": event["id"]}, {"$setOnInsert": {"event": event, "waiting": True}}, upsert=True, session=session
        )

    def outbox_events(self, limit: int) -> list[dict]:
        return list(self.outbox().find({"waiting": True}).limit(limit))

    def drop_outbox_event(self, event_id: str) -> None:
        self.outbox().delete_one({"_id": event_id})

    def event_logged(self, event_id: str) -> bool:
        return self.events().find_one({"_id": event_id}, {"_id": 1}) is not None

    def last_seq(self) -> int:
        """The highest number logged so far, or one a little below it (it is noted after each batch)."""
        counter = self._database()["counters"].find_one({"_id": "events"})
        return counter["seq"] if counter else 0

    def log_event(self, document: dict) -> None:
        """Raises DuplicateKeyError when the event, or its number, is logged already."""
        self.events().insert_one(document)

    def note_seq(self, seq: int) -> None:
        """Note that every number up to ``seq`` is logged."""
        self._database()["counters"].update_one({"_id": "events"}, {"$max": {"seq": seq}}, upsert=True)

    def events_between(self, scope: dict, after: int, through: int) -> list[dict]:
        """The events of a scope numbered in (after, through], in order: a window of numbers, so a
        page reads at most the window whatever the log's length."""
        return sorted(self.events().find({**scope, "seq": {"$gt": after, "$lte": through}}), key=lambda e: e["seq"])

    # -- logging and reading -----------------------------------------------------------------

    def log(self, events: list[dict]) -> None:
        """Log events in order, each once, each under the next free number. The counter of the
        highest number is noted once, after the batch: it may lag, never lead (every number at or
        below it exists), so a relay starts from it and steps over numbers taken meanwhile."""
        seq = self.last_seq()
        for event in events:
            document = {**{k: v for k, v in event.items() if k != "id"}, "_id": event["id"]}
            while True:
                try:
                    self.log_event({**document, "seq": seq + 1})
                    seq += 1
                    break
                except DuplicateKeyError:  # its number was taken (try the next), or it is logged already
                    if self.event_logged(event["id"]):
                        break
                    seq += 1
        if events:
            self.note_seq(seq)

    def relay_outbox(self, batch: int) -> int:
        """Log the events waiting in ``event_outbox``; how many."""
        waiting = self.outbox_events(batch)
        self.log([entry["event"] for entry in waiting])
        for entry in waiting:
            self.drop_outbox_event(entry["_id"])
        return len(waiting)

    def page(self, scope: dict, query: dict) -> dict:
        """Events of a scope after number ``after``, in order, of ``types`` if given: up to ``limit``
        of them, reading at most WINDOWS windows of the log (``query``: a feed's validated query).
        ``cursor`` is where to continue from (the last number read); ``more`` says the log goes on
        past it (else poll again from it)."""
        after, limit = query.get("after", 0), query.get("limit", DEFAULT_LIMIT)
        types = set(query["types"]) if "types" in query else None
        last = self.last_seq()
        items: list[dict] = []
        cursor = after
        for _ in range(WINDOWS):
            if cursor >= last:
                break
            through = min(cursor + WINDOW, last)
            for logged in self.events_between(scope, cursor, through):
                if types is None or logged["type"] in types:
                    items.append(self.wire(logged))
                    if len(items) == limit:
                        return {"items": items, "cursor": str(logged["seq"]), "more": logged["seq"] < last}
            cursor = through
        return {"items": items, "cursor": str(cursor), "more": cursor < last}

    def wire(self, logged: dict) -> dict:
        return {
            "id": logged["_id"],
            "seq": logged["seq"],
            "type": logged["type"],
            "at": iso(logged["at"]),
            "resource": logged["resource"],
            "data": logged["data"],
            "scope": {scope: logged[scope] for scope in self.scopes if logged.get(scope) is not None},
        }
