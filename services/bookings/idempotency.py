"""Idempotency keys for the writes a partner may retry (bookings, holds, moves), scoped to the caller.

The same key and body replays the first answer; the same key with another body is 422; a key whose
first request is still running is 409. A key is claimed by inserting it (unique ``_id``), so two
racing requests cannot both go ahead. A claim carries a lease token and a short lease, renewed by a
background thread while its request works: only a request whose process died or froze loses it, and
a retry after the lease takes the key over under a new token. Renewing, finishing and abandoning a
key are guarded by the token, so a request that lost its key changes nothing of it. The claim also
fixes the booking's reference, so a retry continues the same reservation (its claim in the seat
ledger, its seats, its quote). Keys expire after 24 hours (TTL index).
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import timedelta

from pymongo.errors import DuplicateKeyError, PyMongoError

from services.common.clock import utcnow
from services.common.errors import Problem, problem_response

from . import store

LEASE = timedelta(seconds=30)
KEEP = timedelta(hours=24)
RETRYABLE = ("IDEMPOTENCY_KEY_IN_FLIGHT", "CONCURRENT_UPDATE")  # refusals a retry may not meet: never replayed
log = logging.getLogger("clinicbridge.bookings.idempotency")


def request_hash(body: dict) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def in_flight() -> Problem:
    return Problem(
        409,
        "IDEMPOTENCY_KEY_IN_FLIGHT",
        "A request with this Idempotency-Key is still running; retry shortly.",
        headers={"Retry-After": "1"},
    )


def begin(key: str, digest: str, new_reference: Callable[[], str]) -> dict:
    """Claim ``key`` for this request (an IN_FLIGHT claim with its ``reference`` and ``lease``), or
    return the stored first answer to replay (state DONE)."""
    now = utcnow()
    lease = secrets.token_hex(8)
    claim = {
        "_id": key,
        "request_hash": digest,
        "state": "IN_FLIGHT",
        "lease": lease,
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
    taken = store.take_over_key(key, now, now + LEASE, lease)
    if taken is None:
        raise in_flight()
    return taken


@dataclass
class Attempt:
    """One request under an idempotency key: ``replay`` is the first answer (status, body) when there
    was one; otherwise the request runs as ``reference`` and records its ``answer``. ``key`` names the
    request across its retries (the claim in the seat ledger records it)."""

    key: str
    reference: str
    resumed: bool
    replay: tuple[int, dict] | None = None
    lease: str = ""
    answer: tuple[int, dict] | None = field(default=None, init=False)

    def answered(self, status: int, body: dict) -> None:
        self.answer = (status, body)

    def rekey(self, reference: str) -> None:
        """Carry on under a new reference (the one the key fixed was released for good)."""
        if not store.rekey(self.key, self.lease, reference):
            raise in_flight()
        self.reference = reference


class _Renewal:
    """Renews a key's lease every third of it while its request works, until stopped or the key is lost."""

    def __init__(self, key: str, lease: str):
        self.key, self.lease = key, lease
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="idempotency-lease", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stopped.wait(LEASE.total_seconds() / 3):
            try:
                if not store.renew_key(self.key, self.lease, utcnow() + LEASE):
                    return  # taken over (this request was frozen past its lease) or finished
            except PyMongoError:
                log.warning("could not renew an idempotency lease", extra={"key": self.key})

    def stop(self) -> None:
        """Stop renewing, and wait for a renewal under way, so none lands after the key is finished or lapsed."""
        self.stopped.set()
        self.thread.join()


@contextmanager
def idempotent(key: str, body: dict, new_reference: Callable[[], str]) -> Iterator[Attempt]:
    """Run a request once per ``key``: the block runs only for a new (or taken-over) claim and records
    its answer; a refusal (4xx) is kept and replayed like an answer, except one a retry may not meet
    (``RETRYABLE``); a failure (5xx, an outage, a crash) frees the key for a retry, under the same
    reference."""
    claim = begin(key, request_hash(body), new_reference)
    if claim["state"] == "DONE":
        yield Attempt(key, claim["reference"], False, (claim["response_status"], claim["response_body"]))
        return
    lease = claim["lease"]
    attempt = Attempt(key, claim["reference"], claim.get("resumed", True), lease=lease)
    renewal = _Renewal(key, lease)
    try:
        yield attempt
    except Problem as problem:
        renewal.stop()
        with suppress(PyMongoError):  # else the lease runs out by itself
            if problem.status >= 500 or problem.code in RETRYABLE:
                store.lapse_key(key, lease, utcnow())
            else:
                store.finish_key(key, lease, problem.status, problem_response(problem).get_json())
        raise
    except BaseException:
        renewal.stop()
        with suppress(PyMongoError):
            store.lapse_key(key, lease, utcnow())
        raise
    renewal.stop()
    if attempt.answer is None:
        store.lapse_key(key, lease, utcnow())
    else:
        store.finish_key(key, lease, *attempt.answer)
