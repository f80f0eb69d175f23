"""Who is calling: the API key in ``Authorization: Bearer`` as a principal, on every request.

A key this process does not know yet is looked up in the database; unknown keys are counted per
client address (``GATEWAY_BAD_KEY_LIMIT``), and an address past its budget is refused before any
lookup until its window ends, so guessing keys costs the database nothing more.
"""

from __future__ import annotations

from flask import Flask, g, request

from . import keys
from .errors import graphql_error_response
from .ratelimit import Rate, RateLimiter


def init_authentication(app: Flask, cache_seconds: float, alias: str, bad_key_limit: str) -> None:
    """Every request carries ``g.principal``: the key's owner, or None without a key; an unknown
    or revoked key is refused with 401 before anything else runs, and too many of them from one
    address with 429."""
    api_keys = keys.KeyCache(cache_seconds)
    guesses = RateLimiter(alias, Rate.parse(bad_key_limit))

    def too_many(verdict) -> object:
        return graphql_error_response(
            429,
            "Too many unknown API keys from your address; wait, then send a valid key.",
            "RATE_LIMITED",
            verdict.headers(),
        )

    @app.before_request
    def _authenticate():
        header = request.headers.get("Authorization", "")
        g.principal = None
        if not header:
            return None
        scheme, _, key = header.partition(" ")
        key = key.strip()
        principal = None
        if scheme.lower() == "bearer" and key:
            known, principal = api_keys.cached(key)
            if not known:
                address = f"unknown-keys:ip:{request.remote_addr}"  # apart from the per-address request budget
                refused = guesses.spent(address)
                if refused is not None:
                    return too_many(refused)
                principal = api_keys.look_up(key)
                if principal is None:
                    verdict = guesses.hit(address)
                    if verdict is not None and not verdict.allowed:
                        return too_many(verdict)
        if principal is None:
            return graphql_error_response(
                401,
                "Unknown or revoked API key.",
                "UNAUTHENTICATED",
                {"WWW-Authenticate": 'Bearer realm="clinicbridge"'},
            )
        g.principal = principal
        return None
