"""Idempotency keys for ``POST /bookings``, scoped to the caller.

The same key and body replays the first answer; the same key with another body is 422;
a key whose first request is still running is 409. A key is claimed by inserting it
(unique ``_id``), so two racing requests cannot both go ahead. A claim carries a short
lease: if its process dies, a retry after the lease takes the key over. The claim also fixes
the booking's reference, so a retry after a crash continues the same booking (its quote lock,
its seat). Keys expire after 24 hours (TTL index).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from pymongo.errors import DuplicateKeyError

from services.common.clock import utcnow
from services.common.errors import Problem, problem_response

from . import store

LEASE = timedelta(seconds=30)
KEEP = timedelta(hours=24)


def request_hash(body: dict) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def begin(key: str, digest: str, new_reference) -> dict:
    """Claim ``key`` for this request (an IN_FLIGHT claim with its ``reference``), or return the
    stored first answer to replay (state DONE)."""
    now = utcnow()
    claim = {
        "_id": key,
        "request_hash": digest,
        "state": "IN_FLIGHT",
        "reference": new_reference(),
        "lease_until": now + LEASE,
        "created_at": now,
        "expires_at": now + KEEP,
    }
    try:
        store.insert_key(claim)
        return {**claim, "resumed": False}
    except DuplicateKeyError:
        pass
    existing = store.key_by_id(key)
    if existing is None:  # expired in between
        return begin(key, digest, new_reference)
    if existing["request_hash"] != digest:
        raise Problem(422, "IDEMPOTENCY_KEY_REUSED", "This Idempotency-Key was used with another request body.")
    if existing["state"] == "DONE":
        return existing
    taken = store.take_over_key(key, now, now + LEASE)
    if taken is None:
        raise Problem(
            409,
            "IDEMPOTENCY_KEY_IN_FLIGHT",
            "A request with this Idempotency-Key is still running; retry shortly.",
            headers={"Retry-After": "1"},
        )
    return taken


@dataclass
class Attempt:
    """One request under an idempotency key: ``replay`` is the first answer (status, body) when
    there was one; otherwise the request runs as ``reference`` and records its ``answer``."""

    reference: str
    resumed: bool
    replay: tuple[int, dict] | None = None
    answer: tuple[int, dict] | None = field(default=None, init=False)

    def answered(self, status: int, body: dict) -> None:
        self.answer = (status, body)


@contextmanager
def idempotent(key: str, body: dict, new_reference: Callable[[], str]) -> Iterator[Attempt]:
    """Run a request once per ``key``: the block runs only for a new (or taken-over) claim and
    records its answer; a refusal (4xx) is kept and replayed like an answer; a failure a retry may
    not meet (5xx, an outage, a crash) frees the key for a retry, under the same reference."""
    claim = begin(key, request_hash(body), new_reference)
    if claim["state"] == "DONE":
        yield Attempt(claim["reference"], False, (claim["response_status"], claim["response_body"]))
        return
    attempt = Attempt(claim.get("reference") or new_reference(), claim.get("resumed", True))
    try:
        yield attempt
    except Problem as problem:
        if problem.status >= 500:
            abandon(key)
        else:
            finish(key, problem.status, problem_response(problem).get_json())
        raise
    except BaseException:
        abandon(key)
        raise
    if attempt.answer is None:
        abandon(key)
    else:
        finish(key, *attempt.answer)


def finish(key: str, status: int, body: dict) -> None:
    store.finish_key(key, status, body)


def abandon(key: str) -> None:
    """Free a claim whose request failed for a reason a retry may not meet (5xx, an outage): its
    lease ends now, and it keeps its reference, so the retry continues the same booking (whatever
    of it was recorded before the failure) instead of starting a second one."""
    store.lapse_key(key, utcnow())
