"""One mongoengine connection per service database, registered under the service's alias."""
from __future__ import annotations

import mongoengine
from mongoengine.connection import get_db

from .config import Settings


def connect_database(settings: Settings) -> None:
    """(Re)connect the service's alias; safe to call again, e.g. from a second app factory."""
    alias = settings.service
    mongoengine.disconnect(alias=alias)
    mongoengine.connect(
        db=settings.database,
        alias=alias,
        host=settings.mongo_uri,
        serverSelectionTimeoutMS=settings.mongo_timeout_ms,
        connectTimeoutMS=settings.mongo_timeout_ms,
        socketTimeoutMS=max(settings.mongo_timeout_ms * 5, 10_000),
        tz_aware=True,
        uuidRepresentation="standard",
    )


def ping(alias: str) -> None:
    """Raises if the database does not answer within the connection's selection timeout."""
    get_db(alias).command("ping")
