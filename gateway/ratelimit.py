"""Per-key rate limits whose counters every gateway worker shares, kept in the gateway's database.

A fixed window per key, opened by the key's first request. A worker reserves a slice of the key's
budget with one atomic update, which also answers the window's count and end, and admits that
slice without asking again; so most requests cost no round trip, and the ``X-RateLimit-*``
headers need no extra read (a general-purpose limiter library makes three round trips per request:
count, then read the remainder and the reset time back). The window restarts inside the same
update once it has passed; a TTL index drops idle keys.

If the database cannot be reached the request is let through and the failure logged (fail open):
the limit protects the services, and refusing every caller would take the whole API down with it.
"""

from __future__ import annotations

import logging
import math
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from threading import Lock

from flask import Flask, g, request
from mongoengine.connection import get_db
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError, PyMongoError

from .errors import graphql_error_response

log = logging.getLogger("clinicbridge.gateway")
PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
COLLECTION = "rate_counters"
PROJECTION = {"count": True, "granted": True, "endsMs": True}


@dataclass(frozen=True)
class Rate:
    amount: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> Rate:
        """``1200/minute`` or ``10 per second``."""
        match = re.fullmatch(r"\s*(\d+)\s*(?:/|per)\s*(second|minute|hour|day)\s*", text)
        if match is None or int(match[1]) < 1:
            raise ValueError(f"a rate limit reads like 1200/minute (second, minute, hour or day), not {text!r}")
        return cls(int(match[1]), PERIODS[match[2]])


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset_at: float  # epoch seconds when the window ends

    def headers(self) -> dict[str, str]:
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(math.ceil(self.reset_at)),
        }
        if not self.allowed:
            headers["Retry-After"] = str(max(1, math.ceil(self.reset_at - time.time())))
        return headers


def ensure_indexes(alias: str) -> None:
    get_db(alias)[COLLECTION].create_index("expireAt", expireAfterSeconds=0, name="expiry")


@dataclass
class _Lease:
    left: int  # requests this process may still admit without asking the database
    remaining: int  # the key's budget left in the window, as last seen in the database
    reset_at: float


class RateLimiter:
    """Admits requests per key from a budget shared by every process through one MongoDB document.

    A process reserves ``lease`` requests of a key's budget at a time (one atomic update that never
    grants past the limit) and admits them locally, so most requests cost no round trip. The sum
    admitted by all processes never exceeds the limit; a lease left unused when the window ends
    can only make a caller wait early, never let it through late. A refused key is refused locally
    until its window ends.
    """

    def __init__(self, alias: str, rate: Rate, lease: int | None = None):
        self.alias = alias
        self.rate = rate
        self.lease = lease or max(1, rate.amount // 200)
        self.leases: dict[str, _Lease] = {}
        self.lock = Lock()

    def _update(self, now: datetime) -> list[dict]:
        """The reservation as an update pipeline. The window's end is compared as epoch milliseconds
        (SecantusDB 0.7 answers $lt and $gt between two dates wrongly); ``expireAt`` is the same
        moment as a date, for the TTL index."""
        now_ms = int(now.timestamp() * 1000)
        expired = {"$lt": ["$endsMs", now_ms]}  # true for a new key too: a missing field sorts first
        return [
            {
                "$set": {
                    "count": {"$cond": [expired, 0, "$count"]},
                    "endsMs": {"$cond": [expired, now_ms + self.rate.seconds * 1000, "$endsMs"]},
                    "expireAt": {"$cond": [expired, now + timedelta(seconds=self.rate.seconds), "$expireAt"]},
                }
            },
            {"$set": {"granted": {"$max": [0, {"$min": [self.lease, {"$subtract": [self.rate.amount, "$count"]}]}]}}},
            {"$set": {"count": {"$add": ["$count", "$granted"]}}},
        ]

    def hit(self, key: str) -> Verdict | None:
        """Admit or refuse one request for ``key``; None when the counters cannot be reached."""
        moment = datetime.now(UTC)
        now = moment.timestamp()
        with self.lock:
            verdict = self._take(key, now)
        if verdict is not None:
            return verdict
        try:
            counter = self._reserve(key, moment)
        except PyMongoError as error:
            log.warning("rate-limit counters unavailable, request let through: %s", type(error).__name__)
            return None
        if counter is None:
            log.warning("rate-limit counter for %s kept changing under us; request let through", key)
            return None
        reset_at = counter["endsMs"] / 1000
        with self.lock:
            if len(self.leases) > 10_000:  # forget windows that have ended
                self.leases = {k: v for k, v in self.leases.items() if v.reset_at > now}
            lease = self.leases.get(key)
            if lease is None or lease.reset_at != reset_at:
                lease = self.leases[key] = _Lease(left=0, remaining=self.rate.amount, reset_at=reset_at)
            # Threads that found the lease spent at the same moment each reserve a slice: every slice is
            # added to the one lease, so each is served and none is lost to an overwrite.
            lease.left += counter["granted"]
            lease.remaining = min(lease.remaining, self.rate.amount - counter["count"])
            if lease.left > 0:
                lease.left -= 1
                return Verdict(True, self.rate.amount, lease.remaining + lease.left, reset_at)
            return Verdict(False, self.rate.amount, lease.remaining, reset_at)

    def spent(self, key: str) -> Verdict | None:
        """The refusal, if this process already knows the key's budget is spent until its window ends
        (asks no database); None otherwise."""
        now = time.time()
        with self.lock:
            lease = self.leases.get(key)
            if lease is None or now >= lease.reset_at or lease.left > 0 or lease.remaining > 0:
                return None
            return Verdict(False, self.rate.amount, 0, lease.reset_at)

    def _take(self, key: str, now: float) -> Verdict | None:
        """Admit from this process's lease, or refuse a spent key locally; None: ask the database."""
        lease = self.leases.get(key)
        if lease is None or now >= lease.reset_at:
            return None
        if lease.left > 0:
            lease.left -= 1
            return Verdict(True, self.rate.amount, lease.remaining + lease.left, lease.reset_at)
        if lease.remaining > 0:
            return None
        return Verdict(False, self.rate.amount, 0, lease.reset_at)

    def _reserve(self, key: str, now: datetime) -> dict | None:
        """Update the key's counter; a key seen for the first time is inserted, and when two first
        requests race, the loser's duplicate-key error sends it back to the update. (Not an upsert:
        SecantusDB 0.7 can apply a racing upsert and still answer no document.)"""
        counters = get_db(self.alias)[COLLECTION]
        for _ in range(3):
            counter = counters.find_one_and_update(
                {"_id": key}, self._update(now), projection=PROJECTION, return_document=ReturnDocument.AFTER
            )
            if counter is not None:
                return counter
            granted = min(self.lease, self.rate.amount)
            counter = {
                "_id": key,
                "count": granted,
                "granted": granted,
                "endsMs": int(now.timestamp() * 1000) + self.rate.seconds * 1000,
                "expireAt": now + timedelta(seconds=self.rate.seconds),
            }
            try:
                counters.insert_one(counter)
                return counter
            except DuplicateKeyError:
                continue
        return None


def init_rate_limits(app: Flask, alias: str, rate: str) -> None:
    """Every /graphql request counts against its API key's budget (or its address's, without a
    key); past it, 429 with the budget's headers, which every answer carries."""
    limiter = RateLimiter(alias, Rate.parse(rate))

    def key() -> str:
        principal = g.get("principal")
        return principal.subject if principal else f"ip:{request.remote_addr}"

    @app.before_request
    def _rate_limit():
        if request.endpoint != "graphql":
            return None
        g.rate = limiter.hit(key())
        if g.rate is not None and not g.rate.allowed:
            return graphql_error_response(
                429, "Too many requests for this API key; slow down.", "RATE_LIMITED", g.rate.headers()
            )
        return None

    @app.after_request
    def _rate_headers(response):
        if g.get("rate") is not None:
            response.headers.update(g.rate.headers())
        return response
