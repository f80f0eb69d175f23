"""Signing secrets sealed at rest with a key from the environment (``WEBHOOK_SECRET_KEYS``).

A secret is stored only as a Fernet token (``cryptography``: AES-128-CBC with an HMAC-SHA256, the
key's own authenticated format), so reading the database, or a backup of it, gives no one a secret
to sign with. The keys are a list, newest first: the newest seals, every one opens, so a key is
rotated by putting a new one first, sealing every secret again (``python -m services.webhooks
reseal``), then dropping the old one (docs/operations.md).
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from services.common.config import Settings


class Unreadable(Exception):
    """A sealed secret that none of the keys opens (it was sealed with a key since dropped)."""


class Sealer:
    def __init__(self, keys: tuple[str, ...]):
        self._fernet = MultiFernet([Fernet(key) for key in keys])

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise Unreadable("no key opens this secret") from None

    def reseal(self, sealed: str) -> str:
        """The same secret sealed with the newest key."""
        try:
            return self._fernet.rotate(sealed.encode()).decode()
        except InvalidToken:
            raise Unreadable("no key opens this secret") from None


@lru_cache(maxsize=4)
def _sealer(keys: tuple[str, ...]) -> Sealer:
    return Sealer(keys)


def sealer(settings: Settings) -> Sealer:
    """The sealer of these settings' keys (one per set of keys and process)."""
    return _sealer(settings.webhook_secret_keys)
