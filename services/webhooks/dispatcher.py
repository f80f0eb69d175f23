"""The dispatcher: every event, to every endpoint that takes it, signed, at least once.

It reads the bookings and packages event feeds from where the dispatchers left off, writes one
delivery per event and endpoint that may see it (the delivery's id is ``<endpoint>:<event>``, so
reading a page twice writes it once), then sends what is due. Any number of dispatchers may run:

- a delivery is claimed by one guarded update that moves its due time to the end of a lease, so
  no two dispatchers send it at once, and one that dies mid-send leaves it to be sent again when
  the lease runs out, with the same event id (at least once);
- a feed's position only moves forward from where a dispatcher read it.

Each request is signed as the Standard Webhooks specification says (``webhook-id``,
``webhook-timestamp``, ``webhook-signature``) with the ``standardwebhooks`` library. Anything but
a 2xx is retried, each wait twice the one before (from ``WEBHOOK_RETRY_BASE_SECONDS``, at most
``WEBHOOK_RETRY_MAX_SECONDS``, or longer if the endpoint's ``Retry-After`` asks), until
``WEBHOOK_RETRY_FOR_SECONDS`` after the event; then the delivery failed and its endpoint is
marked failing, with why. A redirect is never followed, and the address is checked again
before every request (``addresses``) and the request goes to the address checked (``pinned``).
"""

from __future__ import annotations

import json
import logging
import random
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import requests
from standardwebhooks import Webhook

from services.common.clock import utc_date, utcnow
from services.common.config import Settings
from services.common.http import ServiceClient, UpstreamFailure
from services.common.tokens import Principal, mint

from . import addresses, pinned, store
from .endpoints import signing_secrets

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
        "created_at": now,
        "created_key": f"{now.isoformat()}:{endpoint['_id']}:{event['id']}",
        "day": utc_date(now).isoformat(),
    }


def backoff(attempts: int, base: float, most: float, retry_after: float | None = None) -> float:
    """Seconds to wait before attempt ``attempts + 1``: doubling from ``base`` up to ``most``,
    a little jittered so endpoints that failed together are not all retried together."""
    delay = min(base * 2 ** max(attempts - 1, 0), most) * random.uniform(1.0, 1.25)
    return max(delay, retry_after or 0.0)


class Dispatcher:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.production = settings.is_production
        self.name = uuid.uuid4().hex[:12]
        self.retry_for = timedelta(seconds=settings.webhook_retry_for_seconds)
        # A claim outlives any request it covers: a live dispatcher always records its attempt first.
        self.lease = timedelta(seconds=settings.webhook_timeout_seconds * 2 + 1)
        # A feed page may relay events first: give it time, and never ask twice at once (the next poll asks again).
        self.feeds = {
            source: ServiceClient(source, settings.service_urls[source], max(settings.http_timeout_seconds, 10), 0)
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
        answer = (
            self.feeds[source].get("/events", params={"after": after, "limit": FEED_PAGE}, token=self._token()).json()
        )
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

        def send(delivery: dict, claim: str) -> None:
            try:
                self.attempt(delivery, claim)
            except Exception:  # the claim comes due again when its lease ends
                log.exception("delivery failed; it will be sent again")
            finally:
                free.release()

        with ThreadPoolExecutor(lanes, thread_name_prefix="webhook") as pool:
            while stop is None or not stop.is_set():
                free.acquire()
                now, claim = utcnow(), f"{self.name}:{uuid.uuid4().hex[:8]}"
                try:
                    claimed = store.claim_due(now, now + self.lease, claim)
                except Exception:  # the database may be down for a while
                    free.release()
                    if stop is None:
                        raise
                    log.exception("claiming failed; retrying")
                    claimed = None
                if claimed is not None:
                    pool.submit(send, claimed, claim)
                    sent += 1
                    continue
                free.release()
                if stop is None:
                    break
                self.wake.wait(self.settings.webhook_poll_seconds)
                self.wake.clear()
        return sent

    def attempt(self, delivery: dict, claim: str) -> None:
        endpoint = store.endpoint_by_id(delivery["endpoint"])
        now = utcnow()
        if endpoint is None:
            store.finish_attempt(delivery["_id"], claim, {"state": "FAILED", "last_error": "The endpoint was deleted."})
            return
        if endpoint["state"] != "ACTIVE":
            self._failed(delivery, endpoint, claim, now, f"The endpoint is {endpoint['state'].lower()}.", None, None)
            return
        try:
            allowed = addresses.check(endpoint["url"], self.production)
        except addresses.Refused as refused:
            self._failed(delivery, endpoint, claim, now, str(refused), None, None)
            return
        body = json.dumps(delivery["event"], ensure_ascii=False, separators=(",", ":"))
        event_id = delivery["event"]["id"]
        signatures = " ".join(Webhook(secret).sign(event_id, now, body) for secret in signing_secrets(endpoint, now))
        headers = {
            "webhook-id": event_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signatures,
            "content-type": "application/json",
            "user-agent": USER_AGENT,
        }
        try:
            with pinned.post(
                endpoint["url"],
                allowed[0],  # the address just checked, whatever the name resolves to by now
                data=body.encode(),
                headers=headers,
                timeout=self.settings.webhook_timeout_seconds,
                allow_redirects=False,
                stream=True,  # the answer's body is never read
            ) as response:
                status, retry_after = response.status_code, response.headers.get("Retry-After")
        except requests.Timeout:
            self._failed(delivery, endpoint, claim, now, "No answer in time.", None, None)
            return
        except requests.RequestException:
            self._failed(delivery, endpoint, claim, now, "Could not connect.", None, None)
            return
        if 200 <= status < 300:
            store.finish_attempt(
                delivery["_id"],
                claim,
                {"state": "DELIVERED", "last_status": status, "last_attempt_at": now, "delivered_at": utcnow()},
            )
            return
        reason = f"Answered {status}: redirects are not followed." if 300 <= status < 400 else f"Answered {status}."
        wait = float(retry_after) if retry_after and retry_after.isdigit() else None
        self._failed(delivery, endpoint, claim, now, reason, status, wait)

    def _failed(
        self,
        delivery: dict,
        endpoint: dict,
        claim: str,
        now: datetime,
        reason: str,
        status: int | None,
        retry_after: float | None,
    ) -> None:
        """Retry later, or, once the retry period is over, give up and mark the endpoint failing."""
        settings = self.settings
        wait = backoff(
            delivery["attempts"], settings.webhook_retry_base_seconds, settings.webhook_retry_max_seconds, retry_after
        )
        next_at = now + timedelta(seconds=wait)
        attempt = {"last_status": status, "last_error": reason, "last_attempt_at": now}
        if next_at <= delivery["retry_until"]:
            store.finish_attempt(delivery["_id"], claim, {**attempt, "state": "PENDING", "due": next_at})
            return
        if store.finish_attempt(delivery["_id"], claim, {**attempt, "state": "FAILED"}):
            store.mark_failing(endpoint["_id"], {"at": now, "reason": reason, "delivery": delivery["_id"]}, now)
            log.warning("webhook endpoint failing", extra={"endpoint": endpoint["_id"], "reason": reason})

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
