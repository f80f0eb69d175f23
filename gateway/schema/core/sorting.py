"""Sort inputs as the services' sort parameter."""

from __future__ import annotations

from services.common.wire import plain


def sort_param(sort: dict) -> str:
    """A {field, direction} sort input as the services' sort parameter (``-field`` for descending)."""
    return ("-" if plain(sort.get("direction")) == "DESC" else "") + plain(sort["field"])
