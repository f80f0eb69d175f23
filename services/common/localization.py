"""Localized text: stored as ``{"en": …, "ko": …, "zh": …, "ja": …, …}``, served in one language."""
from __future__ import annotations

import re

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


def localize(text: dict | None, lang: str) -> str | None:
    """The text in ``lang``, else in English, else in whatever language it has."""
    if not text:
        return None
    return text.get(lang) or text.get(FALLBACK) or next(iter(text.values()), None)
