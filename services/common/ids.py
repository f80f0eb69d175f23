"""Ids in paths: a malformed one is just an unknown one (404), never a 400 that tells them apart."""

from __future__ import annotations

from bson import ObjectId
from bson.errors import InvalidId

from .errors import not_found


def object_id(raw: str, kind: str) -> ObjectId:
    try:
        return ObjectId(raw)
    except (InvalidId, TypeError):
        raise not_found(kind, raw) from None
