"""Patients and screening: the answers a schema cannot check, and the package's rules they trigger."""

from __future__ import annotations

from zoneinfo import available_timezones

from babel import Locale

from services.common.clients import client_for
from services.common.errors import Problem, validation_problem
from services.common.http import UpstreamUnavailable

ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6}
_ENGLISH = Locale("en")
_TIME_ZONES = available_timezones()


def check_patient(patient: dict) -> None:
    """What a schema cannot say: real codes for country, language and time zone."""
    errors = []
    if patient["nationality"] not in _ENGLISH.territories:
        errors.append({"field": "patient.nationality", "message": "not an ISO 3166-1 country code"})
    if patient["preferredLanguage"] not in _ENGLISH.languages:
        errors.append({"field": "patient.preferredLanguage", "message": "not an ISO 639-1 language code"})
    if patient["homeTimeZone"] not in _TIME_ZONES:
        errors.append({"field": "patient.homeTimeZone", "message": "not an IANA time zone"})
    if errors:
        raise validation_problem(errors)


def applies(rule: dict, patient: dict) -> bool:
    when = rule["appliesWhen"]
    if "fitzpatrickAtLeast" in when:
        return ROMAN[patient["fitzpatrickSkinType"]] >= when["fitzpatrickAtLeast"]
    if "isotretinoinWithinMonths" in when:
        return patient["isotretinoinLast6Months"]
    if "activeAcne" in when:
        return patient["activeAcne"] == when["activeAcne"]
    return False


def assess(rules: list[dict], patient: dict) -> dict:
    """The package's rules that the patient's answers trigger: ``warnings`` the booking carries and
    ``blocking`` ones that refuse it."""
    triggered = [rule for rule in rules if applies(rule, patient)]
    return {
        "warnings": [{"code": r["code"], "text": r["text"]} for r in triggered if not r["blocking"]],
        "blocking": [{"code": r["code"], "text": r["text"]} for r in triggered if r["blocking"]],
    }


def screen(rules: list[dict], patient: dict) -> list[dict]:
    """The warnings a booking carries; a blocking answer refuses the booking."""
    found = assess(rules, patient)
    if found["blocking"]:
        raise Problem(
            422,
            "SCREENING_BLOCKED",
            "The patient's answers rule this package out; the clinic must assess first.",
            errors=[{"field": "patient", "message": f"{rule['code']}: {rule['text']}"} for rule in found["blocking"]],
        )
    return found["warnings"]


def dry_run(body: dict, token: str | None) -> dict:
    """What ``screen`` would decide for the quoted package, without booking (what a frontend shows
    before it sends the booking)."""
    answer = client_for("packages").request("GET", f"/quotes/{body['quoteId']}", token=token)
    if answer.status_code == 404:
        raise Problem(422, "UNKNOWN_QUOTE", "No such quote.", errors=[{"field": "quoteId", "message": "unknown quote"}])
    if answer.status_code != 200:
        raise UpstreamUnavailable("packages")
    return assess(answer.json()["package"]["screeningRules"], body["answers"])
