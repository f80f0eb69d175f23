"""API keys: random, shown once, stored as a SHA-256 hash in the gateway's own database.

A key is high-entropy random text, so a fast hash is the right one (a password hash would
only slow every request). A key belongs to an agency, a clinic admin or a platform admin.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from threading import Lock

from mongoengine import DateTimeField, Document, StringField

from services.common.clock import utcnow
from services.common.store import Registry
from services.common.tokens import Principal

ALIAS = "gateway"
PREFIX = "cbk_"
registry = Registry("gateway")  # the gateway's own queries (API keys; rate counters are updated by _id)


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiKey(Document):
    meta = {
        "db_alias": ALIAS,
        "collection": "api_keys",
        "auto_create_index": False,
        "indexes": [{"fields": ["key_hash"], "unique": True, "name": "hash"}],
    }
    key_hash = StringField(required=True)
    name = StringField(required=True)
    role = StringField(required=True, choices=("AGENCY", "CLINIC_ADMIN", "PLATFORM_ADMIN"))
    clinic = StringField()
    agency = StringField()
    created_at = DateTimeField(default=utcnow)
    revoked_at = DateTimeField()

    def principal(self) -> Principal:
        return Principal(role=self.role, subject=f"key:{self.pk}", clinic=self.clinic, agency=self.agency)


def create(
    name: str, role: str, *, clinic: str | None = None, agency: str | None = None, key: str | None = None
) -> tuple[ApiKey, str]:
    """A new key; the plain key is returned once and never stored."""
    key = key or PREFIX + secrets.token_urlsafe(32)
    Principal(role=role, subject="check", clinic=clinic, agency=agency)  # the same rules as the tokens
    record = ApiKey(key_hash=digest(key), name=name, role=role, clinic=clinic, agency=agency).save()
    return record, key


def revoke(key_id: str) -> bool:
    return ApiKey.objects(id=key_id, revoked_at=None).update_one(set__revoked_at=utcnow()) == 1


@registry.read("hash")
def key_by_hash(key_hash: str) -> dict | None:
    return ApiKey._get_collection().find_one({"key_hash": key_hash})


def principal_for(key: str) -> Principal | None:
    record = key_by_hash(digest(key))
    if record is None or record.get("revoked_at") is not None:
        return None
    return Principal(
        role=record["role"], subject=f"key:{record['_id']}", clinic=record.get("clinic"), agency=record.get("agency")
    )


class KeyCache:
    """Who a key belongs to, remembered for ``seconds`` per process so most requests skip the lookup;
    a revocation takes effect everywhere within that time. Unknown keys are remembered too, so
    guessing costs the database nothing more; the cache is emptied when it grows past ``size``."""

    def __init__(self, seconds: float, size: int = 10_000):
        self.seconds = seconds
        self.size = size
        self.entries: dict[str, tuple[float, Principal | None]] = {}
        self.lock = Lock()

    def principal_for(self, key: str) -> Principal | None:
        known, principal = self.cached(key)
        return principal if known else self.look_up(key)

    def cached(self, key: str) -> tuple[bool, Principal | None]:
        """Whether this process knows the key now (without asking the database), and its owner."""
        with self.lock:
            entry = self.entries.get(digest(key))
        if entry is not None and entry[0] > time.monotonic():
            return True, entry[1]
        return False, None

    def look_up(self, key: str) -> Principal | None:
        """Ask the database, and remember the answer."""
        principal = principal_for(key)
        with self.lock:
            if len(self.entries) >= self.size:
                self.entries.clear()
            self.entries[digest(key)] = (time.monotonic() + self.seconds, principal)
        return principal
