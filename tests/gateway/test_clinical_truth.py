"""Clinical truth through the API: where each rule comes from, the patient's assessment in
screening, active acne first, continuous recovery with dated aftercare, and the seed's add-ons."""

from __future__ import annotations

from tests.support import AGENCY_KEY, ICEPICK, PATIENT, book_through, gql, open_slot_through

SOURCE = "source { kind quote note }"


def test_rules_and_facts_say_where_they_come_from(gateway):
    query = """query S($id: ID!) {
      package(id: $id) { screeningRules { code blocking %s } preparation { code %s } recovery { phase fromDay toDay %s }
                         aftercare { code hours %s } facts { fact source { kind } } }
      procedures { code forActiveAcne facts { fact source { kind quote } } cautions { code %s } } }""" % ((SOURCE,) * 5)
    data = gql(gateway, query, {"id": ICEPICK}).json["data"]
    rules = {rule["code"]: rule for rule in data["package"]["screeningRules"]}
    assert rules["DARKER_SKIN_PIH"]["source"]["kind"] == "SEED"
    assert (
        rules["DARKER_SKIN_PIH"]["source"]["quote"] == "Hyperpigmentation in darker skin if sun protection is ignored"
    )
    assert rules["RECENT_ISOTRETINOIN"]["source"]["kind"] == "SAMPLE" and rules["RECENT_ISOTRETINOIN"]["blocking"]
    assert "isotretinoin" in rules["RECENT_ISOTRETINOIN"]["source"]["note"]
    assert all(step["source"]["kind"] == "SEED" for step in data["package"]["preparation"])
    assert [(p["phase"], p["fromDay"], p["toDay"]) for p in data["package"]["recovery"]] == [
        ("IMMEDIATE", 1, 3),
        ("SHORT_TERM", 4, 14),
        ("LONG_TERM", 15, 180),
    ]
    assert data["package"]["aftercare"][0]["source"]["quote"] == "Patients advised to avoid makeup for 24–48 hours."
    assert {f["fact"]: f["source"]["kind"] for f in data["package"]["facts"]}["priceKrw"] == "SAMPLE"
    tca = next(p for p in data["procedures"] if p["code"] == "TCA_CROSS")
    assert tca["facts"][0] == {
        "fact": "indications.ICE_PICK",
        "source": {
            "kind": "SEED",
            "quote": "High-concentration TCA acid applied directly to ice-pick scars, stimulating new collagen.",
        },
    }


def test_active_acne_puts_its_treatments_first(gateway):
    query = """query T($active: Boolean) { treatmentOptions(scarTypes: [PIH], activeAcne: $active) {
      forScarTypes forActiveAcne procedure { code } } }"""
    with_acne = gql(gateway, query, {"active": True}).json["data"]["treatmentOptions"]
    first = [option["procedure"]["code"] for option in with_acne[:3]]
    assert sorted(first) == ["LED_THERAPY", "ORAL_ANTIBIOTICS", "ORAL_ISOTRETINOIN"]
    assert all(option["forActiveAcne"] for option in with_acne[:3]) and not with_acne[3]["forActiveAcne"]
    without = [o["procedure"]["code"] for o in gql(gateway, query, {"active": False}).json["data"]["treatmentOptions"]]
    assert "ORAL_ANTIBIOTICS" not in without and set(without) == {o["procedure"]["code"] for o in with_acne[3:]}


def test_the_assessment_is_screened_kept_with_the_booking_and_dates_the_aftercare(gateway):
    quote = gql(gateway, 'mutation { createQuote(input: {packageId: "%s"}) { quote { id } } }' % ICEPICK).json["data"]
    quote = quote["createQuote"]["quote"]["id"]
    assessment = {
        "scarTypes": ["ICE_PICK", "ROLLING"],
        "acneTreatedBefore": True,
        "topicalCareTried": ["TOPICAL_RETINOID"],
        "isotretinoinLastTaken": "2020-01-15",
    }
    screening = gql(
        gateway,
        """query S($q: ID!, $a: ScreeningAnswersInput!) { screening(quoteId: $q, answers: $a) {
      bookable warnings { code } guidance { code } recommendedBecause { code source { quote } } } }""",
        {
            "q": quote,
            "a": {"fitzpatrickSkinType": "III", "isotretinoinLast6Months": False, "activeAcne": False, **assessment},
        },
    ).json["data"]["screening"]
    assert screening["bookable"] and [w["code"] for w in screening["warnings"]] == ["SCAR_TYPE_MISMATCH"]
    assert [g["code"] for g in screening["guidance"]] == ["AFTERCARE_INFECTION", "AGGRESSIVE_LASER_REDNESS"]
    assert [r["code"] for r in screening["recommendedBecause"]] == [
        "SCARS_PERSIST_DESPITE_TOPICAL_CARE",
        "DEEP_ATROPHIC_OR_RAISED",
    ]

    slot = open_slot_through(gateway, 52, "17:05")
    document = """mutation B($input: CreateBookingInput!) { createBooking(input: $input) {
      booking { reference warnings { code source { kind } } patient { scarTypes topicalCareTried isotretinoinLastTaken } }
      errors { code } } }"""
    made = book_through(gateway, document, quote, slot, {**PATIENT, **assessment})
    assert made["errors"] == [] and made["booking"]["patient"]["scarTypes"] == ["ICE_PICK", "ROLLING"]
    assert made["booking"]["warnings"] == [{"code": "SCAR_TYPE_MISMATCH", "source": {"kind": "SEED"}}]
    plan = gql(
        gateway,
        """query P($r: String!) { booking(reference: $r) { carePlan(lang: "ko") { events { kind code title visit } } } }""",
        {"r": made["booking"]["reference"]},
        key=AGENCY_KEY,
    ).json["data"]["booking"]["carePlan"]["events"]
    no_makeup = [e for e in plan if e["kind"] == "AFTERCARE"]
    assert [e["visit"] for e in no_makeup] == [1, 2, 3] and no_makeup[0][
        "title"
    ] == "시술 후 48시간 동안 화장을 하지 마세요."


def test_the_seeds_add_ons_are_included_and_compared(gateway):
    query = """query C($ids: [ID!]!) { comparePackages(ids: $ids) { rows { fact label values { text best } } } }"""
    snuh = gql(
        gateway,
        '{ packages(first: 5, filter: {clinic: ["seoul-national-university-hospital-dermatology"]}) '
        "{ edges { node { id } } } }",
    ).json["data"]["packages"]["edges"][0]["node"]["id"]
    rows = gql(gateway, query, {"ids": [ICEPICK, snuh]}).json["data"]["comparePackages"]["rows"]
    included = next(row for row in rows if row["fact"] == "INCLUDES")
    assert included["label"] == "Included care"
    oracle, hospital = included["values"]
    assert "Growth-factor serum" in oracle["text"] and "Soothing sheet mask" in oracle["text"] and oracle["best"]
    assert hospital["text"] == "Consultation" and not hospital["best"]


def test_a_clinics_district_says_whether_the_seed_places_it(gateway):
    query = '{ clinic(slug: "id-dermatology") { district sampleFields facts { fact source { kind quote note } } } }'
    clinic = gql(gateway, query).json["data"]["clinic"]
    assert clinic["district"] == "SINSA" and "district" in clinic["sampleFields"]
    (district,) = clinic["facts"]
    assert district["fact"] == "district" and district["source"]["kind"] == "SAMPLE"
    assert "Apgujeong" in district["source"]["note"] and "SINSA itself is not in it" in district["source"]["note"]


def test_active_acne_may_be_left_out_or_null(gateway):
    query = "query T($a: Boolean) { treatmentOptions(scarTypes: [PIE], activeAcne: $a) { forActiveAcne } }"
    for value in (None, False):
        options = gql(gateway, query, {"a": value}).json["data"]["treatmentOptions"]
        assert options and not any(option["forActiveAcne"] for option in options)
