"""Every rule and fact of the seed data says where it comes from: the seed document, with its
sentence quoted (and the sentence must be there), or sample data of ours, with why."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

SEED = Path(__file__).resolve().parents[2] / "seed"
DOCUMENT = re.sub(r"\s+", " ", (SEED / "seed-document.txt").read_text(encoding="utf-8"))


def read(name: str):
    return json.loads((SEED / name).read_text(encoding="utf-8"))


def check(where: str, fact: dict) -> None:
    assert fact.get("source") in ("seed", "sample"), f"{where} says nothing of where it comes from"
    if fact["source"] == "seed":
        quote = re.sub(r"\s+", " ", fact.get("quote") or "")
        assert quote and quote in DOCUMENT, f"{where} quotes what the seed document does not say: {quote!r}"
    else:
        assert fact.get("note"), f"{where} is sample data and does not say why"


def facts_of(record: dict) -> dict[str, dict]:
    return {fact["fact"]: fact for fact in record.get("facts", [])}


@pytest.mark.parametrize("procedure", read("catalogue/procedures.json"), ids=lambda p: p["code"])
def test_every_rule_and_fact_of_a_procedure_has_a_source(procedure):
    code = procedure["code"]
    facts = facts_of(procedure)
    for fact in facts.values():
        check(f"{code}.{fact['fact']}", fact)
    for scar_type in procedure["indications"]:
        assert f"indications.{scar_type}" in facts, f"{code} is indicated for {scar_type} without a source"
    for name, field in (
        ("sessionIntervalDays", "session_interval_days"),
        ("downtimeDays", "downtime_days"),
        ("typicalSessions", "typical_sessions"),
    ):
        if procedure.get(field):
            assert name in facts, f"{code}.{name} has no source"
    if procedure.get("for_active_acne"):
        assert "forActiveAcne" in facts
    for kind in ("cautions", "preparation", "recovery", "aftercare"):
        for item in procedure.get(kind, []):
            check(f"{code}.{kind}.{item.get('code') or item.get('phase')}", item)


def test_every_clinics_district_and_every_packages_price_and_interval_have_a_source():
    for entry in read("catalogue/clinics.json"):
        check(f"{entry['clinic']['slug']}.district", facts_of(entry)["district"])
    for entry in read("packages/packages.json"):
        facts = facts_of(entry)
        for name in ("priceKrw", "sessionIntervalDays"):
            check(f"{entry['key']}.{name}", facts[name])
        for include in entry["package"]["includes"]:
            check(f"{entry['key']}.includes.{include}", facts[f"includes.{include}"])


def test_the_reasons_to_treat_quote_the_seed():
    for code, quote in read("texts/screening.json")["sources"].items():
        check(code, {"source": "seed", "quote": quote})


def test_the_check_refuses_a_misquote_and_an_unsourced_fact():
    with pytest.raises(AssertionError):
        check("made up", {"source": "seed", "quote": "Isotretinoin must stop six months before lasers."})
    with pytest.raises(AssertionError):
        check("silent", {"fact": "priceKrw"})
