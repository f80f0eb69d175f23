"""The webhooks service's indexes, and the one-off changes to what it stores. It has no seed data:
partners create their own endpoints."""

from __future__ import annotations

from flask import current_app, has_app_context

from services.common.config import Settings, from_env

from . import endpoints
from .models import Delivery, Endpoint, FeedCursor, Lane
from .sealing import sealer


def _settings() -> Settings:
    return current_app.config["SETTINGS"] if has_app_context() else from_env("webhooks")


def ensure_indexes(settings: Settings | None = None) -> None:
    """The indexes, and signing secrets stored before they were sealed sealed now (once)."""
    for model in (Endpoint, Delivery, FeedCursor, Lane):
        model.ensure_indexes()
    endpoints.seal_plain(sealer(settings or _settings()))


def load_seed() -> dict:
    ensure_indexes()
    return {"endpoints": 0}


def load_synthetic(count: int) -> int:
    return 0
