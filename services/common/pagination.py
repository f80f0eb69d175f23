"""List pagination with opaque keyset cursors, and batch lookup by ids.

A cursor holds the sort key and the tie-break key of the last item returned, signed so
a client can neither forge it nor reuse it with another sort. Because the tie-break is
unique, paging returns every matching item exactly once, in a stable order, even while
other items are inserted.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable

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
    """Sort by ``field`` then by the unique ``tiebreak``, both in ``direction`` (1 or -1)."""

    field: str
    direction: int
    tiebreak: str

    @property
    def spec(self) -> list[tuple[str, int]]:
        if self.field == self.tiebreak:
            return [(self.field, self.direction)]
        return [(self.field, self.direction), (self.tiebreak, self.direction)]


@dataclass
class Page:
    items: list[dict]
    next_cursor: str | None
    total: int | None = None

    def to_json(self, render: Callable[[dict], dict]) -> dict:
        body: dict[str, Any] = {"items": [render(item) for item in self.items], "nextCursor": self.next_cursor}
        if self.total is not None:
            body["totalCount"] = self.total
        return body


def _serializer(sort: Sort) -> URLSafeSerializer:
    secret = current_app.config["SETTINGS"].token_secret
    return URLSafeSerializer(secret, salt=f"cursor:{sort.field}:{sort.direction}:{sort.tiebreak}")


def _lookup(doc: dict, dotted: str) -> Any:
    for part in dotted.split("."):
        doc = doc.get(part) if isinstance(doc, dict) else None
    return doc


def encode_cursor(sort: Sort, last: dict) -> str:
    key = [_lookup(last, sort.field), _lookup(last, sort.tiebreak)]
    return _serializer(sort).dumps(json_util.dumps(key))


def decode_cursor(sort: Sort, cursor: str) -> list:
    try:
        return json_util.loads(_serializer(sort).loads(cursor))
    except (BadSignature, ValueError, TypeError):
        raise validation_problem(
            [{"field": "cursor", "message": "not a cursor this list gave out for this sort"}],
            "The cursor is not valid.",
        ) from None


def _after(sort: Sort, key: list) -> dict:
    op = "$gt" if sort.direction == 1 else "$lt"
    value, tiebreak = key
    if sort.field == sort.tiebreak:
        return {sort.tiebreak: {op: tiebreak}}
    return {"$or": [{sort.field: {op: value}}, {sort.field: value, sort.tiebreak: {op: tiebreak}}]}


def paginate(
    collection: Collection,
    query: dict,
    sort: Sort,
    *,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
    hint: str | None = None,
    projection: dict | None = None,
    with_total: bool = False,
) -> Page:
    limit = max(1, min(limit, MAX_LIMIT))
    conditions = [query] if query else []
    if cursor:
        conditions.append(_after(sort, decode_cursor(sort, cursor)))
    find_filter = conditions[0] if len(conditions) == 1 else ({"$and": conditions} if conditions else {})
    found = collection.find(find_filter, projection).sort(sort.spec).limit(limit + 1)
    if hint:
        found = found.hint(hint)
    items = list(found)
    next_cursor = encode_cursor(sort, items[limit - 1]) if len(items) > limit else None
    total = None
    if with_total:
        total = collection.count_documents(query, hint=hint) if hint else collection.count_documents(query)
    return Page(items=items[:limit], next_cursor=next_cursor, total=total)


def batch_lookup(collection: Collection, field: str, ids: Iterable[str], projection: dict | None = None) -> list:
    """Documents whose ``field`` is in ``ids``, in the order asked, ``None`` for unknown ids."""
    ids = list(ids)
    if len(ids) > MAX_BATCH:
        raise Problem(400, "VALIDATION_FAILED", f"At most {MAX_BATCH} ids per lookup.",
                      errors=[{"field": "ids", "message": f"at most {MAX_BATCH} ids"}])
    found = {doc[field]: doc for doc in collection.find({field: {"$in": ids}}, projection)}
    return [found.get(key) for key in ids]
