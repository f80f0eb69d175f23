"""Commissions on the medical fee only, exact to the won, and the caps as data with their source."""

from __future__ import annotations

from datetime import UTC, datetime

from services.bookings import commissions, registrations

PRICE = {"lines": {"base": {"krw": 1_234_567}, "interpreter": {"krw": 150_000}, "followUp": {"krw": 70_000}}}


def test_a_commission_is_on_the_base_price_alone_rounded_half_up_to_the_won():
    assert commissions.on_booking("15", PRICE)["amountKrw"] == 185_185  # 185,185.05
    assert commissions.on_booking("12.5", PRICE)["amountKrw"] == 154_321  # 154,320.875
    assert commissions.on_booking("30", {"lines": {"base": {"krw": 5}}})["amountKrw"] == 2  # 1.5 rounds up
    without = commissions.on_booking(None, PRICE)  # no agreement: the clinic pays no fee
    assert (without["ratePercent"], without["agreement"], without["amountKrw"]) == ("0", False, 0)


def test_a_refund_lowers_the_commission_in_proportion_to_the_medical_fee_it_gives_back():
    booked = commissions.on_booking("15", PRICE)
    partial = commissions.after_refund(booked, {"percent": 40, "visitsRefunded": 1, "visits": 1})
    assert (partial["refundedMedicalKrw"], partial["keptMedicalKrw"], partial["amountKrw"]) == (
        493_827,
        740_740,
        111_111,
    )
    two_of_three = commissions.after_refund(booked, {"percent": 50, "visitsRefunded": 2, "visits": 3})
    assert two_of_three["refundedMedicalKrw"] == 411_522  # 1,234,567 × 2/3 × 50% = 411,522.33
    assert two_of_three["amountKrw"] == 123_457  # 15% of 823,045 = 123,456.75
    whole = commissions.after_refund(booked, {"percent": 100, "visitsRefunded": 3, "visits": 3})
    assert whole["amountKrw"] == 0 and whole["keptMedicalKrw"] == 0
    assert commissions.after_refund(None, {"percent": 100, "visitsRefunded": 1, "visits": 1}) is None


def test_a_statements_totals_are_the_sums_of_its_lines_to_the_won():
    bookings = [
        {
            "reference": f"CB-0000000{n}",
            "agency": "seoul-trips",
            "clinic": "oracle-skin-clinic",
            "status": "BOOKED",
            "slot_start": datetime(2027, 3, n + 1, 1, tzinfo=UTC),
            "price": PRICE,
            "commission": commissions.on_booking(rate, PRICE),
        }
        for n, rate in enumerate(("15", "12.5", "7.33"))
    ]
    shown = commissions.statement({"agency": "seoul-trips"}, "2027-03", bookings)
    assert shown["totals"]["commissionKrw"] == sum(b["commission"]["amountKrw"] for b in bookings) == 430_000
    assert commissions.statement_csv(shown).splitlines()[-1].endswith(",430000")


def test_the_caps_are_data_with_their_source_quoted():
    assert {cap["category"]: cap["percent"] for cap in registrations.CAPS["caps"]} == {
        "CLINIC": "30",
        "HOSPITAL": "20",
        "GENERAL_HOSPITAL": "20",
        "TERTIARY_HOSPITAL": "15",
    }
    cap = registrations.cap_for("TERTIARY_HOSPITAL")
    assert cap["since"] == "2017-02-15" and "Foreign Patient Attraction Support Act" in cap["source"]
