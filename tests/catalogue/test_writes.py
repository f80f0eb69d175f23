"""Who may change the catalogue, and how: platform admins create, clinic admins edit their own."""

from __future__ import annotations

import time

import jwt

from tests.support import stored_clinics

NEW_CLINIC = {
    "slug": "myeongdong-scar-clinic",
    "kind": "PRIVATE_CLINIC",
    "name": {"en": "Myeongdong Scar Clinic", "ko": "명동 흉터 클리닉"},
    "district": "MYEONGDONG",
    "procedures": [{"code": "TCA_CROSS"}, {"code": "SUBCISION", "devices": ["Nokor needle"]}],
    "languages": {"booking": ["en", "ko"], "inRoom": ["en"], "aftercare": ["en"]},
    "internationalServices": ["INTERPRETER"],
}


def test_a_platform_admin_creates_a_clinic_that_is_then_listed(client, bearer):
    created = client.post("/clinics", json=NEW_CLINIC, headers=bearer("PLATFORM_ADMIN"))
    assert created.status_code == 201, created.json
    assert created.headers["Location"] == "/clinics/myeongdong-scar-clinic"
    assert created.json["version"] == 1 and created.json["source"] == "listing"
    listed = client.get("/clinics?district=MYEONGDONG&procedure=SUBCISION").json["items"]
    assert [c["slug"] for c in listed] == ["myeongdong-scar-clinic"]
    assert client.get("/clinics?q=명동").json["items"][0]["slug"] == "myeongdong-scar-clinic"


def test_creating_a_clinic_twice_is_a_conflict(client, bearer):
    assert client.post("/clinics", json=NEW_CLINIC, headers=bearer("PLATFORM_ADMIN")).status_code == 201
    again = client.post("/clinics", json=NEW_CLINIC, headers=bearer("PLATFORM_ADMIN"))
    assert again.status_code == 409
    assert again.json["code"] == "ALREADY_EXISTS"


def test_a_clinic_with_unknown_or_repeated_procedures_is_refused_and_not_written(catalogue, client, bearer):
    before = stored_clinics(catalogue)
    body = {**NEW_CLINIC, "procedures": [{"code": "TCA_CROSS"}, {"code": "TCA_CROSS"}, {"code": "MAGIC_WAND"}]}
    answer = client.post("/clinics", json=body, headers=bearer("PLATFORM_ADMIN"))
    assert answer.status_code == 400
    assert {e["field"] for e in answer.json["errors"]} == {"procedures[1].code", "procedures[2].code"}
    assert stored_clinics(catalogue) == before


def test_only_platform_admins_create_clinics(client, bearer):
    assert client.post("/clinics", json=NEW_CLINIC).status_code == 401
    as_clinic = client.post("/clinics", json=NEW_CLINIC, headers=bearer("CLINIC_ADMIN", clinic="oracle-skin-clinic"))
    assert as_clinic.status_code == 403
    as_agency = client.post("/clinics", json=NEW_CLINIC, headers=bearer("AGENCY", agency="seoul-trips"))
    assert as_agency.status_code == 403


def test_a_clinic_admin_updates_its_own_clinic(client, bearer):
    oracle_admin = bearer("CLINIC_ADMIN", clinic="oracle-skin-clinic")
    answer = client.patch(
        "/clinics/oracle-skin-clinic",
        headers=oracle_admin,
        json={
            "languages": {"booking": ["en", "ko", "vi"], "inRoom": ["en", "vi"], "aftercare": ["en"]},
            "description": {"en": "Acne-scar specialists.", "vi": "Chuyên gia sẹo mụn."},
        },
    )
    assert answer.status_code == 200, answer.json
    assert answer.json["version"] == 2
    assert answer.headers["ETag"] == '"2"'
    again = client.get("/clinics/oracle-skin-clinic?lang=vi").json
    assert again["description"] == "Chuyên gia sẹo mụn."
    assert "oracle-skin-clinic" in {
        c["slug"] for c in client.get("/clinics?language=vi&languageLevel=inRoom").json["items"]
    }
    # Fields not in the patch are unchanged.
    assert again["name"] == "Oracle Skin Clinic"
    assert [p["code"] for p in again["procedures"]][:2] == ["FRACTIONAL_CO2_LASER", "MICRONEEDLING"]


def test_a_clinic_admin_cannot_touch_another_clinic(catalogue, client, bearer):
    before = stored_clinics(catalogue)
    answer = client.patch(
        "/clinics/asan-medical-center",
        json={"name": {"en": "Not Asan"}},
        headers=bearer("CLINIC_ADMIN", clinic="oracle-skin-clinic"),
    )
    assert answer.status_code == 403
    assert stored_clinics(catalogue) == before


def test_without_a_token_an_update_is_401_and_changes_nothing(catalogue, client):
    before = stored_clinics(catalogue)
    answer = client.patch("/clinics/oracle-skin-clinic", json={"name": {"en": "Hijacked"}})
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert stored_clinics(catalogue) == before


def test_expired_forged_and_unsigned_tokens_are_rejected(catalogue, client, bearer):
    before = stored_clinics(catalogue)
    patch = {"name": {"en": "Hijacked"}}
    expired = bearer("CLINIC_ADMIN", clinic="oracle-skin-clinic", ttl=30, now=time.time() - 120)
    forged = bearer("CLINIC_ADMIN", clinic="oracle-skin-clinic", secret="not-the-shared-secret-but-just-as-long-as-one")
    unsigned = jwt.encode(
        {
            "iss": "clinicbridge-gateway",
            "aud": "clinicbridge-services",
            "sub": "x",
            "role": "PLATFORM_ADMIN",
            "iat": int(time.time()),
            "exp": int(time.time()) + 60,
        },
        key=None,
        algorithm="none",
    )
    for headers in (
        expired,
        forged,
        {"Authorization": f"Bearer {unsigned}"},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer not.a.jwt"},
    ):
        answer = client.patch("/clinics/oracle-skin-clinic", json=patch, headers=headers)
        assert answer.status_code == 401, headers
        assert answer.json["code"] == "INVALID_TOKEN"
    assert stored_clinics(catalogue) == before


def test_kind_and_accreditations_are_for_platform_admins(catalogue, client, bearer):
    before = stored_clinics(catalogue)
    answer = client.patch(
        "/clinics/banobagi-dermatology",
        headers=bearer("CLINIC_ADMIN", clinic="banobagi-dermatology"),
        json={
            "accreditations": [
                {"issuer": "Self", "name": "Best clinic", "registryNumber": "1", "expiresOn": "2099-01-01"}
            ]
        },
    )
    assert answer.status_code == 403
    assert answer.json["errors"] == [{"field": "accreditations", "message": "platform admins only"}]
    assert stored_clinics(catalogue) == before
    renewed = client.patch(
        "/clinics/banobagi-dermatology",
        headers=bearer("PLATFORM_ADMIN"),
        json={
            "accreditations": [
                {
                    "issuer": "Ministry of Health and Welfare / KHIDI",
                    "name": "Registered institution for attracting foreign patients",
                    "registryNumber": "FP-SAMPLE-0004",
                    "expiresOn": "2099-06-30",
                }
            ]
        },
    )
    assert renewed.status_code == 200
    assert renewed.json["accreditations"][0]["valid"] is True


def test_if_match_with_a_stale_version_is_refused(catalogue, client, bearer):
    admin = bearer("CLINIC_ADMIN", clinic="id-dermatology")
    assert (
        client.patch(
            "/clinics/id-dermatology", json={"knownFor": {"en": "v2"}}, headers={**admin, "If-Match": '"1"'}
        ).status_code
        == 200
    )
    before = stored_clinics(catalogue)
    stale = client.patch(
        "/clinics/id-dermatology", json={"knownFor": {"en": "v3"}}, headers={**admin, "If-Match": '"1"'}
    )
    assert stale.status_code == 412
    assert stale.json["code"] == "VERSION_MISMATCH"
    assert stored_clinics(catalogue) == before


def test_unknown_clinic_is_404(client, bearer):
    answer = client.patch("/clinics/no-such-clinic", json={"knownFor": {"en": "x"}}, headers=bearer("PLATFORM_ADMIN"))
    assert answer.status_code == 404
    assert answer.json["code"] == "NOT_FOUND"


def test_a_huge_name_in_many_languages_makes_a_bounded_number_of_search_terms(catalogue, client, bearer):
    """A name of 1,300 Korean characters in sixteen languages (a body just under 64 KB) once made every
    substring of up to 20 characters an index term: hundreds of thousands for one clinic."""
    from services.catalogue.models import MAX_SEARCH_TERMS, Clinic

    word = "".join(chr(0xAC00 + (n * 37) % 11172) for n in range(1300))  # 1,300 different syllables
    languages = ["en", "ko", "zh", "ja", "vi", "th", "ru", "mn", "de", "fr", "es", "it", "pt", "id", "ms", "ar"]
    answer = client.patch(
        "/clinics/oracle-skin-clinic",
        headers=bearer("CLINIC_ADMIN", clinic="oracle-skin-clinic"),
        json={"name": dict.fromkeys(languages, word)},
    )
    assert answer.status_code == 200, answer.json
    with catalogue.app_context():
        terms = Clinic._get_collection().find_one({"slug": "oracle-skin-clinic"})["search_terms"]
    assert len(terms) <= MAX_SEARCH_TERMS
    found = client.get("/clinics", query_string={"q": word[:10]}).json["items"]
    assert [c["slug"] for c in found] == ["oracle-skin-clinic"]  # still found by its name
