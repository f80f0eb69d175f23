"""Reading the catalogue: paging, batch lookup, filters, search and languages."""

from __future__ import annotations

import pytest

from services.common.validation import validator


def all_pages(client, url: str, limit: int) -> list[str]:
    slugs, cursor, pages = [], None, 0
    while True:
        separator = "&" if "?" in url else "?"
        page = client.get(f"{url}{separator}limit={limit}" + (f"&cursor={cursor}" if cursor else ""))
        assert page.status_code == 200, page.json
        slugs += [item["slug"] for item in page.json["items"]]
        cursor = page.json["nextCursor"]
        pages += 1
        assert pages < 1000
        if cursor is None:
            return slugs


@pytest.mark.parametrize("sort", ["name", "-name", "district", "-district", "updatedAt", "-updatedAt"])
def test_paging_returns_every_clinic_exactly_once_in_a_stable_order(client, with_synthetic, sort):
    with_synthetic(130)
    total = client.get("/clinics?total=true&limit=1").json["totalCount"]
    assert total == 135

    first_pass = all_pages(client, f"/clinics?sort={sort}", limit=7)
    second_pass = all_pages(client, f"/clinics?sort={sort}", limit=7)

    assert len(first_pass) == total
    assert len(set(first_pass)) == total
    assert first_pass == second_pass
    one_page = client.get(f"/clinics?sort={sort}&limit=100").json["items"]
    assert [c["slug"] for c in one_page] == first_pass[:100]


def test_paging_by_name_follows_the_names(client, with_synthetic):
    with_synthetic(20)
    slugs = all_pages(client, "/clinics?sort=name", limit=6)
    names = [client.get(f"/clinics/{slug}").json["name"].casefold() for slug in slugs]
    assert names == sorted(names)


def test_a_cursor_cannot_be_forged_or_reused_with_another_sort(client, with_synthetic):
    with_synthetic(10)
    cursor = client.get("/clinics?sort=name&limit=3").json["nextCursor"]
    tampered = cursor[:-3] + ("aaa" if not cursor.endswith("aaa") else "bbb")
    for url in (f"/clinics?sort=name&cursor={tampered}", f"/clinics?sort=-district&cursor={cursor}"):
        answer = client.get(url)
        assert answer.status_code == 400
        assert answer.json["code"] == "VALIDATION_FAILED"
        assert answer.json["errors"][0]["field"] == "cursor"


def test_batch_lookup_keeps_order_and_gives_null_for_unknown_slugs(client):
    answer = client.get("/clinics?ids=oracle-skin-clinic,no-such-clinic,asan-medical-center,oracle-skin-clinic")
    assert answer.status_code == 200
    items = answer.json["items"]
    assert [item and item["slug"] for item in items] == [
        "oracle-skin-clinic",
        None,
        "asan-medical-center",
        "oracle-skin-clinic",
    ]


def test_batch_lookup_is_capped_at_100_and_excludes_other_filters(client):
    too_many = ",".join(f"clinic-{i:03d}" for i in range(101))
    assert client.get(f"/clinics?ids={too_many}").status_code == 400
    mixed = client.get("/clinics?ids=oracle-skin-clinic&kind=HOSPITAL")
    assert mixed.status_code == 400
    assert mixed.json["errors"] == [{"field": "kind", "message": "cannot be combined with ids"}]


def slugs(client, query: str) -> set[str]:
    answer = client.get(f"/clinics?limit=100&{query}")
    assert answer.status_code == 200, answer.json
    return {item["slug"] for item in answer.json["items"]}


SEED_HOSPITALS = {"seoul-national-university-hospital-dermatology", "asan-medical-center"}
SEED_PRIVATE = {"oracle-skin-clinic", "banobagi-dermatology", "id-dermatology"}


def test_filters_by_kind_and_district(client):
    assert slugs(client, "kind=HOSPITAL") == SEED_HOSPITALS
    assert slugs(client, "kind=PRIVATE_CLINIC") == SEED_PRIVATE
    assert slugs(client, "district=JONGNO,SONGPA") == SEED_HOSPITALS
    assert slugs(client, "district=APGUJEONG&kind=PRIVATE_CLINIC") == {"banobagi-dermatology"}


def test_filters_by_procedures_offered_and_by_scar_type(client):
    # Subcision and fillers: what the seed says Asan is known for.
    assert "asan-medical-center" in slugs(client, "procedure=SUBCISION,HA_FILLER")
    assert "oracle-skin-clinic" not in slugs(client, "procedure=SUBCISION,HA_FILLER")
    # TCA CROSS is indicated for ice-pick scars; every seed private clinic offers it.
    assert slugs(client, "scarType=ICE_PICK") >= SEED_PRIVATE
    # Steroid injections are for hypertrophic scars; only the hospitals offer them.
    assert "oracle-skin-clinic" not in slugs(client, "scarType=HYPERTROPHIC&procedure=STEROID_INJECTION")
    assert slugs(client, "scarType=HYPERTROPHIC&procedure=STEROID_INJECTION") == SEED_HOSPITALS


def test_filters_by_language_at_each_level(client):
    # ID Dermatology books and writes aftercare in Japanese but has no Japanese interpreter in the room.
    assert "id-dermatology" in slugs(client, "language=ja&languageLevel=booking")
    assert "id-dermatology" not in slugs(client, "language=ja&languageLevel=inRoom")
    assert "id-dermatology" in slugs(client, "language=ja")
    assert slugs(client, "language=th&languageLevel=inRoom") == {"id-dermatology"}
    only_level = client.get("/clinics?languageLevel=inRoom")
    assert only_level.status_code == 400


def test_filters_by_international_services(client):
    assert slugs(client, "service=AIRPORT_PICKUP,KBEAUTY_AFTERCARE") == {"oracle-skin-clinic", "id-dermatology"}


def test_an_expired_accreditation_is_not_valid(client):
    banobagi = client.get("/clinics/banobagi-dermatology").json
    assert banobagi["accreditations"][0]["expiresOn"] < "2026-01-01"
    assert banobagi["accreditations"][0]["valid"] is False
    assert "banobagi-dermatology" not in slugs(client, "accredited=true")
    assert "banobagi-dermatology" in slugs(client, "accredited=false")
    assert slugs(client, "accredited=true") >= SEED_HOSPITALS


def test_name_search_is_case_insensitive_and_works_in_every_language(client):
    assert slugs(client, "q=ORACLE") == {"oracle-skin-clinic"}
    assert slugs(client, "q=oracle%20sk") == {"oracle-skin-clinic"}
    assert slugs(client, "q=asan") == {"asan-medical-center"}
    assert slugs(client, "q=아산") == {"asan-medical-center"}
    assert slugs(client, "q=皮肤科") >= SEED_PRIVATE


@pytest.mark.parametrize("text", [".*", "^O", "oracle|asan", "(a+)+$", '{"$ne": null}', "[a-z]"])
def test_search_text_never_becomes_a_pattern_or_an_operator(client, text):
    from urllib.parse import quote

    answer = client.get(f"/clinics?q={quote(text)}")
    assert answer.status_code in (200, 400)
    if answer.status_code == 200:
        assert answer.json["items"] == [] or all(
            "oracle" in i["slug"] or "asan" in i["slug"] for i in answer.json["items"]
        )
        # A pattern would have matched every clinic; words are matched literally.
        assert len(answer.json["items"]) < 5


def test_a_filter_value_that_looks_like_an_operator_is_refused(client):
    for query in ("kind[$ne]=HOSPITAL", "kind=%7B%22%24ne%22%3A1%7D", "district=%24where", "sort=%24natural"):
        answer = client.get(f"/clinics?{query}")
        assert answer.status_code == 400, query
        assert answer.json["code"] == "VALIDATION_FAILED"


def test_localized_fields_follow_lang_then_accept_language_then_english(client):
    assert client.get("/clinics/oracle-skin-clinic?lang=ko").json["name"] == "오라클피부과"
    by_header = client.get("/clinics/oracle-skin-clinic", headers={"Accept-Language": "ja-JP,ja;q=0.9,en;q=0.5"}).json
    assert (by_header["lang"], by_header["name"]) == ("ja", "オラクル皮膚科")
    # No Korean description in the seed: the English one is served.
    korean = client.get("/clinics/oracle-skin-clinic?lang=ko").json
    assert korean["description"].startswith("Private dermatology clinic")
    unknown = client.get("/clinics/oracle-skin-clinic", headers={"Accept-Language": "fr"}).json
    assert (unknown["lang"], unknown["name"]) == ("en", "Oracle Skin Clinic")


def test_responses_match_the_published_schemas(client):
    page = client.get("/clinics?limit=5&total=true").json
    assert not list(validator("catalogue/clinic-page").iter_errors(page))
    procedures = client.get("/procedures?limit=100").json
    assert not list(validator("catalogue/procedure-page").iter_errors(procedures))
    assert not list(validator("catalogue/scar-type-list").iter_errors(client.get("/scar-types").json))
    problem = client.get("/clinics/nope-nope")
    assert problem.status_code == 404
    assert problem.mimetype == "application/problem+json"
    assert not list(validator("common/problem").iter_errors(problem.json))


def test_procedures_by_scar_type_and_category(client):
    answer = client.get("/procedures?scarType=PIH,PIE&limit=100").json["items"]
    assert {p["code"] for p in answer} == {"LASER_TONING", "CHEMICAL_PEEL", "AZELAIC_ACID", "HYDROQUINONE"}
    oral = client.get("/procedures?category=ORAL").json["items"]
    assert {p["code"] for p in oral} == {"ORAL_ISOTRETINOIN", "ORAL_ANTIBIOTICS"}
    batch = client.get("/procedures?ids=TCA_CROSS,NOPE,PRP").json["items"]
    assert [p and p["code"] for p in batch] == ["TCA_CROSS", None, "PRP"]
