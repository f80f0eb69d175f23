"""The dispatcher: every event, to every endpoint that takes it, signed, at least once.

It reads the bookings and packages event feeds from where the dispatchers left off, writes one
delivery per event and endpoint that may see it (the delivery's id is ``<endpoint>:<event>``, so
reading a page twice writes it once), then sends what is due. Any number of dispatchers may run:

- a delivery is claimed by one guarded update that moves its due time to the end of a lease, so
  no two dispatchers send it at once, and one that dies mid-send leaves it to be sent again when
  the lease runs out, with the same event id (at least once);
- a request has a deadline for the whole of it (``WEBHOOK_TIMEOUT_SECONDS``: connect, send, status,
  headers and body), counted from the claim, and the lease outlives it, so a delivery is never sent
  twice at once however slowly its endpoint answers;
- an endpoint has its own lanes (``WEBHOOK_ENDPOINT_CONCURRENCY`` requests in flight, across every
  dispatcher), taken with the claim: a delivery whose endpoint has none free waits, unsent, until
  one is given back, and the dispatcher's other lanes go to everyone else;
- a feed's position only moves forward from where a dispatcher read it.

Each request is signed as the Standard Webhooks specification says (``webhook-id``,
``webhook-timestamp``, ``webhook-signature``) with the ``standardwebhooks`` library. Anything but
a 2xx is retried, each wait twice the one before (from ``WEBHOOK_RETRY_BASE_SECONDS``, at most
``WEBHOOK_RETRY_MAX_SECONDS``, or longer if the endpoint's ``Retry-After`` asks, in seconds or as a
date, up to that same most), until ``WEBHOOK_RETRY_FOR_SECONDS`` after the event; then the delivery
failed and its endpoint is marked failing, with why. Every attempt is kept in the delivery's history.
A redirect is never followed, and the address is checked again before every request (``addresses``)
and the request goes to the address checked (``pinned``).
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from standardwebhooks import Webhook

from services.common.clock import utc_date, utcnow
from services.common.config import Settings
from services.common.http import ServiceClient, UpstreamFailure
from services.common.tokens import Principal, mint
from services.common.tracing import continued

from . import addresses, pinned, store
from .endpoints import signing_secrets
from .sealing import sealer

SOURCES = ("bookings", "packages")  # the services whose event feeds are delivered
FEED_PAGE = 100
SENDERS = 8  # requests a dispatcher has in flight at once
USER_AGENT = "ClinicBridge-Webhooks/1"
log = logging.getLogger("clinicbridge.webhooks.dispatcher")


def payload(event: dict) -> dict:
    """What a partner receives: the event as the feed gives it, without the feed's own numbering."""
    return {key: event[key] for key in ("id", "type", "at", "resource", "data")}


def recipients(event: dict, known: dict[tuple[str, str], list[dict]]) -> list[dict]:
    """The endpoints that take this event and whose owner may see it. ``known`` keeps the answers
    for a page of events: one query per owner and type, not per event."""
    scope, type_ = event["scope"], event["type"]
    wanted = [("owner", f"agency:{scope['agency']}")] if scope.get("agency") else []
    wanted += [("owner", f"clinic:{scope['clinic']}")] if scope.get("clinic") else []
    wanted += [("kind", "agency")] if scope.get("public") else []
    found: dict[str, dict] = {}
    for field, value in wanted:
        if (value, type_) not in known:
            lookup = store.endpoints_of if field == "owner" else store.endpoints_of_kind
            known[(value, type_)] = lookup(value, type_)
        found.update((endpoint["_id"], endpoint) for endpoint in known[(value, type_)])
    return list(found.values())


def delivery_for(endpoint: dict, event: dict, now: datetime, retry_for: timedelta) -> dict:
    return {
        "_id": f"{endpoint['_id']}:{event['id']}",
        "endpoint": endpoint["_id"],
        "owner": endpoint["owner"],
        "event": payload(event),
        "state": "PENDING",
        "due": now,
        "attempts": 0,
        "retry_until": now + retry_for,
        **({"traceparent": event["traceparent"]} if event.get("traceparent") else {}),
        "created_at": now,
        "created_key": f"{now.isoformat()}:{endpoint['_id']}:{event['id']}",
        "day": utc_date(now).isoformat(),
    }


def requested_wait(value: str | None, now: datetime, most: float) -> float | None:
    """The wait an endpoint's ``Retry-After`` asks for, in seconds (a number of seconds, or an HTTP
    date), at most ``most``; None when it asks for none or says nothing readable."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return most if len(value) > 12 else min(float(value), most)  # capped before any arithmetic
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    wait = (when - now).total_seconds()
    return min(wait, most) if wait > 0 else None


def backoff(attempts: int, base: float, most: float, retry_after: float | None = None) -> float:
    """Seconds to wait before attempt ``attempts + 1``: doubling from ``base`` up to ``most``, a
    little jittered so endpoints that failed together are not all retried together; longer when the
    endpoint asked (``retry_after``, seconds), but never longer than ``most`` for that."""
    delay = min(base * 2 ** max(attempts - 1, 0), most) * random.uniform(1.0, 1.25)
    return max(delay, min(retry_after or 0.0, most))


@dataclass(frozen=True)
class Claim:
    """A delivery this dispatcher claimed, the lane of its endpoint it took, and the request's deadline."""

    delivery: dict
    token: str
    lane: str
    deadline: float  # time.monotonic()


DEFERRED = object()  # a claim given back unsent: its endpoint had no free lane
# How long a delivery waiting for a lane waits if no one wakes it (its lane's holder died): waking, not
# this, is what moves a queue along, and a long wait keeps a slow endpoint's backlog from being claimed
# over and over.
WAIT_FOR_LANE = timedelta(minutes=1)


class Dispatcher:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.production = settings.is_production
        self.name = uuid.uuid4().hex[:12]
        self.retry_for = timedelta(seconds=settings.webhook_retry_for_seconds)
        # A request ends by its deadline, counted from the claim; the claim outlives it, so a live
        # dispatcher always records its attempt before anyone else may send the delivery again.
        self.deadline = settings.webhook_timeout_seconds
        self.lease = timedelta(seconds=settings.webhook_timeout_seconds * 2 + 1)
        self.lanes = settings.webhook_endpoint_concurrency
        self.sealer = sealer(settings)
        # A feed page may read ten windows of the log: give it time, and no retries (the next poll asks again).
        self.feeds = {
            source: ServiceClient(
                source, settings.service_urls[source], max(settings.http_timeout_seconds, 10), 0, caller="dispatcher"
            )
            for source in SOURCES
        }
        self.wake = threading.Event()  # set when new deliveries are written, so the senders need not wait

    # -- fanning out -------------------------------------------------------------------------

    def _token(self) -> str:
        principal = Principal(role="PLATFORM_ADMIN", subject="webhooks-dispatcher")
        return mint(principal, self.settings.token_secret, self.settings.token_ttl_seconds)

    def fan_out(self, source: str) -> bool:
        """Write the deliveries of the next page of ``source``'s feed; whether its feed goes on."""
        after = store.feed_position(source)
        response = self.feeds[source].get("/events", params={"after": after, "limit": FEED_PAGE}, token=self._token())
        if response.status_code == 410:  # left behind the log's horizon (dispatchers down for weeks): go on
            oldest = int(response.json()["oldestCursor"])
            log.warning("feed position past the horizon", extra={"source": source, "after": after, "to": oldest})
            store.advance_feed(source, after, oldest)
            return True
        answer = response.json()
        now = utcnow()
        known: dict[tuple[str, str], list[dict]] = {}
        deliveries = [
            delivery_for(endpoint, event, now, self.retry_for)
            for event in answer["items"]
            for endpoint in recipients(event, known)
            # an endpoint is told of what happens from its creation on (the feed has what came before)
            if endpoint["state"] == "ACTIVE" and endpoint["created_at"] <= datetime.fromisoformat(event["at"])
        ]
        if store.insert_deliveries(deliveries):
            self.wake.set()
        store.advance_feed(source, after, int(answer["cursor"]))
        return bool(answer["more"])

    # -- sending -----------------------------------------------------------------------------

    def send_due(self, lanes: int = SENDERS, stop: threading.Event | None = None) -> int:
        """Send the deliveries that are due, ``lanes`` requests at a time, until none is (or, with
        ``stop``, keep waiting for more, woken by the fan-out, until it is set); how many were sent.
        Claims are made one at a time in this thread, so an idle dispatcher asks the database once
        per poll, whatever the number of lanes."""
        sent = 0
        free = threading.BoundedSemaphore(lanes)

        def send(taken: Claim) -> None:
            try:
                self.attempt(taken.delivery, taken.token, taken.deadline)
            except Exception:  # recorded as a failed attempt, so its retries still run out
                log.exception("delivery failed")
                self._broken(taken.delivery, taken.token)
            finally:
                self._give_lane_back(taken.delivery["endpoint"], taken.lane, taken.token)
                free.release()

        with ThreadPoolExecutor(lanes, thread_name_prefix="webhook") as pool:
            while stop is None or not stop.is_set():
                free.acquire()
                try:
                    taken = self._claim()
                except Exception:  # the database may be down for a while
                    if stop is None:
                        free.release()
                        raise
                    log.exception("claiming failed; retrying")
                    taken = None
                if isinstance(taken, Claim):
                    pool.submit(send, taken)
                    sent += 1
                    continue
                free.release()
                if taken is DEFERRED:  # its endpoint's lanes are busy: on to the next one due
                    continue
                if stop is None:
                    break
                self.wake.wait(self.settings.webhook_poll_seconds)
                self.wake.clear()
        return sent

    def _claim(self) -> Claim | object | None:
        """The next due delivery, claimed, with a lane of its endpoint; DEFERRED when the delivery
        claimed has to wait for a lane; None when none is due."""
        now, token = utcnow(), f"{self.name}:{uuid.uuid4().hex[:8]}"
        deadline = time.monotonic() + self.deadline  # counted from before the claim: inside its lease
        claimed = store.claim_due(now, now + self.lease, token)
        if claimed is None:
            return None
        names = [f"{claimed['endpoint']}:{n}" for n in range(self.lanes)]
        for lane in names:
            if store.take_lane(lane, token, now + self.lease, now):
                return Claim(claimed, token, lane, deadline)
        # It waits to be woken when a lane is given back; at the latest (a holder that died) a while after.
        store.defer(claimed["_id"], token, now + max(self.lease, WAIT_FOR_LANE))
        later = utcnow()
        if sum(lane["until"] > later for lane in store.lanes_by_id(names)) < self.lanes:
            store.wake(claimed["_id"], later)  # a lane came free before it was marked waiting: nobody else will wake it
        return DEFERRED

    def _give_lane_back(self, endpoint_id: str, lane: str, claim: str) -> None:
        """Give the lane back, and wake the endpoint's delivery that has waited longest for one."""
        try:
            store.give_lane_back(lane, claim)
            waiting = store.deferred_of(endpoint_id)
            if waiting:
                store.wake(min(waiting, key=lambda d: d["due"])["_id"], utcnow())
                self.wake.set()
        except Exception:  # the lane's lease ends by itself, and a waiting delivery comes due with it
            log.exception("giving a lane back failed")

    def _signed_headers(self, endpoint: dict, event_id: str, body: str, now: datetime) -> dict[str, str]:
        """The Standard Webhooks headers of one send: its id, time and a signature by every secret in force."""
        signatures = " ".join(
            Webhook(secret).sign(event_id, now, body) for secret in signing_secrets(endpoint, now, self.sealer)
        )
        return {
            "webhook-id": event_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signatures,
            "content-type": "application/json",
            "user-agent": USER_AGENT,
        }

    def attempt(self, delivery: dict, claim: str, deadline: float | None = None) -> None:
        """Send ``delivery`` once, done by ``deadline`` (``time.monotonic()``), and record how it went."""
        deadline = deadline if deadline is not None else time.monotonic() + self.deadline
        endpoint = store.endpoint_by_id(delivery["endpoint"])
        now = utcnow()
        if endpoint is None:
            gone = "The endpoint was deleted."
            store.finish_attempt(
                delivery["_id"],
                claim,
                {"state": "FAILED", "last_error": gone},
                {"at": now, "status": None, "error": gone},
            )
            return
        if endpoint["state"] != "ACTIVE":
            self._failed(delivery, endpoint["_id"], claim, now, f"The endpoint is {endpoint['state'].lower()}.")
            return
        try:
            allowed = addresses.check(
                endpoint["url"],
                self.production,
                min(self.settings.webhook_dns_timeout_seconds, deadline - time.monotonic()),
            )
        except addresses.Refused as refused:
            self._failed(delivery, endpoint["_id"], claim, now, str(refused))
            return
        body = json.dumps(delivery["event"], ensure_ascii=False, separators=(",", ":"))
        event_id = delivery["event"]["id"]
        headers = self._signed_headers(endpoint, event_id, body, now)
        started = time.monotonic()
        try:
            # The change's trace goes on in this send, and to the partner in its traceparent header.
            with continued("webhook delivery", delivery.get("traceparent"), {"webhook.event": event_id}) as trace:
                # To the address just checked, whatever the name resolves to by now.
                answer = pinned.post(
                    endpoint["url"], allowed[0], body=body.encode(), headers={**headers, **trace}, deadline=deadline
                )
        except pinned.NoAnswerInTime:
            self._failed(delivery, endpoint["_id"], claim, now, "No answer in time.", took=time.monotonic() - started)
            return
        except pinned.CouldNotConnect as failure:
            self._failed(delivery, endpoint["_id"], claim, now, str(failure), took=time.monotonic() - started)
            return
        took = time.monotonic() - started
        status = answer.status
        if 200 <= status < 300:
            store.finish_attempt(
                delivery["_id"],
                claim,
                {"state": "DELIVERED", "last_status": status, "last_attempt_at": now, "delivered_at": utcnow()},
                {"at": now, "status": status, "error": None, "duration_ms": round(took * 1000)},
            )
            return
        reason = f"Answered {status}: redirects are not followed." if 300 <= status < 400 else f"Answered {status}."
        asked = requested_wait(answer.retry_after, utcnow(), self.settings.webhook_retry_max_seconds)
        self._failed(delivery, endpoint["_id"], claim, now, reason, status, asked, took)

    def _failed(
        self,
        delivery: dict,
        endpoint_id: str,
        claim: str,
        now: datetime,
        reason: str,
        status: int | None = None,
        asked: float | None = None,
        took: float | None = None,
    ) -> None:
        """Retry later, or, once the retry period is over, give up and mark the endpoint failing."""
        settings = self.settings
        wait = backoff(
            delivery["attempts"], settings.webhook_retry_base_seconds, settings.webhook_retry_max_seconds, asked
        )
        next_at = now + timedelta(seconds=wait)
        attempt = {"last_status": status, "last_error": reason, "last_attempt_at": now}
        entry = {"at": now, "status": status, "error": reason}
        if took is not None:
            entry["duration_ms"] = round(took * 1000)
        if next_at <= delivery["retry_until"]:
            store.finish_attempt(delivery["_id"], claim, {**attempt, "state": "PENDING", "due": next_at}, entry)
            return
        if store.finish_attempt(delivery["_id"], claim, {**attempt, "state": "FAILED"}, entry):
            store.mark_failing(endpoint_id, {"at": now, "reason": reason, "delivery": delivery["_id"]}, now)
            log.warning("webhook endpoint failing", extra={"endpoint": endpoint_id, "reason": reason})

    def _broken(self, delivery: dict, claim: str) -> None:
        """Record an attempt that failed on our side, so it is retried with backoff and its retries run out."""
        try:
            self._failed(delivery, delivery["endpoint"], claim, utcnow(), "The delivery could not be sent.")
        except Exception:  # the claim comes due again when its lease ends
            log.exception("recording a failed delivery failed; it will be sent again")

    # -- the loop ----------------------------------------------------------------------------

    def fan_out_all(self) -> bool:
        """Fan out the next page of every feed; whether any goes on."""
        more = False
        for source in SOURCES:
            try:
                more = self.fan_out(source) or more
            except UpstreamFailure:
                log.warning("event feed unavailable", extra={"source": source})
        return more

    def run_once(self) -> None:
        """Fan out what the feeds have, then send what is due."""
        while self.fan_out_all():
            pass
        self.send_due()

    def run(self, every: float, stop: threading.Event | None = None) -> None:
        """Fan out and send until ``stop`` is set: the feeds are read in this thread, and SENDERS
        lanes send beside it, so a slow endpoint never holds the next events back."""
        stop = stop or threading.Event()
        sender = threading.Thread(target=self.send_due, kwargs={"stop": stop}, name="webhook-senders", daemon=True)
        sender.start()
        while not stop.is_set():
            try:
                busy = self.fan_out_all()
            except Exception:  # the database may be down for a while; keep going
                log.exception("fan-out failed; retrying")
                busy = False
            if not busy:
                stop.wait(every)
        self.wake.set()
        sender.join()
