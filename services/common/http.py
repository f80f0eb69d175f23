"""The one outbound HTTP client: every call between services, and from the gateway, goes here.

One pooled session per target service and process; a timeout on every call; retries
only for idempotent methods (urllib3's ``Retry`` leaves POST out and honours
``Retry-After``); the request id and the caller's token passed on. A target that cannot
be reached or answers 5xx becomes :class:`UpstreamUnavailable`, which names the service,
never its address. With ``cache_entries``, responses the service marks cacheable
(``Cache-Control: public, max-age=N``, ``Vary``) are kept in a bounded in-process cache and
reused while fresh (CacheControl).

:class:`AsyncServiceClient` makes the same calls by the same rules, awaited on the caller's event
loop (aiohttp), for the gateway: its DataLoaders run on one, and a thread per call cost it more than
the call. Every call is counted and timed (``services.common.metrics``).
"""

from __future__ import annotations

import asyncio
import atexit
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp
import requests
from cachecontrol import CacheControlAdapter
from cachecontrol.cache import BaseCache
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError
from urllib3.util.retry import Retry

from .errors import Problem, Refusal
from .metrics import observe_upstream
from .observability import REQUEST_ID_HEADER, current_request_id
from .tracing import passed_on

log = logging.getLogger("clinicbridge.http")


class UpstreamFailure(Refusal):
    """A call to another service got no answer to use; the subclasses say whether it was down.
    ``sent``: the request may have reached the service (a timeout or a lost connection after it was
    sent, or a 5xx), so a write may have been done."""

    def __init__(self, service: str, sent: bool = False):
        super().__init__(f"the {service} service failed")
        self.service = service
        self.sent = sent


class UpstreamUnavailable(UpstreamFailure):
    """The service could not be reached, or said it is unavailable (502, 503, 504)."""

    def problem(self) -> Problem:
        return Problem(
            503,
            "UPSTREAM_UNAVAILABLE",
            f"The {self.service} service is unavailable; try again shortly.",
            headers={"Retry-After": "2"},
        )


class UpstreamError(UpstreamFailure):
    """The service was up and failed on this request (500): not an outage, and retrying will not help."""

    def problem(self) -> Problem:
        return Problem(502, "UPSTREAM_ERROR", f"The {self.service} service could not answer this request.")


class BoundedCache(BaseCache):
    """CacheControl's store: the ``size`` most recently used responses of one process."""

    def __init__(self, size: int):
        self.size = size
        self.data: OrderedDict[str, bytes] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self.lock:
            value = self.data.get(key)
            if value is not None:
                self.data.move_to_end(key)
            return value

    def set(self, key: str, value: bytes, expires: int | datetime | None = None) -> None:
        with self.lock:
            self.data[key] = value
            self.data.move_to_end(key)
            while len(self.data) > self.size:
                self.data.popitem(last=False)

    def delete(self, key: str) -> None:
        with self.lock:
            self.data.pop(key, None)

    def clear(self) -> None:
        with self.lock:
            self.data.clear()


def reached(error: requests.RequestException) -> bool:
    """Whether a request that failed may have reached its service: only a connection that was never
    made (refused, unresolvable, timed out connecting) says it did not."""
    if isinstance(error, requests.ConnectTimeout):
        return False
    if isinstance(error, requests.ConnectionError):
        reason = error.args[0] if error.args else None
        if isinstance(reason, MaxRetryError):
            reason = reason.reason
        return not isinstance(reason, NewConnectionError | ConnectTimeoutError)
    return True


class ServiceClient:
    def __init__(
        self,
        service: str,
        base_url: str,
        timeout: float = 3.0,
        retries: int = 2,
        cache_entries: int = 0,
        caller: str = "",
    ):
        self.service = service
        self.caller = caller
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        # Calls between our own services: no proxy settings or .netrc credentials from the environment
        # (reading them cost every call a file lookup).
        self.session.trust_env = False
        retry = Retry(
            total=retries,
            connect=retries,
            read=retries,
            backoff_factor=0.05,
            status_forcelist=(502, 503, 504),
            allowed_methods=Retry.DEFAULT_ALLOWED_METHODS,
            raise_on_status=False,
        )
        self.cache = BoundedCache(cache_entries) if cache_entries > 0 else None
        if self.cache is not None:
            adapter: HTTPAdapter = CacheControlAdapter(
                cache=self.cache, cache_etags=False, max_retries=retry, pool_connections=4, pool_maxsize=32
            )
        else:
            adapter = HTTPAdapter(max_retries=retry, pool_connections=4, pool_maxsize=32)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def request(
        self, method: str, path: str, *, token: str | None = None, headers: dict | None = None, **kwargs: Any
    ) -> requests.Response:
        """The response for any status below 500; 502-504 and transport failures raise UpstreamUnavailable,
        any other 5xx UpstreamError."""
        sent = {**passed_on(), **(headers or {})}
        request_id = current_request_id()
        if request_id:
            sent[REQUEST_ID_HEADER] = request_id
        if token:
            sent["Authorization"] = f"Bearer {token}"
        started = time.perf_counter()
        try:
            response = self.session.request(method, self.base_url + path, headers=sent, timeout=self.timeout, **kwargs)
        except requests.RequestException as error:
            observe_upstream(self.caller, self.service, None, time.perf_counter() - started)
            log.warning("%s %s %s failed: %s", self.service, method, path, type(error).__name__)
            raise UpstreamUnavailable(self.service, sent=reached(error)) from None
        observe_upstream(self.caller, self.service, response.status_code, time.perf_counter() - started)
        if response.status_code >= 500:
            log.warning("%s %s %s answered %s", self.service, method, path, response.status_code)
            failure = UpstreamUnavailable if response.status_code in (502, 503, 504) else UpstreamError
            raise failure(self.service, sent=True)
        return response

    def forget(self) -> None:
        """Drop every cached response (after a write through this process, so it reads its own writes)."""
        if self.cache is not None:
            self.cache.clear()

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)


RETRY_STATUSES = (502, 503, 504)
IDEMPOTENT = frozenset(Retry.DEFAULT_ALLOWED_METHODS)  # as urllib3 retries them: never POST or PATCH
BACKOFF_SECONDS = 0.05  # before the first retry; doubled before each next one
KEEPALIVE_SECONDS = 2.0  # the gateway reuses an idle connection this long; the services keep it 5 s


@dataclass(frozen=True)
class Answer:
    """A service's answer, read whole: what the gateway reads of it, as a ``requests`` response offers it."""

    status_code: int
    headers: Mapping[str, str]  # case-insensitive
    content: bytes

    def json(self) -> Any:
        return json.loads(self.content)

    @property
    def text(self) -> str:
        return self.content.decode()


def _retry_after(answer: Answer, most: float) -> float | None:
    """A 503's ``Retry-After`` in seconds (digits only), at most ``most``."""
    value = answer.headers.get("Retry-After", "")
    return min(float(value), most) if value.isascii() and value.isdigit() else None


class PublicReads:
    """The answers a service marks ``Cache-Control: public, max-age=N``, kept for N seconds from their
    ``Date`` (as CacheControl counts it), per URL and the request's values of the headers its ``Vary``
    names; the ``size`` most recently used, in one process."""

    def __init__(self, size: int):
        self.size = size
        self.entries: OrderedDict[tuple, tuple[float, Answer, frozenset[str]]] = OrderedDict()
        self.vary: dict[str, tuple[str, ...]] = {}
        self.lock = threading.Lock()

    def _key(self, url: str, headers: dict[str, str], names: tuple[str, ...]) -> tuple:
        lowered = {name.lower(): value for name, value in headers.items()}
        return (url, *(lowered.get(name) for name in names))

    def get(self, url: str, headers: dict[str, str]) -> Answer | None:
        with self.lock:
            names = self.vary.get(url)
            if names is None:
                return None
            key = self._key(url, headers, names)
            entry = self.entries.get(key)
            if entry is None:
                return None
            if entry[0] <= time.time():
                del self.entries[key]
                return None
            self.entries.move_to_end(key)
            return entry[1]

    def keep(self, url: str, headers: dict[str, str], answer: Answer, holds: Iterable[str] = ()) -> None:
        """Keep ``answer`` if its service marked it public; ``holds``: the resources it shows (``package:<id>``,
        ``clinic:<slug>``, ``rates``...), so a write to one of them forgets it."""
        if answer.status_code != 200:
            return
        directives = {
            part.strip().split("=", 1)[0].lower(): part.strip().partition("=")[2]
            for part in answer.headers.get("Cache-Control", "").split(",")
        }
        if "public" not in directives or {"no-store", "no-cache", "private"} & directives.keys():
            return
        try:
            max_age = int(directives.get("max-age", ""))
            dated = parsedate_to_datetime(answer.headers["Date"]).timestamp() if "Date" in answer.headers else None
        except (TypeError, ValueError):
            return
        expires = (dated if dated is not None else time.time()) + max_age
        names = tuple(name.strip().lower() for name in answer.headers.get("Vary", "").split(",") if name.strip())
        with self.lock:
            self.vary[url] = names
            self.entries[self._key(url, headers, names)] = (expires, answer, frozenset(holds))
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()

    def forget(self, resources: Iterable[str]) -> None:
        """Drop the answers that show any of ``resources``; every other answer stays."""
        changed = set(resources)
        with self.lock:
            for key in [key for key, entry in self.entries.items() if entry[2] & changed]:
                del self.entries[key]


_SESSIONS: dict[asyncio.AbstractEventLoop, aiohttp.ClientSession] = {}


def _session() -> aiohttp.ClientSession:
    """The running event loop's pool of connections, shared by every service's client (a worker thread keeps
    its own loop), made on first use and closed when the process exits."""
    loop = asyncio.get_running_loop()
    session = _SESSIONS.get(loop)
    if session is None or session.closed:
        session = _SESSIONS[loop] = aiohttp.ClientSession(
            # A connection idle longer than this is not reused: well inside the services' own keep-alive
            # (gunicorn_config.py), so the gateway never sends on one a service has closed meanwhile (its loop
            # runs only during requests, so it would not have seen the close).
            connector=aiohttp.TCPConnector(
                limit=128, limit_per_host=32, ttl_dns_cache=60, keepalive_timeout=KEEPALIVE_SECONDS
            ),
            cookie_jar=aiohttp.DummyCookieJar(),  # calls between our services carry no cookies
            trust_env=False,
        )
    return session


@atexit.register
def _close_sessions() -> None:
    for loop, session in list(_SESSIONS.items()):
        if not session.closed and not loop.is_closed() and not loop.is_running():
            loop.run_until_complete(session.close())


class AsyncServiceClient:
    """Calls to one service awaited on the caller's event loop (aiohttp), by :class:`ServiceClient`'s rules:
    the request id and the token passed on, each attempt bounded as a whole by ``timeout``, calls that never
    reached the service retried, idempotent ones also after a lost answer or a 502-504 (``Retry-After``
    honoured up to ``timeout``), at most ``retries`` times, on the running loop's pool of connections. With
    ``cache_entries``, public reads are reused while fresh (:class:`PublicReads`)."""

    def __init__(
        self,
        service: str,
        base_url: str,
        timeout: float = 3.0,
        retries: int = 2,
        cache_entries: int = 0,
        caller: str = "gateway",
    ):
        self.service = service
        self.caller = caller
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retries = retries
        self.cache = PublicReads(cache_entries) if cache_entries > 0 else None
        # Connecting gets half the deadline, so a service that cannot be reached is told apart from one that
        # took the request and never answered (a write's outcome is then unknown).
        self.deadline = aiohttp.ClientTimeout(total=timeout, sock_connect=timeout / 2)

    async def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        headers: dict | None = None,
        params: dict | None = None,
        json: Any = None,
        holds: Iterable[str] = (),
    ) -> Answer:
        """The answer for any status below 500; 502-504 and transport failures raise UpstreamUnavailable,
        any other 5xx UpstreamError (``sent`` when the service may have acted on it). ``holds``: the
        resources a cacheable answer shows (:meth:`PublicReads.keep`)."""
        sent = {**passed_on(), **(headers or {})}
        if token:
            sent["Authorization"] = f"Bearer {token}"
        url = self.base_url + path
        query = {name: str(value) for name, value in params.items() if value is not None} if params else None
        cached = self.cache is not None and method == "GET"
        key = f"{url}?{sorted(query.items())}" if query else url
        if cached and self.cache is not None:
            hit = self.cache.get(key, sent)
            if hit is not None:
                return hit
        answer = await self._exchange(method, path, url, sent, query, json)
        if cached and self.cache is not None:
            self.cache.keep(key, sent, answer, holds)
        return answer

    async def _exchange(self, method: str, path: str, url: str, headers: dict, query: dict | None, body: Any) -> Answer:
        session = _session()
        started = time.perf_counter()
        status: int | None = None
        try:
            for attempt in range(self.retries + 1):
                last = attempt == self.retries
                wait = BACKOFF_SECONDS * 2**attempt
                try:
                    async with session.request(
                        method, url, headers=headers, params=query, json=body, timeout=self.deadline
                    ) as response:
                        answer = Answer(response.status, response.headers, await response.read())
                except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as error:
                    if last:  # never reached the service: safe to say so, and to retry any call
                        log.warning("%s %s %s failed: %s", self.service, method, path, type(error).__name__)
                        raise UpstreamUnavailable(self.service, sent=False) from None
                except (aiohttp.ClientError, TimeoutError) as error:
                    if last or method not in IDEMPOTENT:
                        log.warning("%s %s %s failed: %s", self.service, method, path, type(error).__name__)
                        raise UpstreamUnavailable(self.service, sent=True) from None
                else:
                    status = answer.status_code
                    if status not in RETRY_STATUSES or method not in IDEMPOTENT or last:
                        break
                    wait = _retry_after(answer, self.timeout) or wait
                await asyncio.sleep(wait)
        finally:
            observe_upstream(self.caller, self.service, status, time.perf_counter() - started)
        if status is not None and status >= 500:
            log.warning("%s %s %s answered %s", self.service, method, path, status)
            raise (UpstreamUnavailable if status in RETRY_STATUSES else UpstreamError)(self.service, sent=True)
        return answer

    def forget(self, resources: Iterable[str] | None = None) -> None:
        """Drop the cached answers that show any of ``resources`` (after a write through this process, so it
        reads its own writes), or every one when none are named."""
        if self.cache is None:
            return
        if resources is None:
            self.cache.clear()
        else:
            self.cache.forget(resources)
