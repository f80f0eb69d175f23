"""Patients and screening: the answers a schema cannot check, and the package's rules they trigger."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import available_timezones

from babel import Locale

from services.common.clock import seoul_today
from services.common.errors import Problem, validation_problem
from services.common.localization import Wording

from . import packages

ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6}
_ENGLISH = Locale("en")
_TIME_ZONES = available_timezones()


def _answer_errors(answers: dict, prefix: str) -> list[dict]:
    taken = answers.get("isotretinoinLastTaken")
    if taken and date.fromisoformat(taken) > seoul_today():
        return [{"field": f"{prefix}.isotretinoinLastTaken", "message": "must not be in the future"}]
    return []


def check_answers(answers: dict) -> None:
    """What a schema cannot say of screening answers: a date of the past."""
    errors = _answer_errors(answers, "answers")
    if errors:
        raise validation_problem(errors)


def check_patient(patient: dict) -> None:
    """What a schema cannot say: real codes for country, language and time zone, a date of the past."""
    errors = _answer_errors(patient, "patient")
    if patient["nationality"] not in _ENGLISH.territories:
        errors.append({"field": "patient.nationality", "message": "not an ISO 3166-1 country code"})
    if patient["preferredLanguage"] not in _ENGLISH.languages:
        errors.append({"field": "patient.preferredLanguage", "message": "not an ISO 639-1 language code"})
    if patient["homeTimeZone"] not in _TIME_ZONES:
        errors.append({"field": "patient.homeTimeZone", "message": "not an IANA time zone"})
    if errors:
        raise validation_problem(errors)


def months_later(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it has fewer days)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


def applies(rule: dict, answers: dict, package_scar_types: list[str], today: date) -> bool:
    """Whether the patient's answers (and assessment, when given) meet the rule's condition."""
    when = rule["appliesWhen"]
    if when.get("always"):
        return True
    if "fitzpatrickAtLeast" in when:
        return ROMAN[answers["fitzpatrickSkinType"]] >= when["fitzpatrickAtLeast"]
    if "isotretinoinWithinMonths" in when:
        taken = answers.get("isotretinoinLastTaken")
        if taken:  # a date says more than the yes-or-no answer
            return months_later(date.fromisoformat(taken), when["isotretinoinWithinMonths"]) > today
        return bool(answers["isotretinoinLast6Months"])
    if "activeAcne" in when:
        return answers["activeAcne"] == when["activeAcne"]
    if when.get("scarTypesOutsidePackage"):
        scar_types = answers.get("scarTypes") or []
        return bool(set(scar_types) - set(package_scar_types))
    return False


def _shown(rule: dict) -> dict:
    return {"code": rule["code"], "text": rule["text"], "source": rule.get("source")}


REASONS = Wording("screening")
ATROPHIC_OR_RAISED = {"ICE_PICK", "BOXCAR", "ROLLING", "HYPERTROPHIC"}
PIGMENT = {"PIH", "PIE"}


def recommended_because(answers: dict, lang: str) -> list[dict]:
    """When the seed's dermatologists recommend treatment, as far as the assessment tells."""
    scar_types = set(answers.get("scarTypes") or [])
    found = [
        ("SCARS_PERSIST_DESPITE_TOPICAL_CARE", bool(answers.get("topicalCareTried")) and bool(scar_types)),
        ("DEEP_ATROPHIC_OR_RAISED", bool(scar_types & ATROPHIC_OR_RAISED)),
        ("PIGMENTATION_REMAINS", bool(scar_types & PIGMENT)),
    ]
    return [
        {
            "code": code,
            "text": REASONS(code, lang),
            "source": {"kind": "seed", "quote": REASONS.sources[code], "note": None},
        }
        for code, met in found
        if met
    ]


def assess(
    rules: list[dict], answers: dict, package_scar_types: list[str], lang: str = "en", today: date | None = None
) -> dict:
    """The package's rules that the patient's answers trigger: ``warnings`` the booking carries,
    ``blocking`` ones that refuse it, ``guidance`` for every patient of these procedures, and
    why treatment is recommended."""
    today = today or seoul_today()
    triggered = [rule for rule in rules if applies(rule, answers, package_scar_types, today)]
    guidance = [rule for rule in triggered if rule["appliesWhen"].get("always")]
    answered = [rule for rule in triggered if not rule["appliesWhen"].get("always")]
    return {
        "warnings": [_shown(r) for r in answered if not r["blocking"]],
        "blocking": [_shown(r) for r in answered if r["blocking"]],
        "guidance": [_shown(r) for r in guidance],
        "recommendedBecause": recommended_because(answers, lang),
    }


def screen(rules: list[dict], patient: dict, package_scar_types: list[str]) -> list[dict]:
    """The warnings a booking carries; a blocking answer refuses the booking."""
    found = assess(rules, patient, package_scar_types)
    if found["blocking"]:
        raise Problem(
            422,
            "SCREENING_BLOCKED",
            "The patient's answers rule this package out; the clinic must assess first.",
            errors=[{"field": "patient", "message": f"{rule['code']}: {rule['text']}"} for rule in found["blocking"]],
        )
    return found["warnings"]


def dry_run(body: dict, token: str | None, lang: str) -> dict:
    """What ``screen`` would decide for the quoted package, without booking (what a frontend shows
    before it sends the booking)."""
    check_answers(body["answers"])
    package = packages.quote(body["quoteId"], token, lang)["package"]
    return assess(package["screeningRules"], body["answers"], package["scarTypes"], lang)
