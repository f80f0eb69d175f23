"""A request sent to the very address that was checked, not to whatever the host resolves to a
moment later (DNS rebinding): the connection goes to the address, while the ``Host`` header and,
for https, the TLS server name and certificate check keep the URL's own host name."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter


class PinnedAdapter(HTTPAdapter):
    def __init__(self, hostname: str):
        self.hostname = hostname
        super().__init__(max_retries=0)

    def init_poolmanager(self, connections, maxsize, block=False, **pool_kwargs):
        # urllib3 drops these two for plain http pools.
        pool_kwargs.update(server_hostname=self.hostname, assert_hostname=self.hostname)
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)


def post(url: str, address: str, *, headers: dict, **kwargs) -> requests.Response:
    """POST to ``url``, connecting to ``address`` (one the URL's host resolved to and that was allowed)."""
    parts = urlsplit(url)
    host = f"[{address}]" if ":" in address else address
    target = urlunsplit(parts._replace(netloc=host + (f":{parts.port}" if parts.port else "")))
    session = requests.Session()
    session.trust_env = False  # no proxy or .netrc from the environment reaches a partner's URL
    session.mount(f"{parts.scheme}://", PinnedAdapter(parts.hostname or ""))
    try:
        return session.post(target, headers={**headers, "Host": parts.netloc}, **kwargs)
    finally:
        session.close()
