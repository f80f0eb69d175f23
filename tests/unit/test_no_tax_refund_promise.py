"""Since 1 January 2026 foreign patients get no value-added tax back on cosmetic procedures: nothing a partner or
a patient reads may promise it. This reads every text we ship (the seed and our wording, the docs, the README,
the reference frontend and the contracts) for any phrase that would."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
READ = [ROOT / "README.md", ROOT / "seed", ROOT / "docs", ROOT / "gateway" / "web", ROOT / "schemas"]
TEXTS = {".md", ".json", ".txt", ".js", ".html", ".css", ".graphql"}
PROMISES = re.compile(
    r"\b(vat|value[- ]added[- ]tax|tax|sales[- ]tax)[- ]?(refund|free|back|return|rebate|exempt)"
    r"|\brefund(s|ed)?\s+(of|on)\s+(the\s+)?(vat|value[- ]added[- ]tax|tax)"
    r"|\b(vat|tax)\s+(is\s+|will\s+be\s+)?(refunded|returned|reimbursed)"
    r"|부가세|부가가치세|세금\s*환급|텍스\s*리펀|택스\s*리펀|환급\s*(혜택|가능)"
    r"|退税|退稅|免税|免稅|増値税|增值税|消費税|還付",
    re.IGNORECASE,
)


def shipped_texts() -> list[Path]:
    found = []
    for place in READ:
        found += [place] if place.is_file() else [p for p in place.rglob("*") if p.suffix in TEXTS and p.is_file()]
    return found


def test_the_pattern_catches_a_promise_in_each_language():
    for promise in (
        "Get your VAT refund at the airport",
        "tax-free cosmetic surgery",
        "a refund of the value-added tax",
        "부가세 환급 가능",
        "可以退税",
        "消費税の還付",
    ):
        assert PROMISES.search(promise), promise


def test_no_text_we_ship_promises_a_tax_refund():
    files = shipped_texts()
    assert len(files) > 50  # the seed, the docs, the frontend and the contracts were read
    promises = [
        f"{path.relative_to(ROOT)}: {match.group(0)!r}"
        for path in files
        for match in PROMISES.finditer(path.read_text(encoding="utf-8", errors="replace"))
    ]
    assert promises == []
