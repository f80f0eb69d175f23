"""What a procedure asks before a session and what follows it: kept by the catalogue for each
procedure and by the packages service for each package, stored and served the same way."""

from __future__ import annotations

from mongoengine import BooleanField, EmbeddedDocument, IntField, StringField

from .localization import localize
from .wire import localized

PHASES = ("IMMEDIATE", "SHORT_TERM", "LONG_TERM")


class PreparationStep(EmbeddedDocument):
    code = StringField(required=True)
    instruction = localized(required=True)
    days_before = IntField(required=True, min_value=0)
    daily = BooleanField(default=False)


class RecoveryPhase(EmbeddedDocument):
    phase = StringField(required=True, choices=PHASES)
    from_day = IntField(required=True, min_value=0)
    to_day = IntField(required=True, min_value=0)
    expectation = localized(required=True)


def preparation(steps: list[dict], lang: str) -> list[dict]:
    """Stored preparation steps on the wire, in ``lang``."""
    return [
        {
            "code": step["code"],
            "instruction": localize(step["instruction"], lang),
            "daysBefore": step["days_before"],
            "daily": step.get("daily", False),
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
        }
        for phase in phases
    ]
