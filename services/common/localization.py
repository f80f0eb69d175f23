"""Localized text: stored as ``{"en": …, "ko": …, "zh": …, "ja": …}``, served in one language."""
from __future__ import annotations

from flask import request

LANGUAGES = ("en", "ko", "zh", "ja")
FALLBACK = "en"


def negotiate_language(requested: str | None = None) -> str:
    """``lang`` if given and supported, else the best ``Accept-Language`` match, else English."""
    if requested in LANGUAGES:
        return requested
    return request.accept_languages.best_match(LANGUAGES, default=FALLBACK)


def localize(text: dict | None, lang: str) -> str | None:
    if not text:
        return None
    return text.get(lang) or text.get(FALLBACK) or next(iter(text.values()), None)
