"""The packages service as the bookings service calls it: one function per remote call, one mapping
of its answers to our refusals.

Reads and locks go as the caller (its token), so a quote is read and locked by its owner; giving a
lock back and listing locks go as the bookings service itself (a platform token it mints), as the
sweeper and the checker have no caller.
"""

from __future__ import annotations

from collections.abc import Iterator

import requests
from flask import current_app

from services.common import codes
from services.common.clients import client_for
from services.common.errors import Problem
from services.common.failpoints import failpoint
from services.common.http import UpstreamError
from services.common.tokens import Principal, mint

SERVICE = Principal(role="PLATFORM_ADMIN", subject="bookings-service")
LOCKED_PAGE = 500


def _answer(response: requests.Response) -> dict:
    """The JSON of a 2xx; a refusal the partner can act on for a 404 (the quote) or a 409; an upstream
    failure for anything else."""
    if response.status_code in (200, 201):
        return response.json()
    if response.status_code == 404:
        raise Problem(422, "UNKNOWN_QUOTE", "No such quote.", errors=[{"field": "quoteId", "message": "unknown quote"}])
    if response.status_code == 409:
        problem = response.json() if response.headers.get("Content-Type", "").endswith("json") else {}
        code = problem.get("code") if problem.get("code") in codes.BOOKINGS else "QUOTE_UNAVAILABLE"
        raise Problem(409, code, problem.get("detail", "The quote cannot be booked."))
    raise UpstreamError("packages")  # any other answer is a fault between our services, not the partner's


def _service_token() -> str:
    return mint(SERVICE, current_app.config["SETTINGS"].token_secret)


def quote(quote_id: str, token: str | None, lang: str | None = None) -> dict:
    """The quote, with the package as quoted (its schedule, window, rules), read as the caller."""
    params = {"lang": lang} if lang else None
    return _answer(client_for("packages").request("GET", f"/quotes/{quote_id}", token=token, params=params))


def lock(quote_id: str, reference: str, token: str | None) -> dict:
    """Lock the quote for the booking ``reference`` (locking again for it answers the same), with the
    package as quoted and its texts in every language."""
    body = {"bookingReference": reference}
    locked = _answer(client_for("packages").request("POST", f"/quotes/{quote_id}/lock", token=token, json=body))
    failpoint("bookings.after_lock")
    return locked


def locked_for(quote_id: str, reference: str) -> dict:
    """The quote as the booking ``reference`` locked it, with the package as quoted and its texts (asked as
    the bookings service itself: the sweeper writes a committed booking out with it)."""
    body = {"bookingReference": reference}
    return _answer(
        client_for("packages").request("POST", f"/quotes/{quote_id}/lock", token=_service_token(), json=body)
    )


def unlock(quote_id: str, reference: str) -> None:
    """Give back the quote ``reference`` locked, if it holds it (a quote gone or held by another is fine)."""
    body = {"bookingReference": reference}
    answer = client_for("packages").request("POST", f"/quotes/{quote_id}/unlock", token=_service_token(), json=body)
    if answer.status_code not in (200, 404):
        _answer(answer)


def packages_by_id(ids: list[str], token: str | None) -> list[dict | None]:
    """The packages as the caller sees them (None for unknown ones), in one call."""
    answer = client_for("packages").request("GET", "/packages", token=token, params={"ids": ",".join(ids)})
    return _answer(answer)["items"]


def locked_quotes() -> Iterator[dict]:
    """Every quote a booking or a reservation locks, as {id, lockedBy}: the checker's."""
    after = ""
    while True:
        page = _answer(
            client_for("packages").request(
                "GET", "/quotes/locked", token=_service_token(), params={"after": after, "limit": LOCKED_PAGE}
            )
        )
        yield from page["items"]
        if not page["items"] or len(page["items"]) < LOCKED_PAGE:
            return
        after = page["items"][-1]["lockedBy"]
