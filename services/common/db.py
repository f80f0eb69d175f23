"""One mongoengine connection per service database, registered under the service's alias."""

from __future__ import annotations

import time

import mongoengine
import pymongo
from mongoengine.connection import get_db

from .config import Settings
from .metrics import DatabaseCommands


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
        event_listeners=[DatabaseCommands(alias)],
    )


def in_transaction(alias: str, work):
    """Run ``work(session)`` in a transaction on the alias's database, retried on transient errors."""
    with get_db(alias).client.start_session() as session:
        return session.with_transaction(work)


def ping(alias: str) -> None:
    """Raises if the database does not answer within the connection's selection timeout."""
    get_db(alias).command("ping")


def wait_for_database(uri: str, timeout: float = 30) -> None:
    """Block until a MongoDB server at ``uri`` answers a ping; raise TimeoutError after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        client: pymongo.MongoClient = pymongo.MongoClient(uri, serverSelectionTimeoutMS=300)
        try:
            client.admin.command("ping")
            return
        except pymongo.errors.PyMongoError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the database did not answer within {timeout:.0f}s") from None
            time.sleep(0.1)
        finally:
            client.close()
