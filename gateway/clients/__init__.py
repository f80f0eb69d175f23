"""The services as the gateway calls them: one module per service, one function per remote call.

Resolvers and loaders call these functions and never build a path or a query string themselves.
Every function takes the request's context first (the caller's token, request id, language).
Every id put into a path goes through ``segment``: a caller's id is one path segment, whatever it
holds (``X/../CB-Y`` would otherwise reach booking CB-Y, ``?`` start a query).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote


def segment(value: str | int) -> str:
    """``value`` as one path segment: every character but letters, digits and ``-._~`` escaped."""
    return quote(str(value), safe="")


def page(limit: int, *, sort: str | None = None, cursor: str | None = None, total: Any = "true") -> dict[str, Any]:
    """The paging the services' lists take: ``limit``, and ``sort``, ``cursor`` and ``total`` when
    asked (``total`` is ``true`` in a query string, ``True`` in a JSON body; None: no total)."""
    return {
        "limit": limit,
        **({"total": total} if total is not None else {}),
        **({"sort": sort} if sort else {}),
        **({"cursor": cursor} if cursor else {}),
    }
