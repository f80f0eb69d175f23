"""Localized text: fallback, our own wording in every interface language; search terms of names."""

from __future__ import annotations

import string

import pytest

from services.catalogue.models import query_terms, search_terms
from services.common.localization import LANGUAGES, Wording, localize


def test_a_text_falls_back_to_english_then_to_any_language():
    assert localize({"en": "Hello", "ko": "안녕"}, "ko") == "안녕"
    assert localize({"en": "Hello", "ko": "안녕"}, "fr") == "Hello"
    assert localize({"ja": "こんにちは"}, "fr") == "こんにちは"
    assert localize("Hello", "ko") == "Hello" and localize(None, "en") is None


@pytest.mark.parametrize("name", ["care-plan", "comparison"])
def test_our_wording_has_every_interface_language_with_the_same_blanks(name):
    wording = Wording(name)
    for code, texts in wording.texts.items():
        assert set(LANGUAGES) <= set(texts), code
        blanks = {lang: {f for _, f, _, _ in string.Formatter().parse(text) if f} for lang, text in texts.items()}
        assert len({frozenset(b) for b in blanks.values()}) == 1, (code, blanks)


def test_names_are_found_by_word_prefixes_and_by_inner_parts_of_korean_words():
    terms = set(search_terms("Oracle Skin Clinic", "오라클피부과"))
    assert {"ora", "oracle", "skin", "cl"} <= terms and "racle" not in terms
    assert {"오라클", "피부과", "피부"} <= terms
    assert query_terms("ORACLE  skin!") == ["oracle", "skin"]


def test_search_terms_are_bounded_per_document_and_the_names_words_come_first():
    from services.catalogue.models import MAX_SEARCH_TERMS

    huge = "".join(chr(0xAC00 + (n * 37) % 11172) for n in range(4000))  # one 4,000-syllable word
    terms = set(search_terms("Oracle Skin Clinic", "오라클피부과", *[huge] * 16))
    assert len(terms) <= MAX_SEARCH_TERMS
    assert {"ora", "oracle", "skin", "오라클", "피부과", huge[:20]} <= terms
