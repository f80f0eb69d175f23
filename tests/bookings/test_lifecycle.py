"""The FHIR-like lifecycle, refunds from the booking's own policy, and who sees what."""

from __future__ import annotations

import pytest

from tests.support import AGENCY, ORACLE, booking_count, in_days, seat_count

PATHS = {  # how to reach each state of a three-visit booking from PENDING
    "PENDING": [],
    "BOOKED": ["confirm"],
    "ARRIVED": ["confirm", "arrive"],
    "FULFILLED": ["confirm", *["arrive", "fulfill"] * 3],
    "NOSHOW": ["confirm", *["no-show"] * 3],
    "CANCELLED": ["cancel"],
}
ACTIONS = ("confirm", "arrive", "fulfill", "no-show", "cancel")
ALLOWED = {  # (state, action): the booking's status after, and the history entry (from, to, visit)
    ("PENDING", "confirm"): ("BOOKED", ("PENDING", "BOOKED", None)),
    ("PENDING", "cancel"): ("CANCELLED", ("PENDING", "CANCELLED", None)),
    ("BOOKED", "arrive"): ("ARRIVED", ("BOOKED", "ARRIVED", 1)),
    ("BOOKED", "no-show"): ("BOOKED", ("BOOKED", "NOSHOW", 1)),  # two visits are still to come
    ("BOOKED", "cancel"): ("CANCELLED", ("BOOKED", "CANCELLED", None)),
    ("ARRIVED", "fulfill"): ("BOOKED", ("ARRIVED", "FULFILLED", 1)),
}


@pytest.fixture
def clinic_admin(bearer):
    return bearer("CLINIC_ADMIN", clinic=ORACLE)


def act(client, reference, action, headers, reason=None):
    if reason is None:
        return client.post(f"/bookings/{reference}/{action}", headers=headers)
    return client.post(f"/bookings/{reference}/{action}", json={"reason": reason}, headers=headers)


@pytest.mark.parametrize("state", list(PATHS))
def test_every_allowed_transition_works_and_every_other_is_409(bookings, client, open_slot, book, clinic_admin, state):
    slot = open_slot(in_days(40), capacity=10)
    for action in ACTIONS:
        reference = book(slot).json["reference"]
        for step in PATHS[state]:
            assert act(client, reference, step, clinic_admin).status_code == 200
        answer = act(client, reference, action, clinic_admin, reason="checked")
        if (state, action) in ALLOWED:
            status, entry = ALLOWED[(state, action)]
            assert answer.status_code == 200, (state, action, answer.json)
            assert answer.json["status"] == status
            last = answer.json["history"][-1]
            assert (last["from"], last["to"], last["visit"], last["by"], last["reason"]) == (
                *entry,
                "test-clinic_admin",
                "checked",
            )
        else:
            assert answer.status_code == 409, (state, action)
            assert answer.json["code"] == "INVALID_TRANSITION"


@pytest.mark.parametrize("days,percent", [(40, 100), (20, 50), (10, 20), (2, 0)])
def test_cancelling_refunds_by_the_policy_tiers_and_frees_the_seat(
    bookings, client, open_slot, book, agency, days, percent
):
    # The seed policy: 30+ days before the first visit 100%, 14+ 50%, 3+ 20%, less 0%.
    slot = open_slot(in_days(days), capacity=1)
    created = book(slot).json
    assert seat_count(bookings, slot["id"]) == 1
    cancelled = act(client, created["reference"], "cancel", agency, reason="changed plans")
    assert cancelled.status_code == 200
    refund = cancelled.json["refund"]
    assert (refund["percent"], refund["daysBefore"]) == (percent, days)
    assert refund["krw"] == created["price"]["total"]["krw"] * percent // 100
    assert seat_count(bookings, slot["id"]) == 0
    assert book(slot).status_code == 201  # the seat can be taken again


def test_only_the_clinic_moves_a_booking_forward(client, open_slot, book, agency, bearer):
    reference = book(open_slot(in_days(20))).json["reference"]
    assert act(client, reference, "confirm", agency).status_code == 403
    other_clinic = bearer("CLINIC_ADMIN", clinic="asan-medical-center")
    assert act(client, reference, "confirm", other_clinic).status_code == 404
    assert act(client, reference, "confirm", bearer("PLATFORM_ADMIN")).status_code == 200


def test_an_agency_never_sees_another_agencys_bookings(bookings, client, open_slot, book, bearer):
    slot = open_slot(in_days(20), capacity=5)
    mine = book(slot).json["reference"]
    rival = bearer("AGENCY", agency="busan-travel")
    theirs = book(slot, headers=rival).json["reference"]
    assert client.get(f"/bookings/{theirs}", headers=bearer("AGENCY", agency=AGENCY)).status_code == 404
    assert act(client, theirs, "cancel", bearer("AGENCY", agency=AGENCY)).status_code == 404
    listed = client.get("/bookings?limit=100", headers=bearer("AGENCY", agency=AGENCY)).json["items"]
    assert [b["reference"] for b in listed] == [mine]
    batch = client.get(f"/bookings?ids={mine},{theirs}", headers=bearer("AGENCY", agency=AGENCY)).json["items"]
    assert [b and b["reference"] for b in batch] == [mine, None]
    assert "Maya Chen" not in client.get(f"/bookings?ids={theirs}", headers=bearer("AGENCY", agency=AGENCY)).get_data(
        as_text=True
    )
    # The treating clinic sees both; another clinic sees neither; a platform admin sees all.
    assert len(client.get("/bookings", headers=bearer("CLINIC_ADMIN", clinic=ORACLE)).json["items"]) == 2
    assert client.get("/bookings", headers=bearer("CLINIC_ADMIN", clinic="id-dermatology")).json["items"] == []
    assert (
        client.get(f"/bookings?clinic={ORACLE}", headers=bearer("CLINIC_ADMIN", clinic="id-dermatology")).status_code
        == 403
    )
    assert client.get("/bookings?total=true", headers=bearer("PLATFORM_ADMIN")).json["totalCount"] == 2
    assert client.get(f"/bookings/{mine}").status_code == 401
    assert booking_count(bookings) == 2


def test_lists_page_newest_first_and_filter_by_status(client, open_slot, book, bearer, clinic_admin):
    slot = open_slot(in_days(20), capacity=10)
    references = [book(slot).json["reference"] for _ in range(5)]
    act(client, references[0], "confirm", clinic_admin)
    seen, cursor = [], None
    while True:
        page = client.get("/bookings?limit=2" + (f"&cursor={cursor}" if cursor else ""), headers=clinic_admin).json
        seen += [b["reference"] for b in page["items"]]
        cursor = page["nextCursor"]
        if not cursor:
            break
    assert seen == list(reversed(references))
    confirmed = client.get("/bookings?status=BOOKED", headers=clinic_admin).json["items"]
    assert [b["reference"] for b in confirmed] == [references[0]]
