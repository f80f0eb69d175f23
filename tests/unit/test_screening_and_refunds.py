"""Screening answers against a package's rules, and the refund a cancellation gives."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.bookings import screening, transitions
from services.common import care
from services.common.errors import Problem
from services.common.localization import localize
from services.packages.knowledge import knowledge_from_procedures, screening_rules
from services.packages.seed import catalogue_knowledge
from tests.support import PATIENT, patient

TODAY = date(2027, 3, 1)


def package_rules(procedures: tuple[str, ...], blocking: tuple[str, ...] = ()) -> list[dict]:
    """The screening rules of a package of the seed's procedures, as a quote shows them."""
    known = knowledge_from_procedures([catalogue_knowledge()[code] for code in procedures])
    return [
        {
            "code": rule["code"],
            "text": localize(rule["text"], "en"),
            "blocking": rule["blocking"],
            "appliesWhen": rule["applies_when"],
            "source": care.source(rule),
        }
        for rule in screening_rules(known["cautions"], list(blocking))
    ]


RESURFACING = package_rules(("FRACTIONAL_CO2_LASER", "TCA_CROSS"), blocking=("RECENT_ISOTRETINOIN",))
NEEDLING = package_rules(("MICRONEEDLING",))
ATROPHIC_PACKAGE = ["ICE_PICK", "BOXCAR"]


def codes(found: dict, kind: str) -> list[str]:
    return [rule["code"] for rule in found[kind]]


@pytest.mark.parametrize(
    "answers,warnings,blocking",
    [
        ({}, [], []),
        ({"fitzpatrickSkinType": "V"}, ["DARKER_SKIN_PIH"], []),  # darker skin with resurfacing
        ({"activeAcne": True}, ["ACTIVE_ACNE"], []),
        ({"scarTypes": ["ROLLING", "PIH"]}, ["SCAR_TYPE_MISMATCH"], []),  # the package treats ice-pick and boxcar
        ({"scarTypes": ["ICE_PICK"]}, [], []),
        ({"isotretinoinLastTaken": "2026-12-01"}, [], ["RECENT_ISOTRETINOIN"]),  # 3 months ago: a date says more
        ({"isotretinoinLast6Months": True, "isotretinoinLastTaken": "2026-08-31"}, [], []),  # 6 months ago today
        (
            {"fitzpatrickSkinType": "IV", "activeAcne": True, "scarTypes": ["HYPERTROPHIC"]},
            ["ACTIVE_ACNE", "DARKER_SKIN_PIH", "SCAR_TYPE_MISMATCH"],
            [],
        ),
    ],
)
def test_each_of_the_seeds_risk_factors_and_their_combinations(answers, warnings, blocking):
    found = screening.assess(RESURFACING, patient(**answers), ATROPHIC_PACKAGE, today=TODAY)
    assert (codes(found, "warnings"), codes(found, "blocking")) == (warnings, blocking)
    # Guidance for every patient of a resurfacing laser: neglected aftercare, aggressive lasers.
    assert codes(found, "guidance") == ["AFTERCARE_INFECTION", "AGGRESSIVE_LASER_REDNESS"]


def test_guidance_and_sources_follow_the_procedures():
    found = screening.assess(NEEDLING, patient(), ["BOXCAR"], today=TODAY)
    assert codes(found, "guidance") == ["AFTERCARE_INFECTION"]  # no laser, no laser redness
    guidance = found["guidance"][0]["source"]
    assert guidance["kind"] == "seed" and guidance["quote"] == "Infection if aftercare is neglected"
    isotretinoin = next(rule for rule in RESURFACING if rule["code"] == "RECENT_ISOTRETINOIN")
    assert isotretinoin["source"]["kind"] == "sample"  # a rule of ours, and it says so


def test_a_blocking_answer_refuses_the_booking():
    with pytest.raises(Problem) as refused:
        screening.screen(RESURFACING, patient(isotretinoinLast6Months=True), ATROPHIC_PACKAGE)
    assert refused.value.code == "SCREENING_BLOCKED" and refused.value.status == 422


def test_the_assessment_says_why_treatment_is_recommended():
    found = screening.assess(
        NEEDLING, patient(scarTypes=["BOXCAR", "PIH"], topicalCareTried=["TOPICAL_RETINOID"]), ["BOXCAR"], today=TODAY
    )
    assert codes(found, "recommendedBecause") == [
        "SCARS_PERSIST_DESPITE_TOPICAL_CARE",
        "DEEP_ATROPHIC_OR_RAISED",
        "PIGMENTATION_REMAINS",
    ]
    assert screening.assess(NEEDLING, patient(), ["BOXCAR"], today=TODAY)["recommendedBecause"] == []


def test_months_are_counted_by_the_calendar():
    assert screening.months_later(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert screening.months_later(date(2026, 1, 15), 12) == date(2027, 1, 15)


def test_codes_a_schema_cannot_check_are_checked_by_name():
    with pytest.raises(Problem) as refused:
        screening.check_patient({**PATIENT, "nationality": "XX", "homeTimeZone": "Mars/Base"})
    assert [e["field"] for e in refused.value.errors] == ["patient.nationality", "patient.homeTimeZone"]


def booking(total_krw: int, amount: str, currency: str, visits: list[tuple[datetime, str]] | None = None) -> dict:
    """A booking of one visit at 10:00 in Seoul on 1 May 2027, or of ``visits`` (start, status)."""
    tiers = [
        {"daysBefore": 30, "refundPercent": 100},
        {"daysBefore": 14, "refundPercent": 50},
        {"daysBefore": 0, "refundPercent": 0},
    ]
    visits = visits or [(datetime(2027, 5, 1, 1, 0, tzinfo=UTC), "BOOKED")]
    return {
        "status": "BOOKED",
        "slot_id": "slot-1",
        "slot_start": visits[0][0],
        "visits": [
            {"number": n, "slot_id": f"slot-{n}", "start": start, "duration_minutes": 60, "status": status}
            for n, (start, status) in enumerate(visits, start=1)
        ],
        "package": {"cancellationPolicy": {"tiers": tiers}, "schedule": {"visits": len(visits)}},
        "price": {
            "currency": currency,
            "krwPerUnit": "9.2",
            "rateAsOf": "2026-11-01",
            "total": {"krw": total_krw, "amount": amount},
        },
    }


@pytest.mark.parametrize(
    "now,percent,days",
    [
        (datetime(2027, 4, 1, 14, 59, tzinfo=UTC), 100, 30),  # 23:59 on 1 April in Seoul: 30 days before
        (datetime(2027, 4, 1, 15, 0, tzinfo=UTC), 50, 29),  # midnight in Seoul: 29 days
        (datetime(2027, 4, 30, 0, 0, tzinfo=UTC), 0, 1),
    ],
)
def test_the_refund_follows_the_bookings_own_policy_in_seoul_days(now, percent, days):
    refund = transitions.refund_for(booking(2_400_000, "260870", "JPY"), now)
    assert (refund["percent"], refund["daysBefore"]) == (percent, days)
    assert refund["krw"] == 2_400_000 * percent // 100
    assert refund["amount"] == str(260870 * percent // 100)
    assert (refund["currency"], refund["krwPerUnit"], refund["rateAsOf"]) == ("JPY", "9.2", "2026-11-01")


def test_half_of_an_amount_with_cents_rounds_to_the_cent():
    refund = transitions.refund_for(booking(2_400_001, "1807.63", "USD"), datetime(2027, 4, 10, tzinfo=UTC))
    assert refund["amount"] == "903.82"


def test_only_the_visits_not_yet_delivered_are_refunded_counted_before_the_next_one():
    visits = [
        (datetime(2027, 3, 1, 1, 0, tzinfo=UTC), "FULFILLED"),
        (datetime(2027, 4, 1, 1, 0, tzinfo=UTC), "NOSHOW"),  # a missed visit kept its seat: not refunded
        (datetime(2027, 5, 1, 1, 0, tzinfo=UTC), "BOOKED"),
        (datetime(2027, 6, 1, 1, 0, tzinfo=UTC), "BOOKED"),
    ]
    refund = transitions.refund_for(booking(2_400_000, "2400.00", "USD", visits), datetime(2027, 4, 1, 3, tzinfo=UTC))
    assert (refund["daysBefore"], refund["percent"]) == (30, 100)  # 30 Seoul days before visit 3, the next to come
    assert (refund["visitsRefunded"], refund["visits"]) == (2, 4)
    assert (refund["krw"], refund["amount"]) == (1_200_000, "1200.00")


def test_a_share_of_a_third_rounds_half_up_to_the_minor_unit():
    visits = [
        (datetime(2027, 3, 1, 1, 0, tzinfo=UTC), "FULFILLED"),
        (datetime(2027, 5, 1, 1, 0, tzinfo=UTC), "BOOKED"),
        (datetime(2027, 6, 1, 1, 0, tzinfo=UTC), "BOOKED"),
    ]
    refund = transitions.refund_for(booking(1_000_000, "1000.00", "USD", visits), datetime(2027, 4, 10, tzinfo=UTC))
    assert (refund["percent"], refund["visitsRefunded"]) == (50, 2)  # 21 days before visit 2
    assert (refund["krw"], refund["amount"]) == (333_333, "333.33")  # half of two thirds
