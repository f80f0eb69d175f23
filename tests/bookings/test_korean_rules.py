"""Korean law on attracting foreign patients, as the bookings service applies it: registered facilitators and
institutions, commission caps and commissions on the medical fee, statements, the annual report, the expiry
warnings and the treatment-reservation confirmation."""

from __future__ import annotations

import io
import uuid
from collections import Counter

import pytest
import requests
from pypdf import PdfReader

from services.bookings import registrations, store
from services.common.clock import seoul_date
from services.common.validation import validator
from tests.support import (
    AGENCY,
    ORACLE,
    PACKAGE_BODY,
    PATIENT,
    bearer_headers,
    booking_count,
    in_days,
    seat_count,
    seoul_day,
    sweep_registrations,
)

PLATFORM = bearer_headers("PLATFORM_ADMIN", ttl=24 * 3600)  # minted at collection: valid for the whole suite
ASAN = "asan-medical-center"
BANOBAGI = "banobagi-dermatology"


def registration(number: str, expires_in_days: int, category: str | None = None) -> dict:
    body = {"name": f"Registered {number}", "number": number, "issuedOn": seoul_day(-400)}
    body["expiresOn"] = seoul_day(expires_in_days)
    return {**body, **({"category": category} if category else {})}


def renew_facilitator(client, agency: str, expires_in_days: int):
    answer = client.put(
        f"/registrations/facilitators/{agency}", json=registration("FA-TEST", expires_in_days), headers=PLATFORM
    )
    assert answer.status_code == 200, answer.json
    return answer.json


@pytest.fixture(scope="module")
def one_visit_package(packages_url):
    """A published one-visit package at Oracle, priced to the won, with a priced messaging plan: its medical fee
    is 1,234,567 won of a 1,304,567 won total. Cancelled 7 to 20 days ahead, 40% is refunded."""
    admin = bearer_headers("CLINIC_ADMIN", clinic=ORACLE)
    body = {
        **PACKAGE_BODY,
        "title": {"en": "One TCA CROSS visit", "ko": "TCA 크로스 1회"},
        "items": [{"procedure": "TCA_CROSS", "sessions": 1}],
        "priceKrw": 1_234_567,
        "interpreterOptions": [],
        "followUpPlans": [{"code": "CHAT_2", "kind": "MESSAGING", "count": 2, "priceKrw": 70_000}],
        "screening": {"blocking": []},
    }
    made = requests.post(f"{packages_url}/packages", json=body, headers=admin, timeout=10)
    assert made.status_code == 201, made.text
    published = requests.post(f"{packages_url}/packages/{made.json()['id']}/publish", headers=admin, timeout=10)
    assert published.status_code == 200, published.text
    return made.json()["id"]


@pytest.fixture
def book_one(client, new_quote, one_visit_package):
    """Book the one-visit package (with its messaging plan) into a slot, as an agency, for a patient."""

    def make(slot: dict, headers: dict, patient: dict | None = None):
        quote = new_quote(one_visit_package, followUpPlan="CHAT_2")
        body = {"quoteId": quote["id"], "slotId": slot["id"], "patient": patient or PATIENT}
        return client.post("/bookings", json=body, headers={**headers, "Idempotency-Key": uuid.uuid4().hex})

    return make


def test_an_expired_facilitator_is_refused_by_name_and_nothing_changes_until_it_renews(
    client, bookings, open_slot, new_quote, agency
):
    renew_facilitator(client, AGENCY, -1)  # expired yesterday, Seoul time
    slot = open_slot(in_days(20), capacity=2)
    quote = new_quote()
    body = {"quoteId": quote["id"], "slotId": slot["id"], "patient": PATIENT}
    refused = client.post("/bookings", json=body, headers={**agency, "Idempotency-Key": "expired-1"})
    assert refused.status_code == 422
    assert refused.json["code"] == "FACILITATOR_NOT_REGISTERED" and "FA-TEST" in refused.json["detail"]
    held = client.post(
        "/holds", json={"quoteId": quote["id"], "slotIds": [slot["id"]]}, headers={**agency, "Idempotency-Key": "h1"}
    )
    assert held.status_code == 422 and held.json["code"] == "FACILITATOR_NOT_REGISTERED"
    assert seat_count(bookings, slot["id"]) == 0 and booking_count(bookings) == 0
    with bookings.app_context():
        assert store.claims().count_documents({}) == 0  # nothing reserved

    renew_facilitator(client, AGENCY, 3 * 365)
    later = [open_slot(in_days(20 + days), capacity=20) for days in (30, 65)]
    body["laterSlotIds"] = [s["id"] for s in later]
    booked = client.post("/bookings", json=body, headers={**agency, "Idempotency-Key": "renewed-1"})
    assert booked.status_code == 201, booked.json  # the same quote: the refusal locked nothing
    assert seat_count(bookings, slot["id"]) == 1 and booking_count(bookings) == 1


def test_a_clinic_without_a_registration_is_refused_by_name_until_it_registers(client, bookings, open_slot, book):
    with bookings.app_context():
        store.registrations().delete_one({"_id": registrations.registration_id("INSTITUTION", ORACLE)})
    slot = open_slot(in_days(21))
    refused = book(slot)
    assert refused.status_code == 422 and refused.json["code"] == "INSTITUTION_NOT_REGISTERED"
    assert ORACLE in refused.json["detail"]
    assert seat_count(bookings, slot["id"]) == 0 and booking_count(bookings) == 0

    recorded = client.put(
        f"/registrations/institutions/{ORACLE}", json=registration("FP-NEW", 900, "CLINIC"), headers=PLATFORM
    )
    assert recorded.status_code == 200 and recorded.json["valid"] is True
    assert book(slot).status_code == 201


def test_agreements_above_the_cap_for_the_clinics_category_are_refused_naming_the_cap_and_the_law(client):
    def agree(clinic: str, rate: str):
        return client.put(f"/agreements/{AGENCY}/{clinic}", json={"ratePercent": rate}, headers=PLATFORM)

    clinic = agree(ORACLE, "31")  # a clinic: 30%
    assert clinic.status_code == 422 and clinic.json["code"] == "COMMISSION_ABOVE_CAP"
    assert "30%" in clinic.json["detail"] and "Foreign Patient Attraction Support Act" in clinic.json["detail"]
    hospital = client.put(
        f"/registrations/institutions/{BANOBAGI}", json=registration("FP-HOSP", 900, "HOSPITAL"), headers=PLATFORM
    )
    assert hospital.status_code == 200
    refused = agree(BANOBAGI, "21")  # a hospital: 20%
    assert refused.status_code == 422 and "20%" in refused.json["detail"] and "2017-02-15" in refused.json["detail"]
    assert agree(ASAN, "15.5").json["code"] == "COMMISSION_ABOVE_CAP"  # a tertiary hospital: 15%
    accepted = agree(BANOBAGI, "20")
    assert accepted.status_code == 200 and accepted.json["cap"]["percent"] == "20"
    assert not list(validator("bookings/agreement").iter_errors(accepted.json))
    assert not list(validator("bookings/registration").iter_errors(hospital.json))
    listed = client.get(f"/registrations/institutions?ids={BANOBAGI},nowhere-clinic").json
    assert [item and item["category"] for item in listed["items"]] == ["HOSPITAL", None]
    assert not list(validator("bookings/registration-list").iter_errors(listed))
    assert agree(ORACLE, "30").status_code == 200


def test_a_15_percent_commission_is_exact_to_the_won_on_the_medical_fee_and_after_a_partial_refund(
    client, open_slot, agency, book_one
):
    assert client.put(f"/agreements/{AGENCY}/{ORACLE}", json={"ratePercent": "15"}, headers=PLATFORM).status_code == 200
    booked = book_one(open_slot(in_days(10)), agency)
    assert booked.status_code == 201, booked.json
    lines = booked.json["price"]["lines"]
    assert lines["base"]["krw"] == 1_234_567 and lines["followUp"]["krw"] == 70_000
    commission = booked.json["commission"]
    assert commission["ratePercent"] == "15" and commission["medicalFeeKrw"] == 1_234_567
    assert commission["amountKrw"] == 185_185  # 15% of 1,234,567 is 185,185.05: the follow-up plan is not in it

    cancelled = client.post(f"/bookings/{booked.json['reference']}/cancel", headers=agency)
    assert cancelled.status_code == 200 and cancelled.json["refund"]["percent"] == 40
    after = cancelled.json["commission"]
    assert after["refundedMedicalKrw"] == 493_827  # 40% of 1,234,567 is 493,826.8
    assert after["keptMedicalKrw"] == 740_740 and after["amountKrw"] == 111_111


def test_a_statement_adds_up_to_its_bookings_to_the_won(client, open_slot, agency, book_one, bearer):
    assert (
        client.put(f"/agreements/{AGENCY}/{ORACLE}", json={"ratePercent": "12.5"}, headers=PLATFORM).status_code == 200
    )
    made = [book_one(open_slot(in_days(day, "09:10")), agency).json for day in (9, 10, 11)]
    client.post(f"/bookings/{made[1]['reference']}/cancel", headers=agency)
    month = seoul_date(in_days(10)).strftime("%Y-%m")
    mine = client.get(f"/statements?month={month}", headers=agency).json
    wanted = {b["reference"] for b in made if seoul_date(in_days(10)).month == int(b["slot"]["start"][5:7])}
    listed = {line["reference"]: line for line in mine["lines"]}
    assert wanted <= set(listed)
    booked = {b["reference"]: client.get(f"/bookings/{b['reference']}", headers=agency).json for b in made}
    for reference in wanted:
        assert listed[reference]["commissionKrw"] == booked[reference]["commission"]["amountKrw"]
    assert not list(validator("bookings/statement").iter_errors(mine))
    assert mine["totals"]["commissionKrw"] == sum(line["commissionKrw"] for line in mine["lines"])
    assert mine["totals"]["commissionKrw"] == sum(
        booked[r]["commission"]["amountKrw"] for r in listed if r in booked
    ) + sum(line["commissionKrw"] for r, line in listed.items() if r not in booked)
    clinic = client.get(f"/statements?month={month}", headers=bearer("CLINIC_ADMIN", clinic=ORACLE)).json
    assert clinic["totals"]["commissionKrw"] == mine["totals"]["commissionKrw"]  # one agency booked there
    csv = client.get(f"/statements.csv?month={month}", headers=agency)
    assert csv.mimetype == "text/csv"
    assert csv.text.strip().splitlines()[-1].endswith(str(mine["totals"]["commissionKrw"]))
    other = client.get(f"/statements?month={month}&agency=busan-travel", headers=agency)
    assert other.status_code == 403


def test_the_annual_report_counts_the_patients_seeded_for_it_by_nationality_and_month(
    client, open_slot, agency, bearer, book_one
):
    nationalities = ["US", "JP", "JP", "CN", "US"]
    days = [12, 45, 46, 80, 110]
    made = [
        book_one(open_slot(in_days(day, "09:20")), agency, {**PATIENT, "nationality": code}).json
        for day, code in zip(days, nationalities, strict=True)
    ]
    cancelled = book_one(open_slot(in_days(50, "09:20")), agency, {**PATIENT, "nationality": "VN"}).json
    client.post(f"/bookings/{cancelled['reference']}/cancel", headers=agency)
    other = book_one(
        open_slot(in_days(13, "09:20")), bearer("AGENCY", agency="busan-travel"), {**PATIENT, "nationality": "TH"}
    )
    assert other.status_code == 201, other.json
    starts = {b["reference"]: seoul_date(in_days(day)) for b, day in zip(made, days, strict=True)}
    for year in sorted({day.year for day in starts.values()}):
        of_year = [b for b in made if starts[b["reference"]].year == year]
        report = client.get(f"/reports/annual?year={year}&agency={AGENCY}", headers=PLATFORM).json
        assert not list(validator("bookings/annual-report").iter_errors(report))
        assert report["patients"] == len(of_year)
        assert {i["nationality"]: i["patients"] for i in report["byNationality"]} == Counter(
            b["patient"]["nationality"] for b in of_year
        )
        by_month = {i["month"]: i["patients"] for i in report["byMonth"] if i["patients"]}
        assert by_month == Counter(starts[b["reference"]].strftime("%Y-%m") for b in of_year)
        assert report["byTreatment"] == [{"procedure": "TCA_CROSS", "patients": len(of_year)}]
        clinic = client.get(f"/reports/annual?year={year}&clinic={ORACLE}", headers=PLATFORM).json
        assert clinic["patients"] == len(of_year) + (seoul_date(in_days(13)).year == year)  # the other agency's
    assert client.get(f"/reports/annual?year={year}&agency={AGENCY}", headers=agency).status_code == 403
    csv = client.get(f"/reports/annual.csv?year={year}&clinic={ORACLE}", headers=PLATFORM)
    assert csv.mimetype == "text/csv" and csv.text.startswith("breakdown,key,patients")


def test_a_registration_expiring_within_60_days_is_told_once_per_expiry(client, bookings, bearer, env):
    renew_facilitator(client, AGENCY, 59)
    assert sweep_registrations(env) == {"told": 1}
    assert sweep_registrations(env) == {"told": 0}  # once
    feed = client.get("/events?types=registration.expiring", headers=bearer("AGENCY", agency=AGENCY)).json
    assert [e["data"]["expiresOn"] for e in feed["items"]] == [seoul_day(59)]
    renew_facilitator(client, AGENCY, 59)  # the same expiry again: already told
    assert sweep_registrations(env) == {"told": 0}
    renew_facilitator(client, AGENCY, 30)  # a new expiry: told again
    assert sweep_registrations(env) == {"told": 1}
    other = client.get("/events?types=registration.expiring", headers=bearer("AGENCY", agency="busan-travel")).json
    assert other["items"] == []


def test_the_confirmation_pdf_has_its_fields_for_the_booking_agency_and_the_clinic_only(
    client, open_slot, agency, bearer, book_one
):
    booked = book_one(open_slot(in_days(15)), agency, {**PATIENT, "name": "Aiko Tanaka", "nationality": "JP"}).json
    path = f"/bookings/{booked['reference']}/visa-document"
    assert client.get(path, headers=agency).json["code"] == "BOOKING_NOT_CONFIRMED"
    oracle = bearer("CLINIC_ADMIN", clinic=ORACLE)
    assert client.post(f"/bookings/{booked['reference']}/confirm", headers=oracle).status_code == 200
    for caller in (agency, oracle):
        answer = client.get(path, headers=caller)
        assert answer.status_code == 200 and answer.mimetype == "application/pdf"
        text = "".join(PdfReader(io.BytesIO(answer.data)).pages[0].extract_text().split())
        for shown in (
            "진료예약확인서",
            "AikoTanaka",
            "일본/Japan(JP)",
            "FP-SAMPLE-0003",
            "오라클피부과의원",
            "TCACROSS",
        ):
            assert shown in text, shown
        assert seoul_date(in_days(15)).isoformat() in text
    assert client.get(path, headers=bearer("AGENCY", agency="busan-travel")).json["code"] == "NOT_FOUND"
    assert client.get(path, headers=bearer("CLINIC_ADMIN", clinic=ASAN)).json["code"] == "NOT_FOUND"
