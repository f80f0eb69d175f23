"""Between the wire (camelCase JSON) and mongoengine documents (snake_case fields)."""

from __future__ import annotations

from typing import Any

from mongoengine import DictField, Document, StringField


def snake(name: str) -> str:
    """camelCase as snake_case."""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def camel(name: str) -> str:
    """snake_case as camelCase."""
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def plain(value: Any) -> Any:
    """An enum member as its value; anything else as it is."""
    return getattr(value, "value", value)


def localized(**kwargs: Any) -> DictField:
    """A model field holding a text per language (``{"en": …, "ko": …}``)."""
    return DictField(field=StringField(max_length=4000), **kwargs)


def is_localized(value: dict) -> bool:
    """A localized text: every key a two-letter language code."""
    return bool(value) and all(len(key) == 2 and key.islower() for key in value)


def _convert(value):
    if isinstance(value, dict) and not is_localized(value):
        return {snake(k): _convert(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_convert(v) for v in value]
    return value


def model_fields(document: type[Document], body: dict) -> dict:
    """A validated request body as keyword arguments for ``document``: keys in snake_case,
    nested objects as the embedded documents its fields expect."""
    return {snake(key): document._fields[snake(key)].to_python(_convert(value)) for key, value in body.items()}
