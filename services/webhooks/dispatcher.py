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
before every request (``addresses``).
"""

from __future__ import annotations

import json
import logging
import random
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import requests
from standardwebhooks import Webhook

from services.common.clock import utcnow
from services.common.config import Settings
from services.common.http import ServiceClient, UpstreamFailure
from services.common.tokens import Principal, mint

from . import addresses, store
from .endpoints import signing_secrets

SOURCES = ("bookings", "packages")  # the services whose event feeds are delivered
FEED_PAGE = 100
SENDERS = 8  # requests a dispatcher has in flight at once
USER_AGENT = "ClinicBridge-Webhooks/1"
log = logging.getLogger("clinicbridge.webhooks.dispatcher")


def payload(event: dict) -> dict:
    """What a partner receives: the event as the feed gives it, without the feed's own numbering."""
    return {key: event[key] for key in ("id", "type", "at", "resource", "data")}


def recipients(event: dict) -> list[dict]:
    """The endpoints that take this event and whose owner may see it."""
    scope, type_ = event["scope"], event["type"]
    found: list[dict] = []
    if scope.get("agency"):
        found += store.endpoints_of(f"agency:{scope['agency']}", type_)
    if scope.get("clinic"):
        found += store.endpoints_of(f"clinic:{scope['clinic']}", type_)
    if scope.get("public"):
        found += store.endpoints_of_kind("agency", type_)
    return list({endpoint["_id"]: endpoint for endpoint in found}.values())


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
        "day": now.date().isoformat(),
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
        self.feeds = {
            source: ServiceClient(source, settings.service_urls[source], settings.http_timeout_seconds)
            for source in SOURCES
        }
        self.http = requests.Session()
        self.http.trust_env = False  # no proxy or .netrc from the environment reaches a partner's URL

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
        deliveries = [
            delivery_for(endpoint, event, now, self.retry_for)
            for event in answer["items"]
            for endpoint in recipients(event)
            # an endpoint is told of what happens from its creation on (the feed has what came before)
            if endpoint["state"] == "ACTIVE" and endpoint["created_at"] <= datetime.fromisoformat(event["at"])
        ]
        store.insert_deliveries(deliveries)
        store.advance_feed(source, after, int(answer["cursor"]))
        return bool(answer["more"])

    # -- sending -----------------------------------------------------------------------------

    def send_due(self, most: int = 200) -> int:
        """Send deliveries that are due, up to ``most``, SENDERS at a time; how many were sent."""
        sent = [0] * SENDERS

        def drain(lane: int) -> None:
            while sum(sent) < most:
                now = utcnow()
                claimed = store.claim_due(now, now + self.lease, f"{self.name}:{lane}")
                if claimed is None:
                    return
                self.attempt(claimed, f"{self.name}:{lane}")
                sent[lane] += 1

        with ThreadPoolExecutor(SENDERS, thread_name_prefix="webhook") as pool:
            for failure in [pool.submit(drain, lane) for lane in range(SENDERS)]:
                failure.result()
        return sum(sent)

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
            addresses.check(endpoint["url"], self.production)
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
            with self.http.post(
                endpoint["url"],
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

    def run_once(self) -> bool:
        """Fan out and send once; whether there is more to do at once."""
        more = False
        for source in SOURCES:
            try:
                more = self.fan_out(source) or more
            except UpstreamFailure:
                log.warning("event feed unavailable", extra={"source": source})
        return self.send_due() > 0 or more

    def run(self, every: float) -> None:
        while True:
            try:
                busy = self.run_once()
            except Exception:  # the database may be down for a while; keep going
                log.exception("dispatch failed; retrying")
                busy = False
            if not busy:
                time.sleep(every)
