"""Localized text: stored as ``{"en": …, "ko": …, "zh": …, "ja": …, …}``, served in one language."""

from __future__ import annotations

import json
import re
from pathlib import Path

from flask import request

FALLBACK = "en"
# Languages of the interface, chosen from Accept-Language. Any other ISO 639-1 code may still
# be asked for with ``lang``, and a text written in it is served in it.
LANGUAGES = ("en", "ko", "zh", "ja")
_ISO_639_1 = re.compile(r"^[a-z]{2}$")


def negotiate_language(requested: str | None = None) -> str:
    """``lang`` if given, else the best ``Accept-Language`` match, else English."""
    if requested and _ISO_639_1.match(requested):
        return requested
    return request.accept_languages.best_match(LANGUAGES, default=FALLBACK)


def localize(text: dict | str | None, lang: str) -> str | None:
    """The text in ``lang``, else in English, else in whatever language it has. A plain string
    (a text stored before it was kept per language) is English."""
    if not text:
        return None
    if isinstance(text, str):
        return text
    return text.get(lang) or text.get(FALLBACK) or next(iter(text.values()), None)


def per_language(text: dict | str | None) -> dict:
    """A stored text as ``{lang: text}`` (a plain string is English)."""
    if isinstance(text, str):
        return {FALLBACK: text}
    return dict(text or {})


class Wording:
    """Wording of our own, kept per language in ``seed/texts/<name>.json`` as ``{code: {lang: template}}``;
    a template's ``{names}`` are filled in from keyword arguments."""

    FOLDER = Path(__file__).resolve().parents[2] / "seed" / "texts"

    def __init__(self, name: str):
        document = json.loads((self.FOLDER / f"{name}.json").read_text(encoding="utf-8"))
        self.texts: dict[str, dict[str, str]] = document["texts"]
        self.sources: dict[str, str] = document.get("sources", {})  # the seed sentence a text follows, by code

    def __call__(self, code: str, lang: str, **values) -> str:
        return (localize(self.texts[code], lang) or "").format_map(values)

    def join(self, items, lang: str) -> str:
        """``items`` as one list in ``lang`` (``, `` in English, ``、`` in Chinese and Japanese)."""
        return self("LIST", lang).join(items)
