"""The one outbound HTTP client: every call between services, and from the gateway, goes here.

One pooled session per target service and process; a timeout on every call; retries
only for idempotent methods (urllib3's ``Retry`` leaves POST out and honours
``Retry-After``); the request id and the caller's token passed on. A target that cannot
be reached or answers 5xx becomes :class:`UpstreamUnavailable`, which names the service,
never its address. With ``cache_entries``, responses the service marks cacheable
(``Cache-Control: public, max-age=N``, ``Vary``) are kept in a bounded in-process cache and
reused while fresh (CacheControl); the gateway uses this for public reads.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from datetime import datetime
from typing import Any

import requests
from cachecontrol import CacheControlAdapter
from cachecontrol.cache import BaseCache
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError
from urllib3.util.retry import Retry

from .errors import Problem, Refusal
from .observability import REQUEST_ID_HEADER, current_request_id

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
    def __init__(self, service: str, base_url: str, timeout: float = 3.0, retries: int = 2, cache_entries: int = 0):
        self.service = service
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
        sent = dict(headers or {})
        request_id = current_request_id()
        if request_id:
            sent[REQUEST_ID_HEADER] = request_id
        if token:
            sent["Authorization"] = f"Bearer {token}"
        try:
            response = self.session.request(method, self.base_url + path, headers=sent, timeout=self.timeout, **kwargs)
        except requests.RequestException as error:
            log.warning("%s %s %s failed: %s", self.service, method, path, type(error).__name__)
            raise UpstreamUnavailable(self.service, sent=reached(error)) from None
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
