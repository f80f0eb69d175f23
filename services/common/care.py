"""What a procedure asks before a session and what follows it, and where each of these facts
comes from: kept by the catalogue for each procedure and by the packages service for each
package, stored and served the same way."""

from __future__ import annotations

from mongoengine import BooleanField, EmbeddedDocument, IntField, StringField

from .localization import localize
from .wire import localized

PHASES = ("IMMEDIATE", "SHORT_TERM", "LONG_TERM")
SOURCES = ("seed", "sample")


def source(fact: dict) -> dict | None:
    """Where a stored fact comes from, on the wire: the seed document (``quote`` is its sentence)
    or sample data of ours (``note`` says why); None for a fact stored before sources were kept."""
    if not fact.get("source"):
        return None
    return {"kind": fact["source"], "quote": fact.get("quote"), "note": fact.get("note")}


def stored_source(wire: dict | None) -> dict:
    """A source as the wire gives it, in the fields a stored fact keeps."""
    if not wire:
        return {}
    return {"source": wire["kind"], "quote": wire.get("quote"), "note": wire.get("note")}


def sample_fields(doc: dict) -> list[str]:
    """The fields of a record whose values are sample data: those it lists, its facts marked
    sample, and its cautions or screening rules marked sample."""
    marked = {fact["fact"] for fact in doc.get("facts", []) if fact.get("source") == "sample"}
    for field, name in (("cautions", "cautions"), ("screening_rules", "screeningRules")):
        marked |= {f"{name}.{rule['code']}" for rule in doc.get(field, []) if rule.get("source") == "sample"}
    return sorted(set(doc.get("sample_fields", [])) | marked)


def facts(entries: list[dict]) -> list[dict]:
    """A record's facts (``{fact, source, quote, note}``) on the wire."""
    return [{"fact": entry["fact"], "source": source(entry)} for entry in entries]


class Sourced(EmbeddedDocument):
    """Where a stored fact comes from, declared once for every record that keeps one: ``source`` is
    seed or sample, ``quote`` the seed's sentence, ``note`` why a sample value is what it is."""

    meta = {"abstract": True}
    source = StringField(choices=SOURCES)
    quote = StringField()
    note = StringField()


class PreparationStep(Sourced):
    code = StringField(required=True)
    instruction = localized(required=True)
    days_before = IntField(required=True, min_value=0)
    daily = BooleanField(default=False)


class RecoveryPhase(Sourced):
    phase = StringField(required=True, choices=PHASES)
    from_day = IntField(required=True, min_value=0)
    to_day = IntField(required=True, min_value=0)
    expectation = localized(required=True)


class AftercareStep(Sourced):
    code = StringField(required=True)
    instruction = localized(required=True)
    hours = IntField(required=True, min_value=1)


def preparation(steps: list[dict], lang: str) -> list[dict]:
    """Stored preparation steps on the wire, in ``lang``."""
    return [
        {
            "code": step["code"],
            "instruction": localize(step["instruction"], lang),
            "daysBefore": step["days_before"],
            "daily": step.get("daily", False),
            "source": source(step),
        }
        for step in steps
    ]


def recovery(phases: list[dict], lang: str) -> list[dict]:
    """Stored recovery phases on the wire, in ``lang``."""
    return [
        {
            "phase": phase["phase"],
            "fromDay": phase["from_day"],
            "toDay": phase["to_day"],
            "expectation": localize(phase["expectation"], lang),
            "source": source(phase),
        }
        for phase in phases
    ]


def aftercare(steps: list[dict], lang: str) -> list[dict]:
    """Stored aftercare steps on the wire, in ``lang``."""
    return [
        {
            "code": step["code"],
            "instruction": localize(step["instruction"], lang),
            "hours": step["hours"],
            "source": source(step),
        }
        for step in steps
    ]
