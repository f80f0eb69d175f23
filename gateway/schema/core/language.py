"""Which language a field answers in."""

from __future__ import annotations

from typing import Any

import graphene

from .wire import ctx


def lang_arg() -> graphene.String:
    return graphene.String(
        description="Language of localized fields (ISO 639-1); default: Accept-Language, then English."
    )


def language(info: Any, lang: str | None = None, root: Any = None) -> str:
    """A field's language: its own ``lang`` argument, else that of the object it belongs to (a
    service answer says which language it is in), else the request's (Accept-Language)."""
    if lang:
        return lang
    if isinstance(root, dict) and root.get("lang"):
        return root["lang"]
    return ctx(info).lang


class LocalizedTextInput(graphene.InputObjectType):
    """Text per language; English is required and is the fallback."""

    en = graphene.String(required=True, description="English.")
    ko = graphene.String(description="Korean.")
    zh = graphene.String(description="Chinese.")
    ja = graphene.String(description="Japanese.")
