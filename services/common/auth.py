"""Who is calling: the principal from the gateway's service token, checked per request."""

from __future__ import annotations

from flask import current_app, g, request

from .errors import Problem
from .tokens import InvalidToken, Principal, verify

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="clinicbridge"'}


def current_principal() -> Principal | None:
    """The verified caller, or ``None`` for an anonymous request. A bad token is a 401."""
    if "principal" in g:
        return g.principal
    header = request.headers.get("Authorization", "")
    principal = None
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Problem(401, "INVALID_TOKEN", "Use 'Authorization: Bearer <service token>'.", headers=_CHALLENGE)
        try:
            principal = verify(token.strip(), current_app.config["SETTINGS"].token_secret)
        except InvalidToken:
            raise Problem(
                401, "INVALID_TOKEN", "The service token is invalid or expired.", headers=_CHALLENGE
            ) from None
    g.principal = principal
    return principal


def require_principal(*roles: str) -> Principal:
    """The caller, who must be signed in and hold one of ``roles`` (any role when none given)."""
    principal = current_principal()
    if principal is None:
        raise Problem(401, "UNAUTHENTICATED", "This operation needs a service token.", headers=_CHALLENGE)
    if roles and principal.role not in roles:
        raise Problem(403, "FORBIDDEN", f"The role {principal.role} may not do this.")
    return principal


def current_token() -> str | None:
    """The caller's service token, to pass on to a service called on the caller's behalf."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None
