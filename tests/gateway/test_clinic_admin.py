"""Clinic profiles through the gateway: admins edit their own, platform admins create and accredit."""

from __future__ import annotations

import uuid

from tests.support import AGENCY_KEY, ORACLE_KEY, PLATFORM_KEY, gql, seoul_day

UPDATE = """
mutation Update($slug: String!, $input: ClinicPatchInput!) {
  updateClinic(slug: $slug, input: $input) {
    clinic { slug doctors { name title boardCertifiedDermatologist specialties } accreditations { registryNumber valid } }
    errors { field message code }
  }
}"""

CREATE = """
mutation Create($input: ClinicInput!) {
  createClinic(input: $input) { clinic { slug kind district location { lat lng } } errors { field message code } }
}"""


def test_a_clinic_admin_replaces_its_doctors_and_partners_see_them(gateway):
    before = gql(gateway, '{ clinic(slug: "oracle-skin-clinic") { doctors { name } } }').json["data"]["clinic"][
        "doctors"
    ]
    doctors = [
        {
            "name": {"en": "Dr. Min-ji Park", "ko": "박민지"},
            "title": {"en": "Director"},
            "boardCertifiedDermatologist": True,
            "specialties": ["acne scars", "lasers"],
        }
    ]
    answer = gql(gateway, UPDATE, {"slug": "oracle-skin-clinic", "input": {"doctors": doctors}}, key=ORACLE_KEY).json
    try:
        assert answer["data"]["updateClinic"]["errors"] == []
        seen = gql(
            gateway,
            '{ clinic(slug: "oracle-skin-clinic", lang: "ko") { doctors { name title boardCertifiedDermatologist } } }',
        )
        assert seen.json["data"]["clinic"]["doctors"] == [
            {"name": "박민지", "title": "Director", "boardCertifiedDermatologist": True}
        ]
    finally:
        restore = [{"name": {"en": d["name"]}} for d in before]
        gql(gateway, UPDATE, {"slug": "oracle-skin-clinic", "input": {"doctors": restore}}, key=ORACLE_KEY)


def test_a_clinic_admin_cannot_accredit_itself_or_edit_another_clinic(gateway):
    accreditation = {
        "issuer": "KHIDI",
        "name": "Foreign patient attraction",
        "registryNumber": "X-1",
        "expiresOn": seoul_day(365),
    }
    own = gql(
        gateway, UPDATE, {"slug": "oracle-skin-clinic", "input": {"accreditations": [accreditation]}}, key=ORACLE_KEY
    ).json
    other = gql(gateway, UPDATE, {"slug": "asan-medical-center", "input": {"doctors": []}}, key=ORACLE_KEY).json
    for answer, code in ((own, "FORBIDDEN_FIELD"), (other, "FORBIDDEN")):
        assert answer["data"]["updateClinic"] is None
        assert answer["errors"][0]["extensions"]["code"] == code
    oracle = gql(gateway, '{ clinic(slug: "oracle-skin-clinic") { accreditations { registryNumber } } }').json
    assert "X-1" not in {a["registryNumber"] for a in oracle["data"]["clinic"]["accreditations"]}


def test_a_platform_admin_creates_and_accredits_a_clinic(gateway):
    slug = f"test-clinic-{uuid.uuid4().hex[:8]}"
    clinic = {
        "slug": slug,
        "kind": "PRIVATE_CLINIC",
        "name": {"en": "Test Skin Clinic"},
        "district": "GANGNAM",
        "location": {"lat": 37.5172, "lng": 127.0473},
    }
    refused = gql(gateway, CREATE, {"input": clinic}, key=AGENCY_KEY).json
    assert refused["data"]["createClinic"] is None and refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    created = gql(gateway, CREATE, {"input": clinic}, key=PLATFORM_KEY).json["data"]["createClinic"]
    assert created == {
        "clinic": {
            "slug": slug,
            "kind": "PRIVATE_CLINIC",
            "district": "GANGNAM",
            "location": {"lat": 37.5172, "lng": 127.0473},
        },
        "errors": [],
    }
    again = gql(gateway, CREATE, {"input": clinic}, key=PLATFORM_KEY).json["data"]["createClinic"]
    assert again["clinic"] is None and again["errors"][0]["code"] == "ALREADY_EXISTS"
    accreditations = [
        {
            "issuer": "KHIDI",
            "name": "Foreign patient attraction",
            "registryNumber": "K-100",
            "expiresOn": seoul_day(365),
        },
        {
            "issuer": "KOIHA",
            "name": "Healthcare accreditation",
            "registryNumber": "K-200",
            "expiresOn": seoul_day(-1),
        },
    ]
    answer = gql(gateway, UPDATE, {"slug": slug, "input": {"accreditations": accreditations}}, key=PLATFORM_KEY).json
    assert answer["data"]["updateClinic"]["clinic"]["accreditations"] == [
        {"registryNumber": "K-100", "valid": True},
        {"registryNumber": "K-200", "valid": False},
    ]


def test_viewer_says_whose_key_it_is(gateway):
    query = "{ viewer { role clinic agency } }"
    assert gql(gateway, query, key=ORACLE_KEY).json["data"]["viewer"] == {
        "role": "CLINIC_ADMIN",
        "clinic": "oracle-skin-clinic",
        "agency": None,
    }
    assert gql(gateway, query, key=AGENCY_KEY).json["data"]["viewer"] == {
        "role": "AGENCY",
        "clinic": None,
        "agency": "seoul-trips",
    }
    assert gql(gateway, query).json["data"]["viewer"] is None
