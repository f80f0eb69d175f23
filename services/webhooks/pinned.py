"""One delivery request: to the very address that was checked, and over by a deadline, whatever the peer does.

The connection goes to the address checked, not to whatever the host resolves to a moment later
(DNS rebinding), while the ``Host`` header and, for https, the TLS server name and certificate check
keep the URL's own host name. Redirects are never followed, and no proxy from the environment is used.

The deadline covers the whole request: connecting, the TLS handshake, sending, the status line and
headers, and the body, which is read up to ``MAX_ANSWER_BYTES`` and no further. A socket timeout only
bounds each read, so a peer sending one byte every few seconds would hold it for ever; here a watchdog
shuts the connection down when the deadline comes, whatever the request is waiting for.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from requests.certs import where as ca_bundle

MAX_ANSWER_BYTES = 64 * 1024  # of an answer's body; the rest is never read
_TLS = ssl.create_default_context(cafile=ca_bundle())


class NoAnswerInTime(Exception):
    """The deadline came before the answer's status and headers did."""


class CouldNotConnect(Exception):
    """No connection, no trust in its certificate, or an answer that is not HTTP; the message says which."""


@dataclass(frozen=True)
class Answer:
    status: int
    retry_after: str | None


def _connect(address: str, port: int, left) -> socket.socket:
    """A connection to ``address`` within the time ``left()`` gives."""
    try:
        return socket.create_connection((address, port), timeout=left())
    except TimeoutError:
        raise NoAnswerInTime() from None
    except OSError:
        raise CouldNotConnect("Could not connect.") from None


def _drain(response: http.client.HTTPResponse) -> None:
    """Read the answer's body up to MAX_ANSWER_BYTES, so the connection ends cleanly; the status is what counts."""
    read = 0
    with contextlib.suppress(OSError, http.client.HTTPException):
        while read < MAX_ANSWER_BYTES:
            chunk = response.read(min(16 * 1024, MAX_ANSWER_BYTES - read))
            if not chunk:
                break
            read += len(chunk)


def post(url: str, address: str, *, body: bytes, headers: dict[str, str], deadline: float) -> Answer:
    """POST ``body`` to ``url``, connecting to ``address`` (one the URL's host resolved to and that was
    allowed); done by ``deadline`` (``time.monotonic()``), or :class:`NoAnswerInTime`."""
    parts = urlsplit(url)
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")

    def left() -> float:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise NoAnswerInTime()
        return remaining

    raw = _connect(address, port, left)
    cut = threading.Event()
    handle = raw.dup()  # shutting this down ends any read or write on the connection, TLS or not

    def shut() -> None:
        cut.set()
        with contextlib.suppress(OSError):
            handle.shutdown(socket.SHUT_RDWR)

    watchdog = threading.Timer(max(0.0, deadline - time.monotonic()), shut)
    watchdog.daemon = True
    watchdog.start()
    connection = http.client.HTTPConnection(parts.hostname or address, port)
    try:
        try:
            sock: socket.socket = _TLS.wrap_socket(raw, server_hostname=parts.hostname) if https else raw
        except ssl.SSLCertVerificationError:
            raise CouldNotConnect("The TLS certificate did not verify.") from None
        connection.sock = sock
        connection.request("POST", target, body=body, headers={**headers, "Host": parts.netloc})
        response = connection.getresponse()
        if cut.is_set():  # the headers were cut short: a drip ended by the deadline reads as an empty line
            raise NoAnswerInTime()
        answer = Answer(response.status, response.getheader("Retry-After"))
        _drain(response)
        return answer
    except (NoAnswerInTime, CouldNotConnect):
        raise
    except (OSError, http.client.HTTPException, ValueError) as error:
        if cut.is_set():
            raise NoAnswerInTime() from None
        if isinstance(error, OSError):  # refused, reset, or closed without an answer
            raise CouldNotConnect("The connection failed.") from None
        raise CouldNotConnect("The answer was not HTTP.") from None
    finally:
        watchdog.cancel()
        connection.close()
        raw.close()
        handle.close()
