"""Who is calling: the API key in ``Authorization: Bearer`` as a principal, on every request."""

from __future__ import annotations

from flask import Flask, g, request

from . import keys
from .errors import graphql_error_response


def init_authentication(app: Flask, cache_seconds: float) -> None:
    """Every request carries ``g.principal``: the key's owner, or None without a key; an unknown
    or revoked key is refused with 401 before anything else runs."""
    api_keys = keys.KeyCache(cache_seconds)

    @app.before_request
    def _authenticate():
        header = request.headers.get("Authorization", "")
        g.principal = None
        if not header:
            return None
        scheme, _, key = header.partition(" ")
        principal = api_keys.principal_for(key.strip()) if scheme.lower() == "bearer" and key.strip() else None
        if principal is None:
            return graphql_error_response(
                401,
                "Unknown or revoked API key.",
                "UNAUTHENTICATED",
                {"WWW-Authenticate": 'Bearer realm="clinicbridge"'},
            )
        g.principal = principal
        return None
