"""The webhooks service's indexes. It has no seed data: partners create their own endpoints."""

from __future__ import annotations

from .models import Delivery, Endpoint, FeedCursor, Lane


def ensure_indexes() -> None:
    for model in (Endpoint, Delivery, FeedCursor, Lane):
        model.ensure_indexes()


def load_seed() -> dict:
    ensure_indexes()
    return {"endpoints": 0}


def load_synthetic(count: int) -> int:
    return 0
