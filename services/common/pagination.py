"""List pagination with opaque keyset cursors, and batch lookup by ids.

A cursor holds the sort key and the tie-break key of the last item returned, signed so
a client can neither forge it nor reuse it with another sort. Because the tie-break is
unique, paging returns every matching item exactly once, in a stable order, even while
other items are inserted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from bson import json_util
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from pymongo.collection import Collection

from .errors import Problem, validation_problem

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_BATCH = 100


@dataclass(frozen=True)
class Sort:
    """Sort by ``field`` in ``direction`` (1 or -1). The field must be unique and always set:
    a composite key ending with the item's identifier makes any order unique, so a cursor is
    a single range condition on one indexed field (no ``$or``, which planners serve poorly)."""

    field: str
    direction: int

    @property
    def spec(self) -> list[tuple[str, int]]:
        return [(self.field, self.direction)]


@dataclass
class Page:
    items: list[dict]
    next_cursor: str | None
    total: int | None = None
    cursors: list[str] | None = None  # one per item: where a page after that item starts

    def to_json(self, render: Callable[[dict], dict]) -> dict:
        body: dict[str, Any] = {"items": [render(item) for item in self.items], "nextCursor": self.next_cursor}
        if self.cursors is not None:
            body["cursors"] = self.cursors
        if self.total is not None:
            body["totalCount"] = self.total
        return body


def _serializer(sort: Sort) -> URLSafeSerializer:
    secret = current_app.config["SETTINGS"].token_secret
    return URLSafeSerializer(secret, salt=f"cursor:{sort.field}:{sort.direction}")


def encode_cursor(sort: Sort, last: dict) -> str:
    return _serializer(sort).dumps(json_util.dumps(last[sort.field]))


def decode_cursor(sort: Sort, cursor: str):
    try:
        return json_util.loads(_serializer(sort).loads(cursor))
    except (BadSignature, ValueError, TypeError):
        raise validation_problem(
            [{"field": "cursor", "message": "not a cursor this list gave out for this sort"}],
            "The cursor is not valid.",
        ) from None


def paginate(
    collection: Collection,
    query: dict,
    sort: Sort,
    *,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
    projection: dict | None = None,
    with_total: bool = False,
) -> Page:
    """One page of ``query`` in ``sort`` order, after ``cursor``. ``projection`` may leave
    out the sort field; it is still read for the next cursor."""
    limit = max(1, min(limit, MAX_LIMIT))
    find_filter = dict(query)
    if cursor:
        after = {"$gt" if sort.direction == 1 else "$lt": decode_cursor(sort, cursor)}
        if sort.field in find_filter:
            find_filter = {"$and": [query, {sort.field: after}]}
        else:
            find_filter[sort.field] = after
    if projection and all(value == 0 for value in projection.values()):
        projection = {k: v for k, v in projection.items() if k != sort.field}
    items = list(collection.find(find_filter, projection).sort(sort.spec).limit(limit + 1))
    cursors = [encode_cursor(sort, item) for item in items[:limit]]
    next_cursor = cursors[-1] if len(items) > limit else None
    if projection and all(value == 0 for value in projection.values()):
        for item in items:
            item.pop(sort.field, None)
    total = None
    if with_total:  # an empty filter is counted from the collection's metadata, never by reading it
        total = collection.count_documents(query) if query else collection.estimated_document_count()
    return Page(items=items[:limit], next_cursor=next_cursor, total=total, cursors=cursors)


def page_of(
    items: list[dict], sort: Sort, *, limit: int = DEFAULT_LIMIT, cursor: str | None = None, with_total: bool = False
) -> Page:
    """One page of a list already in hand, in ``sort`` order after ``cursor``: the page and cursors
    :func:`paginate` gives for a collection. Each item carries its unique ``sort.field``, which is left
    out of the items returned."""
    limit = max(1, min(limit, MAX_LIMIT))
    ordered = sorted(items, key=lambda item: item[sort.field], reverse=sort.direction == -1)
    if cursor:
        after = decode_cursor(sort, cursor)
        ordered = [
            item for item in ordered if (item[sort.field] > after if sort.direction == 1 else item[sort.field] < after)
        ]
    page = [dict(item) for item in ordered[:limit]]
    cursors = [encode_cursor(sort, item) for item in page]
    for item in page:
        del item[sort.field]
    total = len(items) if with_total else None
    return Page(items=page, next_cursor=cursors[-1] if len(ordered) > limit else None, total=total, cursors=cursors)


def batch_ids(query: dict) -> list:
    """The ids of a ``?ids=a,b,c`` lookup, at most 100. A batch lookup takes no other filter (``lang`` aside)."""
    others = sorted(set(query) - {"ids", "lang"})
    if others:
        raise validation_problem([{"field": name, "message": "cannot be combined with ids"} for name in others])
    ids = list(query["ids"])
    if len(ids) > MAX_BATCH:
        raise Problem(
            400,
            "VALIDATION_FAILED",
            f"At most {MAX_BATCH} ids per lookup.",
            errors=[{"field": "ids", "message": f"at most {MAX_BATCH} ids"}],
        )
    return ids


def batch_response(found: Iterable[dict | None], render: Callable[[dict], dict | None]) -> dict:
    """The answer to ``?ids=a,b,c``: items in the order asked, ``null`` for unknown (or unseen) ids."""
    return {"items": [render(doc) if doc else None for doc in found], "nextCursor": None}
