"""Where a webhook may be sent: never to the platform's own network (SSRF).

In production a URL must be ``https`` and its host must resolve only to public addresses;
development also allows ``http`` and loopback, so a partner (or a test) can run a receiver on
the same machine. Private, link-local, multicast and reserved addresses are refused always. The
check runs when an endpoint is created or changed, and again before each delivery, since a name
may resolve elsewhere later; a delivery never follows a redirect.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

MAX_URL_LENGTH = 2048


class Refused(Exception):
    """The URL may not be sent to; the message says why, in words a partner can act on."""


def _allowed(address: ipaddress.IPv4Address | ipaddress.IPv6Address, allow_loopback: bool) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address.is_loopback:
        return allow_loopback
    return address.is_global and not address.is_multicast


def check(url: str, production: bool) -> list[str]:
    """The addresses ``url`` may be sent to (all that its host resolves to), or :class:`Refused`."""
    if len(url) > MAX_URL_LENGTH:
        raise Refused(f"The URL is longer than {MAX_URL_LENGTH} characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise Refused("The URL is not valid.") from None
    allowed_schemes = ("https",) if production else ("https", "http")
    if parts.scheme not in allowed_schemes:
        raise Refused("The URL must use https." if production else "The URL must use http or https.")
    if not parts.hostname:
        raise Refused("The URL has no host.")
    if parts.username or parts.password:
        raise Refused("The URL may not carry a user name or password.")
    try:
        found = socket.getaddrinfo(
            parts.hostname, port or (443 if parts.scheme == "https" else 80), type=socket.SOCK_STREAM
        )
    except (socket.gaierror, UnicodeError):
        raise Refused(f"The host {parts.hostname} does not resolve.") from None
    addresses = sorted({str(info[4][0]) for info in found})
    for raw in addresses:
        address = ipaddress.ip_address(raw.split("%")[0])
        if not _allowed(address, allow_loopback=not production):
            raise Refused(f"The host {parts.hostname} resolves to an address that is not public.")
    return addresses
