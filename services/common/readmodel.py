"""A process-local copy of a collection's public documents, kept current by a change stream.

Listings sorted and counted over the whole catalogue are what the embedded server cannot serve
from an index (it reads every match, even with a limit), and even MongoDB counts by reading. A
service holds its public documents here instead: each one as BSON bytes, the tokens it can be
filtered by (``("district", "GANGNAM")``), a few values for range tests, and its unique sort
keys in sorted lists. A page is then a walk from the cursor's position, and a count is the size
of a set intersection: neither reads the database.

How current it is: a process's :class:`Follower` opens one change stream on the service's
database (filtered to its models' collections) *before* reading the snapshots, so no write is
missed, and applies each change as it arrives (a few milliseconds after the write on one
machine, at most ``IDLE_PAUSE_SECONDS`` more when the stream had been quiet). If the stream
breaks, the model says it is not ready until it has reloaded, and listings wait for it (or answer
503 DATABASE_UNAVAILABLE while the database is down). On MongoDB this needs a replica set, for
change streams.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

import bson
from bson.codec_options import CodecOptions
from flask import current_app
from pymongo.collection import Collection
from pymongo.errors import ConnectionFailure, PyMongoError

from .errors import Problem
from .pagination import MAX_LIMIT, Page, Sort, decode_cursor, encode_cursor

log = logging.getLogger("clinicbridge.readmodel")
RETRY_SECONDS = 1.0
# After a getMore that brought nothing, wait this long before the next. The embedded server wakes every
# waiting change stream on every write to any database and answers it empty when the write is not
# its own: without the pause each stream would cost one more command per write of the whole stack.
IDLE_PAUSE_SECONDS = 0.1


def _no_collection() -> Collection:
    raise RuntimeError("a snapshot model follows no collection")


@dataclass
class _Entry:
    raw: bytes
    tokens: tuple
    values: Any
    keys: dict[str, str]
    alias: Any


@dataclass
class ReadModel:
    """``hold``: the filter of documents to keep (re-tested on every change by ``include``);
    ``describe(doc)``: ``(tokens, values)``; ``sort_fields``: unique string fields to page by;
    ``strip``: stored fields never served (derived keys), removed before the bytes are kept;
    ``lookup``: the field documents are looked up by (``_id``, or a unique one such as a slug)."""

    name: str
    collection: Callable[[], Collection]
    hold: dict
    include: Callable[[dict], bool]
    describe: Callable[[dict], tuple[Iterable[Hashable], Any]]
    sort_fields: tuple[str, ...]
    strip: tuple[str, ...] = ()
    lookup: str = "_id"
    entries: dict[Any, _Entry] = field(default_factory=dict)
    aliases: dict[Any, Any] = field(default_factory=dict)  # lookup value -> _id
    interned: dict[Hashable, Hashable] = field(default_factory=dict)
    postings: dict[Hashable, set] = field(default_factory=dict)
    orders: dict[str, list[str]] = field(default_factory=dict)
    by_key: dict[str, dict[str, Any]] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)
    ready: threading.Event = field(default_factory=threading.Event)
    codec: CodecOptions = field(default_factory=CodecOptions)
    last_error: Exception | None = None

    @classmethod
    def of(
        cls, documents: Iterable[dict], describe, sort_fields: tuple[str, ...], strip: tuple[str, ...] = ()
    ) -> ReadModel:
        """The same paging over a few documents just read (a clinic's own drafts)."""
        model = cls("snapshot", _no_collection, {}, lambda doc: True, describe, sort_fields, strip)
        for document in documents:
            model._put(document, in_order=False)
        for keys in model.orders.values():
            keys.sort()
        model.ready.set()
        return model

    # -- keeping it current (by a Follower) -----------------------------------------------------

    def _reload(self) -> None:
        fresh = ReadModel(
            self.name,
            self.collection,
            self.hold,
            self.include,
            self.describe,
            self.sort_fields,
            self.strip,
            self.lookup,
        )
        collection = self.collection()
        for document in collection.find(self.hold):
            fresh._put(document, in_order=False)
        for keys in fresh.orders.values():  # one sort per key at the end, not one sorted insert per document
            keys.sort()
        with self.lock:
            self.codec = collection.codec_options
            self.last_error = None
            self.entries, self.postings, self.orders, self.by_key = (
                fresh.entries,
                fresh.postings,
                fresh.orders,
                fresh.by_key,
            )
            self.aliases, self.interned = fresh.aliases, fresh.interned
        self.ready.set()
        log.info("read model %s loaded %d documents", self.name, len(self.entries))

    def observe(self, document: dict) -> None:
        """A write this process just made, applied at once so it reads its own writes; the change
        stream brings the same document (or a later one) a few milliseconds after."""
        with self.lock:
            if self.ready.is_set():
                self._remove(document["_id"])
                if self.include(document):
                    self._put(document)

    def _lost(self, error: Exception) -> None:
        self.last_error = error
        self.ready.clear()

    def _apply(self, change: dict) -> None:
        kind = change.get("operationType")
        if kind in ("drop", "rename"):
            raise PyMongoError(f"collection {kind}")
        key = (change.get("documentKey") or {}).get("_id")
        document = change.get("fullDocument")
        with self.lock:
            self._remove(key)
            if kind != "delete" and document is not None and self.include(document):
                self._put(document)

    def _put(self, document: dict, in_order: bool = True) -> None:
        tokens, values = self.describe(document)
        keys = {name: document[name] for name in self.sort_fields}
        served = {k: v for k, v in document.items() if k not in self.strip}
        ident = document["_id"]
        # Tokens are shared between documents (one ("district", "GANGNAM") for all), so each is kept once.
        shared = tuple(self.interned.setdefault(token, token) for token in tokens)
        self.entries[ident] = _Entry(bson.encode(served), shared, values, keys, document.get(self.lookup))
        self.aliases[document.get(self.lookup)] = ident
        for token in self.entries[ident].tokens:
            self.postings.setdefault(token, set()).add(ident)
        for name, value in keys.items():
            if in_order:
                insort(self.orders.setdefault(name, []), value)
            else:
                self.orders.setdefault(name, []).append(value)
            self.by_key.setdefault(name, {})[value] = ident

    def _remove(self, ident) -> None:
        entry = self.entries.pop(ident, None)
        if entry is None:
            return
        if self.aliases.get(entry.alias) == ident:
            del self.aliases[entry.alias]
        for token in entry.tokens:
            members = self.postings.get(token)
            if members is not None:
                members.discard(ident)
                if not members:
                    del self.postings[token]
        for name, value in entry.keys.items():
            order = self.orders[name]
            at = bisect_left(order, value)
            if at < len(order) and order[at] == value:
                del order[at]
            self.by_key[name].pop(value, None)

    # -- answering ---------------------------------------------------------------------------

    def require(self, seconds: float) -> ReadModel:
        """The model once loaded, waiting up to ``seconds``. Without a database to load from this is
        the database's error (a 503 DATABASE_UNAVAILABLE); still loading after ``seconds``, a 503 too."""
        deadline = time.monotonic() + seconds
        while not self.ready.wait(0.05):
            if isinstance(self.last_error, ConnectionFailure):
                raise self.last_error
            if time.monotonic() > deadline:
                raise Problem(
                    503, "LISTING_UNAVAILABLE", "Listings are loading; retry shortly.", headers={"Retry-After": "1"}
                )
        return self

    def get_many(self, values: list) -> list[dict | None]:
        """The documents whose ``lookup`` field has these values, in order; None where none has."""
        with self.lock:
            raws = [self.entries[self.aliases[v]].raw if v in self.aliases else None for v in values]
        return [bson.decode(raw, codec_options=self.codec) if raw is not None else None for raw in raws]

    def page(
        self,
        where: list[set],
        test: Callable[[Any], bool] | None,
        sort: Sort,
        *,
        limit: int,
        cursor: str | None,
        with_total: bool,
    ) -> Page:
        """Documents holding a token of every set in ``where`` and passing ``test`` (on their
        values), in ``sort`` order after ``cursor``: the same page the database would give."""
        limit = max(1, min(limit, MAX_LIMIT))
        after = decode_cursor(sort, cursor) if cursor else None
        with self.lock:
            candidates = self._candidates(where)
            keys = self._ordered_keys(candidates, test, sort.field)
            if after is not None:
                start = bisect_right(keys, after) if sort.direction == 1 else bisect_left(keys, after) - 1
            else:
                start = 0 if sort.direction == 1 else len(keys) - 1
            walking_all = keys is self.orders.get(sort.field)  # else ``keys`` holds only matches
            owners = self.by_key.get(sort.field, {})
            found: list[str] = []
            step = 1 if sort.direction == 1 else -1
            at = start
            while 0 <= at < len(keys) and len(found) <= limit:
                key = keys[at]
                at += step
                if walking_all:
                    ident = owners[key]
                    if (candidates is not None and ident not in candidates) or (
                        test and not test(self.entries[ident].values)
                    ):
                        continue
                found.append(key)
            items = []
            for key in found[:limit]:
                item = bson.decode(self.entries[owners[key]].raw, codec_options=self.codec)
                item[sort.field] = key
                items.append(item)
            total = self._count(candidates, test) if with_total else None
        cursors = [encode_cursor(sort, item) for item in items]
        if sort.field in self.strip:
            for item in items:
                del item[sort.field]
        return Page(items=items, next_cursor=cursors[-1] if len(found) > limit else None, total=total, cursors=cursors)

    def _candidates(self, where: list[set]) -> set | None:
        if not where:
            return None
        groups = sorted((set().union(*(self.postings.get(token, ()) for token in tokens)) for tokens in where), key=len)
        result = groups[0]
        for group in groups[1:]:
            result = result & group
            if not result:
                break
        return result

    def _ordered_keys(self, candidates: set | None, test, field_name: str) -> list[str]:
        """The sort keys to walk: all of them (tested while walking), or, when the filters leave
        few documents, just theirs, sorted here."""
        everything = self.orders.get(field_name, [])
        if candidates is None or len(candidates) * 8 >= len(everything):
            return everything
        return sorted(
            self.entries[ident].keys[field_name]
            for ident in candidates
            if test is None or test(self.entries[ident].values)
        )

    def _count(self, candidates: set | None, test) -> int:
        if test is None:
            return len(self.entries) if candidates is None else len(candidates)
        pool = self.entries.keys() if candidates is None else candidates
        return sum(1 for ident in pool if test(self.entries[ident].values))


class Follower:
    """Keeps one process's read models current with one change stream on the service's database
    (every open stream costs the server a scan of each new oplog entry, so one per process)."""

    def __init__(self, models: Iterable[ReadModel]):
        self.models = {model.collection().name: model for model in models}
        self.lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stream: Any = None
        self._stopped = threading.Event()

    def start(self) -> Follower:
        """Start the watcher thread once (after a fork: gunicorn workers start their own)."""
        with self.lock:
            if self.models and (self._thread is None or not self._thread.is_alive()):
                self._stopped.clear()
                self._thread = threading.Thread(target=self._run, name="read-models", daemon=True)
                self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        stream = self._stream
        if stream is not None:
            with contextlib.suppress(PyMongoError):
                stream.close()

    def _run(self) -> None:
        database = next(iter(self.models.values())).collection().database
        pipeline = [{"$match": {"ns.coll": {"$in": sorted(self.models)}}}]
        while not self._stopped.is_set():
            try:
                with database.watch(pipeline, full_document="updateLookup", max_await_time_ms=1000) as stream:
                    self._stream = stream
                    for model in self.models.values():  # after the stream is open: no write is missed
                        model._reload()
                    while stream.alive and not self._stopped.is_set():
                        change = stream.try_next()
                        if change is not None:
                            self.models[change["ns"]["coll"]]._apply(change)
                        else:
                            self._stopped.wait(IDLE_PAUSE_SECONDS)
            except Exception as error:  # the thread never dies: listings wait (or 503) until it has reloaded
                if self._stopped.is_set():
                    break
                if isinstance(error, PyMongoError):
                    if any(model.ready.is_set() for model in self.models.values()):
                        log.warning(
                            "read models lost their change stream (%s); listings wait until they have reloaded",
                            type(error).__name__,
                        )
                else:
                    log.exception("read models failed; reloading")
                for model in self.models.values():
                    model._lost(error)
                time.sleep(RETRY_SECONDS)
        self._stream = None
        for model in self.models.values():
            model.ready.clear()


def read_model(name: str) -> ReadModel:
    """The current app's read model ``name``, followed from its first use in this process."""
    current_app.extensions["read_model_follower"].start()
    return current_app.extensions["read_models"][name]
