"""A service's event log: what happened to its resources, for the partners they concern.

An event is written by the very write that makes the change it reports (a booking's guarded
update, a package's transaction), either inside the resource itself (the bookings' outbox) or
into ``event_outbox`` in the same transaction. The change's own request then logs it (``log``)
at once; the service's relay process (``relay_outbox``, then ``tidy``) logs whatever a process that
died in between left behind. Reading the log never writes.

``log`` numbers events densely: an event takes the number after the last one logged, under a
unique index, so a number is only ever taken once every number below it exists, and a reader who
has seen number n never meets a later event below n. Any number of relays may run at once: an
event is logged once (its id is the log's key), and each number once. The highest number is noted
in ``counters`` after each batch; a reader also reads the few numbers logged past it (a relay that
died between logging and noting), so no event waits for the next one to be seen.

Events are kept for a horizon (``EVENT_HORIZON_DAYS``, 30 by default): the relay process drops
those logged before it, oldest number first, and notes the oldest number kept. A cursor from before
it gets ``CURSOR_EXPIRED`` (410) with the oldest cursor still held; 0 reads from the oldest kept.

Each event names the scope that may read it (``scopes``: an agency, a clinic, or ``public``
for every agency); a page is read through the ``(scope, seq)`` index in windows of numbers, so
its cost does not grow with the log.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pymongo import ASCENDING
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from .clock import iso, utcnow
from .config import event_horizon_days
from .errors import Problem
from .pagination import DEFAULT_LIMIT
from .store import BATCH_WRITE_SIZE, Registry
from .tracing import current_traceparent

WINDOW = 500  # numbers of the log a page reads at a time
WINDOWS = 10  # windows a page reads at most: its cost does not grow with the log


def expired(oldest_cursor: int) -> Problem:
    return Problem(
        410,
        "CURSOR_EXPIRED",
        f"Events are kept {event_horizon_days()} days, and those after this cursor are no longer all kept; go on "
        "from oldestCursor, the oldest cursor still held.",
        title="Cursor expired",
        extra={"oldestCursor": str(oldest_cursor)},
    )


class EventLog:
    """The log and outbox of one service's database. Its queries are registered with the
    service's store ``registry``, each beside the index that serves it."""

    def __init__(self, database, registry: Registry, scopes: tuple[str, ...]):
        self._database = database  # a callable returning the service's pymongo database
        self.scopes = scopes
        reads = {
            "event_logged": "_id_",
            "counter": "_id_",
            "numbers_past": "seq",
            "event_numbered": "seq",
            "outbox_events": "waiting",
            "events_between": " or ".join(f"{scope}_seq" for scope in scopes) + " or seq",
        }
        writes = {
            "log_event": "_id_",
            "note_seq": "_id_",
            "note_oldest": "_id_",
            "drop_events": "seq",
            "put_outbox_event": "_id_",
            "drop_outbox_event": "_id_",
        }
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

    def counter(self) -> dict:
        """``seq``: a number every number below which is logged (noted after each batch, so it may lag);
        ``oldest``: the oldest number still kept."""
        return self._database()["counters"].find_one({"_id": "events"}) or {}

    def numbers_past(self, seq: int) -> list[int]:
        """The numbers logged past ``seq``: none, or the few of a batch not yet noted."""
        return [event["seq"] for event in self.events().find({"seq": {"$gt": seq}}, {"seq": 1})]

    def event_numbered(self, seq: int) -> dict | None:
        return self.events().find_one({"seq": seq}, {"at": 1, "logged_at": 1})

    def last_seq(self, counter: dict | None = None) -> int:
        """The highest number logged: the one noted, and any logged past it by a relay that died (or is
        still logging) before noting them."""
        last = (counter if counter is not None else self.counter()).get("seq", 0)
        for seq in sorted(self.numbers_past(last)):
            if seq != last + 1:
                break
            last = seq
        return last

    def log_event(self, document: dict) -> None:
        """Raises DuplicateKeyError when the event, or its number, is logged already."""
        self.events().insert_one(document)

    def note_seq(self, seq: int) -> None:
        """Note that every number up to ``seq`` is logged."""
        self._database()["counters"].update_one({"_id": "events"}, {"$max": {"seq": seq}}, upsert=True)

    def note_oldest(self, seq: int) -> None:
        """Note that the numbers below ``seq`` are no longer kept (before they are dropped, so a reader
        who needs them is told rather than given less)."""
        self._database()["counters"].update_one({"_id": "events"}, {"$max": {"oldest": seq}}, upsert=True)

    def drop_events(self, first: int, below: int) -> None:
        """Drop the events numbered from ``first`` up to, not including, ``below``."""
        self.events().delete_many({"seq": {"$gte": first, "$lt": below}})

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
        logged_at = utcnow()  # what the horizon is counted from
        trace = current_traceparent()  # the change's trace, continued by its webhook deliveries
        for event in events:
            document = {**{k: v for k, v in event.items() if k != "id"}, "_id": event["id"], "logged_at": logged_at}
            if trace and "traceparent" not in document:
                document["traceparent"] = trace
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

    def publish(self, events: list[dict]) -> None:
        """Log events written to ``event_outbox`` by a change, right after it (the relay logs them
        later if this fails, or the process dies first)."""
        self.log(events)
        for event in events:
            self.drop_outbox_event(event["id"])

    def tidy(self, now: datetime, horizon: timedelta) -> dict:
        """The relay process's care of the log: note numbers logged but not yet noted (a relay that died
        between logging and noting), and drop the events logged before the horizon, oldest first."""
        counter = self.counter()
        last = self.last_seq(counter)
        if last > counter.get("seq", 0):
            self.note_seq(last)
        oldest = counter.get("oldest", 1)
        cutoff = now - horizon

        def before_horizon(seq: int) -> bool:
            event = self.event_numbered(seq)
            return event is None or (event.get("logged_at") or event["at"]) < cutoff

        if oldest > last or not before_horizon(oldest):
            return {"noted": last, "dropped": 0}
        # Numbers are logged in time order: the last one before the horizon, by halving [oldest, last].
        low, high = oldest, last
        while low < high:
            middle = (low + high + 1) // 2
            if before_horizon(middle):
                low = middle
            else:
                high = middle - 1
        self.note_oldest(low + 1)
        for first in range(oldest, low + 1, BATCH_WRITE_SIZE):
            self.drop_events(first, min(first + BATCH_WRITE_SIZE, low + 1))
        return {"noted": last, "dropped": low + 1 - oldest}

    def page(self, scope: dict, query: dict) -> dict:
        """Events of a scope after number ``after``, in order, of ``types`` if given: up to ``limit``
        of them, reading at most WINDOWS windows of the log (``query``: a feed's validated query).
        ``cursor`` is where to continue from (the last number read); ``more`` says the log goes on
        past it (else poll again from it). A cursor before the oldest event kept is CURSOR_EXPIRED;
        0 (or none) reads from the oldest kept. Reads only."""
        after, limit = query.get("after", 0), query.get("limit", DEFAULT_LIMIT)
        types = set(query["types"]) if "types" in query else None
        counter = self.counter()
        self._check_horizon(after, counter)
        last = self.last_seq(counter)
        items: list[dict] = []
        cursor = max(after, counter.get("oldest", 1) - 1)
        answer = None
        for _ in range(WINDOWS):
            if cursor >= last:
                break
            through = min(cursor + WINDOW, last)
            for logged in self.events_between(scope, cursor, through):
                if types is None or logged["type"] in types:
                    items.append(self.wire(logged))
                    if len(items) == limit:
                        answer = {"items": items, "cursor": str(logged["seq"]), "more": logged["seq"] < last}
                        break
            if answer:
                break
            cursor = through
        if after and after < last:  # the horizon may have passed it while this page was read
            self._check_horizon(after, self.counter())
        return answer or {"items": items, "cursor": str(cursor), "more": cursor < last}

    def _check_horizon(self, after: int, counter: dict) -> None:
        oldest = counter.get("oldest", 1)
        if after and after < oldest - 1:
            raise expired(oldest - 1)

    def wire(self, logged: dict) -> dict:
        return {
            "id": logged["_id"],
            "seq": logged["seq"],
            "type": logged["type"],
            "at": iso(logged["at"]),
            "resource": logged["resource"],
            "data": logged["data"],
            "scope": {scope: logged[scope] for scope in self.scopes if logged.get(scope) is not None},
            **({"traceparent": logged["traceparent"]} if logged.get("traceparent") else {}),
        }
