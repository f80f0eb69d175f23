"""Korean law on attracting foreign patients, through the gateway: a platform admin registers an agency and
renews it, agreements above the cap are refused, a partner downloads the visa document, the comparison shows
each clinic's registration, and statements and the annual report add up."""

from __future__ import annotations

import base64
import io
import uuid

from pypdf import PdfReader

from gateway import keys
from tests.support import ICEPICK, ORACLE, ORACLE_KEY, PATIENT, PLATFORM_KEY, gql, open_series_through, seoul_day

QUOTE = "mutation Q($input: CreateQuoteInput!) { createQuote(input: $input) { quote { id } } }"
BOOK = """mutation B($input: CreateBookingInput!) { createBooking(input: $input) {
  booking { reference slotStart commission { ratePercent medicalFeeKrw amountKrw } } errors { field code message } } }"""
REGISTER = """mutation R($agency: String!, $input: FacilitatorRegistrationInput!) {
  recordFacilitatorRegistration(agency: $agency, input: $input) {
    registration { number valid expiresOn } errors { code message } } }"""
AGREE = """mutation A($agency: String!, $clinic: String!, $rate: String!) {
  setCommissionAgreement(agency: $agency, clinic: $clinic, ratePercent: $rate) {
    agreement { ratePercent cap { percent source } } errors { code message } } }"""
VISA = "query V($ref: String!) { booking(reference: $ref) { visaDocument { filename contentType base64 } } }"
CONFIRM = "mutation C($ref: String!) { confirmBooking(reference: $ref) { booking { status } errors { code } } }"


def agency_key(name: str) -> str:
    """An API key of a new agency of this test's own (its registration, bookings and reports are its own)."""
    key = f"cbk_test_{name}_{uuid.uuid4().hex[:8]}"
    keys.create(name, "AGENCY", agency=name, key=key)
    return key


def register(gateway, agency: str, expires_in_days: int) -> dict:
    body = {"name": "Jeju Care Travel", "number": "FA-TEST-77", "issuedOn": seoul_day(-30)}
    body["expiresOn"] = seoul_day(expires_in_days)
    return gql(gateway, REGISTER, {"agency": agency, "input": body}, key=PLATFORM_KEY).json["data"][
        "recordFacilitatorRegistration"
    ]


def book(gateway, key: str, slot: str, patient: dict | None = None) -> dict:
    quote = gql(gateway, QUOTE, {"input": {"packageId": ICEPICK}}, key=key).json["data"]["createQuote"]["quote"]
    body = {"quoteId": quote["id"], "slotId": slot, "patient": patient or PATIENT, "idempotencyKey": uuid.uuid4().hex}
    return gql(gateway, BOOK, {"input": body}, key=key).json["data"]["createBooking"]


def test_an_unregistered_agency_is_refused_by_name_until_a_platform_admin_registers_it(gateway):
    agency = f"jeju-{uuid.uuid4().hex[:6]}"
    key = agency_key(agency)
    slot = open_series_through(gateway, ICEPICK, 150, "11:20")
    refused = book(gateway, key, slot)
    assert refused["booking"] is None and refused["errors"][0]["code"] == "FACILITATOR_NOT_REGISTERED"
    expired = register(gateway, agency, -1)
    assert expired["errors"] == [] and expired["registration"]["valid"] is False
    assert book(gateway, key, slot)["errors"][0]["code"] == "FACILITATOR_NOT_REGISTERED"
    assert register(gateway, agency, 1000)["registration"]["valid"] is True
    booked = book(gateway, key, slot)
    assert booked["errors"] == [], booked
    assert booked["booking"]["commission"] == {"ratePercent": "0", "medicalFeeKrw": 2_400_000, "amountKrw": 0}
    renewed = gql(
        gateway, "query F($a: String!) { facilitatorRegistration(agency: $a) { number valid } }", {"a": agency}
    )
    assert renewed.json["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"  # anonymous


def test_agreements_above_the_cap_are_refused_and_bookings_record_their_commission_on_the_medical_fee(gateway):
    agency = f"jeju-{uuid.uuid4().hex[:6]}"
    key = agency_key(agency)
    register(gateway, agency, 1000)
    above = gql(gateway, AGREE, {"agency": agency, "clinic": ORACLE, "rate": "31"}, key=PLATFORM_KEY).json
    refusal = above["data"]["setCommissionAgreement"]["errors"][0]
    assert refusal["code"] == "COMMISSION_ABOVE_CAP" and "30%" in refusal["message"] and "2017" in refusal["message"]
    hospital = gql(
        gateway, AGREE, {"agency": agency, "clinic": "asan-medical-center", "rate": "21"}, key=PLATFORM_KEY
    ).json["data"]["setCommissionAgreement"]
    assert hospital["errors"][0]["code"] == "COMMISSION_ABOVE_CAP" and "15%" in hospital["errors"][0]["message"]
    agreed = gql(gateway, AGREE, {"agency": agency, "clinic": ORACLE, "rate": "15"}, key=PLATFORM_KEY).json
    assert agreed["data"]["setCommissionAgreement"]["agreement"]["cap"]["percent"] == "30"
    assert gql(gateway, AGREE, {"agency": agency, "clinic": ORACLE, "rate": "15"}, key=ORACLE_KEY).json["errors"]

    booked = book(gateway, key, open_series_through(gateway, ICEPICK, 151, "11:20"))
    assert booked["booking"]["commission"] == {"ratePercent": "15", "medicalFeeKrw": 2_400_000, "amountKrw": 360_000}
    month = booked["booking"]["slotStart"][:7]
    statement = gql(
        gateway,
        "query S($m: String!) { commissionStatement(month: $m) { lines { reference commissionKrw } "
        "totals { commissionKrw } csv } }",
        {"m": month},
        key=key,
    ).json["data"]["commissionStatement"]
    assert statement["lines"] == [{"reference": booked["booking"]["reference"], "commissionKrw": 360_000}]
    assert statement["totals"]["commissionKrw"] == 360_000 and statement["csv"].strip().endswith("360000")


def test_the_visa_document_is_the_booking_agencys_and_the_clinics_only(gateway):
    agency = f"jeju-{uuid.uuid4().hex[:6]}"
    key, other = agency_key(agency), agency_key(f"busan-{uuid.uuid4().hex[:6]}")
    register(gateway, agency, 1000)
    patient = {**PATIENT, "name": "Minh Anh Nguyen", "nationality": "VN"}
    booked = book(gateway, key, open_series_through(gateway, ICEPICK, 152, "11:20"), patient)["booking"]
    before = gql(gateway, VISA, {"ref": booked["reference"]}, key=key).json
    assert before["data"]["booking"]["visaDocument"] is None
    assert before["errors"][0]["extensions"]["code"] == "BOOKING_NOT_CONFIRMED"
    gql(gateway, CONFIRM, {"ref": booked["reference"]}, key=ORACLE_KEY)
    for caller in (key, ORACLE_KEY):
        document = gql(gateway, VISA, {"ref": booked["reference"]}, key=caller).json["data"]["booking"]["visaDocument"]
        assert document["contentType"] == "application/pdf"
        text = "".join(PdfReader(io.BytesIO(base64.b64decode(document["base64"]))).pages[0].extract_text().split())
        for shown in ("TreatmentReservationConfirmation", "MinhAnhNguyen", "베트남/Vietnam(VN)", "FP-SAMPLE-0003"):
            assert shown in text, shown
        assert booked["slotStart"][:10] in text  # the first visit's Seoul date
    stranger = gql(gateway, VISA, {"ref": booked["reference"]}, key=other).json
    assert stranger["data"]["booking"] is None  # another agency's booking does not exist for it
    assert {e["extensions"]["code"] for e in stranger.get("errors", [])} <= {"NOT_FOUND"}


def test_the_comparison_shows_each_clinics_registration_as_it_shows_accreditations(gateway):
    query = """query C($slugs: [String!]!) { compareClinics(slugs: $slugs) { rows { fact values { text best } } }
      clinic(slug: "asan-medical-center") { registration { category number valid source } } }"""
    answer = gql(gateway, query, {"slugs": [ORACLE, "asan-medical-center"]}).json["data"]
    row = next(r for r in answer["compareClinics"]["rows"] if r["fact"] == "FOREIGN_PATIENT_REGISTRATION")
    assert [v["text"].split(" · ")[:2] for v in row["values"]] == [
        ["FP-SAMPLE-0003", "CLINIC"],
        ["FP-SAMPLE-0002", "TERTIARY_HOSPITAL"],
    ]
    assert answer["clinic"]["registration"] == {
        "category": "TERTIARY_HOSPITAL",
        "number": "FP-SAMPLE-0002",
        "valid": True,
        "source": "sample",
    }


def test_the_annual_report_counts_an_agencys_patients_by_nationality_and_month(gateway):
    agency = f"jeju-{uuid.uuid4().hex[:6]}"
    key = agency_key(agency)
    register(gateway, agency, 1000)
    made = [
        book(gateway, key, open_series_through(gateway, ICEPICK, day, "11:30"), {**PATIENT, "nationality": code})
        for day, code in ((153, "JP"), (154, "JP"), (155, "CN"))
    ]
    assert all(m["errors"] == [] for m in made), made
    starts = [m["booking"]["slotStart"] for m in made]
    year = int(starts[0][:4])
    report = gql(
        gateway,
        "query A($y: Int!, $a: String) { annualReport(year: $y, agency: $a) { patients byNationality { key patients } "
        "byMonth { key patients } medicalFeesKrw csv } }",
        {"y": year, "a": agency},
        key=PLATFORM_KEY,
    ).json["data"]["annualReport"]
    of_year = [m for m, start in zip(made, starts, strict=True) if start.startswith(str(year))]
    assert report["patients"] == len(of_year) and report["medicalFeesKrw"] == 2_400_000 * len(of_year)
    wanted: dict[str, int] = {}
    for start in starts:
        if start.startswith(str(year)):
            wanted[start[:7]] = wanted.get(start[:7], 0) + 1
    assert {m["key"]: m["patients"] for m in report["byMonth"] if m["patients"]} == wanted
    assert report["csv"].startswith("breakdown,key,patients")
