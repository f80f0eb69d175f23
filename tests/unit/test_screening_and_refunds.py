"""Screening answers against a package's rules, and the refund a cancellation gives."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.bookings import screening, transitions
from services.common.errors import Problem
from tests.support import PATIENT

RULES = [
    {"code": "DARKER_SKIN_PIH", "text": "Darker skin", "blocking": False, "appliesWhen": {"fitzpatrickAtLeast": 4}},
    {
        "code": "RECENT_ISOTRETINOIN",
        "text": "Isotretinoin",
        "blocking": True,
        "appliesWhen": {"isotretinoinWithinMonths": 6},
    },
    {"code": "ACTIVE_ACNE", "text": "Active acne", "blocking": False, "appliesWhen": {"activeAcne": True}},
]


def test_answers_trigger_the_rules_they_meet_as_warnings_or_refusals():
    assert screening.assess(RULES, PATIENT) == {"warnings": [], "blocking": []}
    darker = {**PATIENT, "fitzpatrickSkinType": "V", "activeAcne": True}
    assert [w["code"] for w in screening.assess(RULES, darker)["warnings"]] == ["DARKER_SKIN_PIH", "ACTIVE_ACNE"]
    assert screening.assess(RULES, {**PATIENT, "fitzpatrickSkinType": "III"})["warnings"] == []
    isotretinoin = {**PATIENT, "isotretinoinLast6Months": True}
    assert [b["code"] for b in screening.assess(RULES, isotretinoin)["blocking"]] == ["RECENT_ISOTRETINOIN"]
    with pytest.raises(Problem) as refused:
        screening.screen(RULES, isotretinoin)
    assert refused.value.code == "SCREENING_BLOCKED" and refused.value.status == 422


def test_codes_a_schema_cannot_check_are_checked_by_name():
    with pytest.raises(Problem) as refused:
        screening.check_patient({**PATIENT, "nationality": "XX", "homeTimeZone": "Mars/Base"})
    assert [e["field"] for e in refused.value.errors] == ["patient.nationality", "patient.homeTimeZone"]


def booking(total_krw: int, amount: str, currency: str) -> dict:
    tiers = [
        {"daysBefore": 30, "refundPercent": 100},
        {"daysBefore": 14, "refundPercent": 50},
        {"daysBefore": 0, "refundPercent": 0},
    ]
    return {
        "slot_start": datetime(2027, 5, 1, 1, 0, tzinfo=UTC),  # 10:00 in Seoul
        "package": {"cancellationPolicy": {"tiers": tiers}},
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
