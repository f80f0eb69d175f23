"""Calls to the services, one small client per service, awaited from resolvers and loaders.

The kit's asynchronous client runs every call on the request's event loop (no thread hop), with its
timeout, retries of idempotent calls and cache of public reads; the request id and the caller's
service token are passed on explicitly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError

from services.common.http import AsyncServiceClient, UpstreamFailure, UpstreamUnavailable

SERVICES = ("catalogue", "packages", "bookings", "webhooks")


def unavailable(service: str) -> GraphQLError:
    """A service is down: the affected fields are null with this error, naming the service only."""
    return GraphQLError(
        f"The {service} service is unavailable.", extensions={"code": "UPSTREAM_UNAVAILABLE", "service": service}
    )


def outcome_unknown(service: str) -> GraphQLError:
    """A write with an idempotency key reached a service that did not answer it: it may or may not have
    been done, and the same call with the same key is safe and says which."""
    return GraphQLError(
        f"The {service} service did not answer in time, so whether this was done is unknown. Send the same "
        "mutation with the same idempotencyKey: that is safe, and its answer tells the outcome.",
        extensions={"code": "OUTCOME_UNKNOWN", "service": service, "retry": "same idempotencyKey"},
    )


def failed(service: str) -> GraphQLError:
    """A service was up and failed on this request (it answered 500): not an outage."""
    return GraphQLError(
        f"The {service} service could not answer this request.",
        extensions={"code": "UPSTREAM_ERROR", "service": service},
    )


class ServiceFailure(GraphQLError):
    """A service refused: its problem's code, status and field errors, for payloads or top-level errors."""

    def __init__(self, status: int, problem: dict):
        self.status = status
        self.problem = problem
        self.code = problem.get("code", "UPSTREAM_ERROR")
        self.field_errors = problem.get("errors") or []
        detail = problem.get("detail", "The request was refused.")
        if status == 401:  # the gateway passes a caller's identity on whenever it has one: this caller sent no API key
            self.code, detail = "UNAUTHENTICATED", "Send your API key (Authorization: Bearer <key>) to do this."
        super().__init__(
            detail,
            extensions={
                "code": self.code,
                "status": status,
                **({"errors": self.field_errors} if self.field_errors else {}),
            },
        )


@dataclass
class Upstream:
    clients: dict[str, AsyncServiceClient]

    @classmethod
    def from_urls(cls, urls: dict[str, str], timeout: float, cache_entries: int = 0) -> Upstream:
        """One client per service; with ``cache_entries``, each keeps the public reads its service
        marks cacheable (anonymous calls only) for as long as the service says."""
        return cls(
            {name: AsyncServiceClient(name, urls[name], timeout, cache_entries=cache_entries) for name in SERVICES}
        )

    def forget(self, resources: Iterable[str]) -> None:
        """Drop the cached reads that show any of ``resources`` (what a mutation touched): this process
        reads its own writes, and keeps every read the mutation cannot have changed."""
        touched = set(resources)
        if touched:
            for client in self.clients.values():
                client.forget(touched)

    async def call(
        self,
        service: str,
        method: str,
        path: str,
        *,
        token: str | None = None,
        request_id: str | None = None,
        params: dict | None = None,
        json: Any = None,
        accept: str | None = None,
        headers: dict | None = None,
        with_headers: bool = False,
        holds: Iterable[str] = (),
    ) -> Any:
        """The JSON answer of a 2xx (with the response's headers when ``with_headers``); a ServiceFailure for
        a refusal; UPSTREAM_UNAVAILABLE when the service is down, UPSTREAM_ERROR when it failed, and
        OUTCOME_UNKNOWN when a write with an idempotency key reached it but got no answer."""
        headers = dict(headers or {})
        if request_id:
            headers["X-Request-ID"] = request_id
        if accept:
            headers["Accept"] = accept
        try:
            response = await self.clients[service].request(
                method, path, token=token, headers=headers, params=params, json=json, holds=holds
            )
        except UpstreamFailure as failure:
            if failure.sent and "Idempotency-Key" in headers:
                raise outcome_unknown(service) from None
            raise (unavailable if isinstance(failure, UpstreamUnavailable) else failed)(service) from None
        if response.status_code >= 400:
            try:
                problem = response.json()
            except ValueError:
                problem = {}
            raise ServiceFailure(response.status_code, problem)
        if response.status_code == 204:
            answer = None
        else:
            answer = (
                response.content
                if accept == "application/pdf"
                else (response.text if accept in ("text/calendar", "text/csv") else response.json())
            )
        return (answer, response.headers) if with_headers else answer
