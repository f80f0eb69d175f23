"""treatmentOptions: from a patient's scar types to the procedures indicated, who offers them, and their packages."""

from __future__ import annotations

import requests

from tests.support import gql

OPTIONS = """
query Options($scars: [ScarTypeCode!]!) {
  treatmentOptions(scarTypes: $scars) {
    forScarTypes
    procedure { code name indications }
    clinics { slug procedures { code } }
    packages { id priceKrw items { procedureCode } }
  }
}"""


def test_treatment_options_follow_the_knowledge_base_and_the_listings(gateway, catalogue_url):
    answer = gql(gateway, OPTIONS, {"scars": ["ICE_PICK", "HYPERTROPHIC"]}).json
    assert "errors" not in answer, answer
    options = answer["data"]["treatmentOptions"]
    indicated = requests.get(
        f"{catalogue_url}/procedures", params={"scarType": "ICE_PICK,HYPERTROPHIC", "limit": 100}, timeout=5
    ).json()["items"]
    assert sorted(o["procedure"]["code"] for o in options) == sorted(p["code"] for p in indicated)
    assert {"TCA_CROSS", "STEROID_INJECTION"} <= {o["procedure"]["code"] for o in options}
    for option in options:
        code = option["procedure"]["code"]
        assert option["forScarTypes"] == [
            s for s in ("ICE_PICK", "HYPERTROPHIC") if s in option["procedure"]["indications"]
        ]
        assert option["forScarTypes"], code
        assert all(code in {p["code"] for p in clinic["procedures"]} for clinic in option["clinics"])
        assert all(code in {i["procedureCode"] for i in package["items"]} for package in option["packages"])
        prices = [package["priceKrw"] for package in option["packages"]]
        assert prices == sorted(prices)
    assert any(option["clinics"] and option["packages"] for option in options)


def test_treatment_options_ask_for_offers_only_when_they_are_selected(gateway, count_calls):
    answer = gql(gateway, "{ treatmentOptions(scarTypes: [ROLLING]) { procedure { name } forScarTypes } }").json
    assert "errors" not in answer and answer["data"]["treatmentOptions"]
    assert count_calls == {"catalogue": 1}
