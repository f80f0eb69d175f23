"""Where a webhook may be sent: never to the platform's own network (SSRF).

In production a URL must be ``https`` and its host must resolve only to public addresses;
development also allows ``http`` and loopback, so a partner (or a test) can run a receiver on
the same machine. Private, link-local, multicast and reserved addresses are refused always, and so
is a URL carrying a user name or password. An IPv6 address that carries an IPv4 address inside it
(IPv4-mapped and -translated, IPv4-compatible, NAT64, 6to4, Teredo) is judged by the IPv4 address
inside, which must be public. The check runs when an endpoint is created or changed, and again
before each delivery, since a name may resolve elsewhere later; a delivery never follows a redirect.

Resolving a name has a deadline: ``getaddrinfo`` has none, so it runs on a small pool of threads
and a name whose resolver does not answer in time is refused.
"""

from __future__ import annotations

import ipaddress
import socket
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as Late
from urllib.parse import urlsplit

MAX_URL_LENGTH = 2048
# A resolver that never answers keeps its thread until the system's own resolver gives up; a bounded
# pool keeps that from growing, and a lookup waiting for a thread is bounded by the same deadline.
_RESOLVERS = ThreadPoolExecutor(max_workers=16, thread_name_prefix="resolve")

NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # the well-known prefix: the IPv4 address is the low 32 bits
LOCAL_NAT64 = ipaddress.IPv6Network("64:ff9b:1::/48")  # local use: where the IPv4 address sits is the network's own
COMPATIBLE = ipaddress.IPv6Network("::/96")  # IPv4-compatible (deprecated): the low 32 bits
TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")  # IPv4-translated (SIIT): the low 32 bits

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class Refused(Exception):
    """The URL may not be sent to; the message says why, in words a partner can act on."""


def embedded(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address] | None:
    """The IPv4 addresses an IPv6 address carries (None when it carries none); an empty list when it
    carries one that cannot be told (local-use NAT64), which is never allowed."""
    if address.is_loopback or address.is_unspecified:  # ::1 and ::, though inside ::/96, are IPv6's own
        return None
    if address.ipv4_mapped:
        return [address.ipv4_mapped]
    if address.sixtofour:
        return [address.sixtofour]
    if address.teredo:
        return list(address.teredo)  # the relay server, and the client (de-obfuscated)
    if address in LOCAL_NAT64:
        return []
    if address in NAT64 or address in COMPATIBLE or address in TRANSLATED:
        return [ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)]
    return None


def _allowed(address: Address, allow_loopback: bool) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        inside = embedded(address)
        if inside is not None:
            # Loopback is allowed only spelled plainly: an embedded one is never what a partner means.
            return bool(inside) and all(_allowed(ipv4, allow_loopback=False) for ipv4 in inside)
    if address.is_loopback:
        return allow_loopback
    return address.is_global and not address.is_multicast


def _resolve(host: str, port: int, timeout: float) -> list:
    lookup = _RESOLVERS.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    try:
        return lookup.result(timeout=timeout)
    except Late:
        lookup.cancel()
        raise Refused(f"The host {host} did not resolve in time.") from None
    except (socket.gaierror, UnicodeError):
        raise Refused(f"The host {host} does not resolve.") from None


def check(url: str, production: bool, timeout: float = 2.0) -> list[str]:
    """The addresses ``url`` may be sent to (all that its host resolves to, within ``timeout`` seconds),
    or :class:`Refused`."""
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
    found = _resolve(parts.hostname, port or (443 if parts.scheme == "https" else 80), timeout)
    addresses = sorted({str(info[4][0]) for info in found})
    for raw in addresses:
        address = ipaddress.ip_address(raw.split("%")[0])
        if not _allowed(address, allow_loopback=not production):
            raise Refused(f"The host {parts.hostname} resolves to an address that is not public.")
    return addresses
