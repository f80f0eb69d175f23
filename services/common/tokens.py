"""The service token: a short-lived HS256 JWT the gateway mints and every service verifies.

Minting and verifying live together so the format is defined exactly once. The token
carries the principal: ``role`` and, for scoped roles, the ``clinic`` or ``agency``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt

ISSUER = "clinicbridge-gateway"
AUDIENCE = "clinicbridge-services"
ALGORITHM = "HS256"
ROLES = ("AGENCY", "CLINIC_ADMIN", "PLATFORM_ADMIN")
LEEWAY_SECONDS = 5


class InvalidToken(Exception):
    """The token is missing a claim, expired, forged or otherwise unusable."""


@dataclass(frozen=True)
class Principal:
    role: str
    subject: str
    clinic: str | None = None
    agency: str | None = None

    def __post_init__(self):
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}")
        if self.role == "CLINIC_ADMIN" and not self.clinic:
            raise ValueError("a CLINIC_ADMIN principal needs a clinic")
        if self.role == "AGENCY" and not self.agency:
            raise ValueError("an AGENCY principal needs an agency")

    @property
    def is_platform_admin(self) -> bool:
        return self.role == "PLATFORM_ADMIN"

    def administers(self, clinic_slug: str) -> bool:
        return self.is_platform_admin or (self.role == "CLINIC_ADMIN" and self.clinic == clinic_slug)


def mint(principal: Principal, secret: str, ttl_seconds: int = 60, now: float | None = None) -> str:
    issued = int(now if now is not None else time.time())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": principal.subject,
        "role": principal.role,
        "iat": issued,
        "exp": issued + ttl_seconds,
    }
    if principal.clinic:
        claims["clinic"] = principal.clinic
    if principal.agency:
        claims["agency"] = principal.agency
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify(token: str, secret: str) -> Principal:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],  # never trust the token's own "alg"
            audience=AUDIENCE,
            issuer=ISSUER,
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "sub", "role", "iss", "aud"]},
        )
        return Principal(
            role=claims["role"], subject=claims["sub"], clinic=claims.get("clinic"), agency=claims.get("agency")
        )
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise InvalidToken(str(exc)) from exc
