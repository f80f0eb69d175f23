"""Patient data only for the agency that booked and the clinic that treats: never another agency,
another clinic, an anonymous caller, or an error message."""

from __future__ import annotations

import uuid

import requests

from services.common.config import Settings
from services.common.tokens import Principal, mint
from tests.support import AGENCY_KEY, ASAN_KEY, ORACLE_KEY, OTHER_AGENCY_KEY, PLATFORM_KEY, gql, seoul_day

PATIENT = {
    "name": "Priya Confidential",
    "email": "priya.confidential@example.com",
    "nationality": "IN",
    "preferredLanguage": "en",
    "homeTimeZone": "Asia/Kolkata",
    "fitzpatrickSkinType": "IV",
    "isotretinoinLast6Months": False,
    "activeAcne": False,
}
ORACLE_ICEPICK = "oracle-icepick-tca-co2"
READ = """query One($ref: String!) { booking(reference: $ref) { reference patient { name email } carePlan { tripsNeeded } } }"""
LIST = """{ bookings(first: 100) { edges { node { reference patient { name email } } } } }"""


def book(gateway) -> str:
    from services.packages.seed import seed_id

    package = str(seed_id(ORACLE_ICEPICK))
    quote = gql(
        gateway, "mutation Q($id: ID!) { createQuote(input: {packageId: $id}) { quote { id } } }", {"id": package}
    )
    opened = gql(
        gateway,
        """mutation Open($input: OpenSlotsInput!) { openSlots(input: $input) { slots { id } } }""",
        {
            "input": {
                "clinic": "oracle-skin-clinic",
                "from": seoul_day(40),
                "to": seoul_day(46),
                "weekdays": ["MON", "TUE", "WED", "THU", "FRI"],
                "times": ["15:45"],
                "capacity": 3,
            }
        },
        key=ORACLE_KEY,
    )
    slots = [
        edge["node"]
        for edge in gql(
            gateway,
            "query S($id: ID!, $from: Date!, $to: Date!) { availableSlots(packageId: $id, from: $from, to: $to, first: 5) "
            "{ edges { node { id } } } }",
            {"id": package, "from": seoul_day(40), "to": seoul_day(46)},
        ).json["data"]["availableSlots"]["edges"]
    ]
    assert opened.status_code == 200 and slots
    later = {  # every day the later visits may fall on
        "clinic": "oracle-skin-clinic",
        "from": seoul_day(68),
        "to": seoul_day(130),
        "weekdays": ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"],
        "times": ["15:45"],
        "capacity": 20,
    }
    gql(gateway, "mutation O($i: OpenSlotsInput!) { openSlots(input: $i) { created } }", {"i": later}, key=ORACLE_KEY)
    booked = gql(
        gateway,
        """mutation B($input: CreateBookingInput!) { createBooking(input: $input) { booking { reference } errors { code } } }""",
        {
            "input": {
                "quoteId": quote.json["data"]["createQuote"]["quote"]["id"],
                "slotId": slots[0]["id"],
                "patient": PATIENT,
                "idempotencyKey": uuid.uuid4().hex,
            }
        },
        key=AGENCY_KEY,
    ).json
    return booked["data"]["createBooking"]["booking"]["reference"]


def test_patient_data_reaches_only_the_booking_agency_and_the_treating_clinic(gateway, bookings_url):
    reference = book(gateway)
    for key in (AGENCY_KEY, ORACLE_KEY, PLATFORM_KEY):
        seen = gql(gateway, READ, {"ref": reference}, key=key).json["data"]["booking"]
        assert (
            seen["patient"] == {"name": PATIENT["name"], "email": PATIENT["email"]}
            and seen["carePlan"]["tripsNeeded"] >= 1
        )
    for key in (OTHER_AGENCY_KEY, ASAN_KEY, None):
        answer = gql(gateway, READ, {"ref": reference}, key=key)
        assert answer.json["data"] is None or answer.json["data"]["booking"] is None
        listed = gql(gateway, LIST, key=key)
        assert reference not in listed.get_data(as_text=True)
        for text in (answer.get_data(as_text=True), listed.get_data(as_text=True)):
            assert "Priya" not in text and "confidential@" not in text
        for mutation in ("cancelBooking", "confirmBooking"):
            changed = gql(
                gateway,
                f'mutation {{ {mutation}(reference: "{reference}") {{ booking {{ status }} errors {{ code }} }} }}',
                key=key,
            ).get_data(as_text=True)
            assert (
                "Priya" not in changed
                and '"status": "CANCELLED"' not in changed
                and '"status":"CANCELLED"' not in changed
            )
    assert gql(gateway, READ, {"ref": reference}, key=AGENCY_KEY).json["data"]["booking"]["reference"] == reference

    # The bookings service says the same to a direct caller with another agency's token: 404, not 403.
    stranger = mint(
        Principal(role="AGENCY", subject="stranger", agency="busan-travel"), Settings(service="x").token_secret, 60
    )
    for path in (f"/bookings/{reference}", f"/bookings/{reference}/care-plan", f"/bookings/{reference}/care-plan.ics"):
        answer = requests.get(f"{bookings_url}{path}", headers={"Authorization": f"Bearer {stranger}"}, timeout=10)
        assert answer.status_code == 404 and "Priya" not in answer.text
