"""Every mutation against every role: who may do it, and that everyone else is refused with
UNAUTHENTICATED, FORBIDDEN or NOT_FOUND (an object another party owns does not exist for them)."""

from __future__ import annotations

import itertools
import uuid

import pytest

from gateway.schema import schema
from services.bookings.seed import interpreter_id
from services.common.clock import utc_date, utcnow
from tests.support import (
    AGENCY_KEY,
    ASAN_KEY,
    ICEPICK,
    ORACLE_KEY,
    OTHER_AGENCY_KEY,
    PACKAGE_INPUT,
    PATIENT,
    PLATFORM_KEY,
    gql,
    open_later_through,
    seoul_day,
)

QUOTE = """mutation Q($input: CreateQuoteInput!) { createQuote(input: $input) { quote { id } errors { code } } }"""
BOOK = """mutation B($input: CreateBookingInput!) { createBooking(input: $input) { booking { reference } errors { code } } }"""
ROLES = {
    "anonymous": None,
    "agency": AGENCY_KEY,
    "other agency": OTHER_AGENCY_KEY,
    "oracle admin": ORACLE_KEY,
    "asan admin": ASAN_KEY,
    "platform": PLATFORM_KEY,
}
REFUSED = {"UNAUTHENTICATED", "FORBIDDEN", "FORBIDDEN_FIELD", "NOT_FOUND"}
PAYLOAD = "errors { code }"
DAYS = itertools.count(100)  # each test's slots on a day of their own


def refusal(answer, name: str) -> str | None:
    """The authorization code of an answer, top-level or in the payload; None if it was not refused as such."""
    body = answer.json
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        if code in REFUSED:
            return code
    payload = (body.get("data") or {}).get(name) or {}
    return next((e["code"] for e in payload.get("errors") or [] if e["code"] in REFUSED), None)


@pytest.fixture
def objects(gateway, mongo_client, webhooks_service):
    """An Oracle draft package, an Oracle slot, a booking of the agency at Oracle, and a webhook endpoint of the
    agency with one delivery."""
    draft = gql(
        gateway,
        "mutation C($input: PackageInput!) { createPackage(input: $input) { package { id } } }",
        {"input": PACKAGE_INPUT},
        key=ORACLE_KEY,
    ).json["data"]["createPackage"]["package"]["id"]
    days = next(DAYS)
    day = seoul_day(days)
    slots = gql(
        gateway,
        """mutation O($input: OpenSlotsInput!) { openSlots(input: $input) { slots { id } } }""",
        {
            "input": {
                "clinic": "oracle-skin-clinic",
                "from": day,
                "to": day,
                "weekdays": ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"],
                "times": ["08:15", "08:45"],
                "capacity": 5,
            }
        },
        key=ORACLE_KEY,
    ).json["data"]["openSlots"]["slots"]
    open_later_through(gateway, days, "08:20")  # visits 2 and 3, at a time no first visit has
    quote = gql(gateway, QUOTE, {"input": {"packageId": ICEPICK}}).json["data"]["createQuote"]["quote"]
    booking = gql(
        gateway,
        BOOK,
        {
            "input": {
                "quoteId": quote["id"],
                "slotId": slots[0]["id"],
                "patient": PATIENT,
                "idempotencyKey": uuid.uuid4().hex,
            }
        },
        key=AGENCY_KEY,
    ).json["data"]["createBooking"]
    webhook = gql(
        gateway,
        'mutation { createWebhook(input: {url: "http://127.0.0.1:9/hook", events: [BOOKING_CREATED]}) '
        "{ created { webhook { id } } } }",
        key=AGENCY_KEY,
    ).json["data"]["createWebhook"]["created"]["webhook"]["id"]
    delivery = f"{webhook}:{uuid.uuid4().hex}"
    now = utcnow()
    mongo_client[webhooks_service["database"]].deliveries.insert_one(
        {
            "_id": delivery,
            "endpoint": webhook,
            "owner": "agency:seoul-trips",
            "event": {"id": delivery.split(":")[1], "type": "booking.created", "at": "", "resource": {}, "data": {}},
            "state": "FAILED",
            "attempts": 9,
            "retry_until": now,
            "created_at": now,
            "created_key": f"{now.isoformat()}:{delivery}",
            "day": utc_date(now).isoformat(),
        }
    )
    return {
        "webhook": webhook,
        "delivery": delivery,
        "draft": draft,
        "slot": slots[1]["id"],
        "booking": booking["booking"]["reference"],
        "quote": quote["id"],
        "free_slot": slots[0]["id"],
        "interpreter": str(interpreter_id("clinic:oracle-skin-clinic", "Hana Lee")),
        "quiet_day": seoul_day(390),  # a day no test opens a slot on: closing it changes nothing
    }


CASES = {
    # mutation: (the parties allowed by role and by scope, a document formatted with the objects)
    "createPackage": (
        {"oracle admin", "platform"},
        'mutation { createPackage(input: {clinic: "oracle-skin-clinic", title: {en: "Authz"}, scarTypes: [BOXCAR], '
        'items: [{procedure: "TCA_CROSS", sessions: 1}], sessionIntervalDays: 7, priceKrw: 100000, '
        "cancellationPolicy: {tiers: [{daysBefore: 0, refundPercent: 0}]}, minimumStayDays: 7}) { package { id } %s } }",
    ),
    "updatePackage": (
        {"oracle admin", "platform"},
        'mutation { updatePackage(id: "{draft}", input: {priceKrw: 123000}) { package { id } %s } }',
    ),
    "archivePackage": (
        {"oracle admin", "platform"},
        'mutation { archivePackage(id: "{draft}") { package { id } %s } }',
    ),
    "openSlots": (
        {"oracle admin", "platform"},
        'mutation { openSlots(input: {clinic: "oracle-skin-clinic", from: "{day}", to: "{day}", weekdays: ["MON", "TUE", "WED", "THU", '
        '"FRI", "SAT", "SUN"], times: ["07:00"], capacity: 1}) { created %s } }',
    ),
    "closeSlot": ({"oracle admin", "platform"}, 'mutation { closeSlot(id: "{slot}") { slot { id } %s } }'),
    "updateClinic": (
        {"oracle admin", "platform"},
        'mutation { updateClinic(slug: "oracle-skin-clinic", input: {contact: {phone: "+82 2 0000 0000"}}) { clinic { slug } %s } }',
    ),
    "createClinic": (
        {"platform"},
        'mutation { createClinic(input: {slug: "authz-{suffix}", kind: PRIVATE_CLINIC, name: {en: "Authz"}, district: "GANGNAM"}) { clinic { slug } %s } }',
    ),
    # The platform passes authorization and is then refused for the empty table: no rates change.
    "updateExchangeRates": (
        {"platform"},
        'mutation { updateExchangeRates(input: {asOf: "2026-01-01", rates: []}) { exchangeRates { asOf } %s } }',
    ),
    "createBooking": (
        {"agency", "other agency"},
        'mutation { createBooking(input: {quoteId: "{quote}", slotId: "{free_slot}", idempotencyKey: "authz-{suffix}", patient: '
        '{name: "A", email: "a@example.com", nationality: "US", preferredLanguage: "en", homeTimeZone: "UTC", fitzpatrickSkinType: II, '
        "isotretinoinLast6Months: false, activeAcne: false}}) { booking { reference } %s } }",
    ),
    "confirmBooking": (
        {"oracle admin", "platform"},
        'mutation { confirmBooking(reference: "{booking}") { booking { status } %s } }',
    ),
    "cancelBooking": (
        {"agency", "oracle admin", "platform"},
        'mutation { cancelBooking(reference: "{booking}") { booking { status } %s } }',
    ),
    "publishPackage": (
        {"oracle admin", "platform"},
        'mutation { publishPackage(id: "{draft}") { package { id } %s } }',
    ),
    "markArrived": (
        {"oracle admin", "platform"},
        'mutation { markArrived(reference: "{booking}") { booking { status } %s } }',
    ),
    "markFulfilled": (
        {"oracle admin", "platform"},
        'mutation { markFulfilled(reference: "{booking}") { booking { status } %s } }',
    ),
    "markNoShow": (
        {"oracle admin", "platform"},
        'mutation { markNoShow(reference: "{booking}") { booking { status } %s } }',
    ),
    # The agency that booked and the clinic that treats may move a visit; anyone else is told it does not exist.
    "rescheduleVisit": (
        {"agency", "oracle admin", "platform"},
        'mutation { rescheduleVisit(input: {reference: "{booking}", visit: 1, slotId: "{slot}", idempotencyKey: '
        '"authz-{suffix}"}) { booking { reference } %s } }',
    ),
    # The same parties may move a follow-up (the booking here has none: UNKNOWN_FOLLOW_UP, a business error).
    "rescheduleFollowUp": (
        {"agency", "oracle admin", "platform"},
        'mutation { rescheduleFollowUp(input: {reference: "{booking}", followUp: 1, start: "{day}T09:00:00+09:00", '
        'idempotencyKey: "authz-{suffix}"}) { booking { reference } %s } }',
    ),
    # Only the agency that booked decides on a change the clinic proposed (visit 1 has none here: INVALID_TRANSITION,
    # a business error); another agency is told the booking does not exist, the clinic may not decide for the patient.
    "acceptProposedChange": (
        {"agency"},
        'mutation { acceptProposedChange(input: {reference: "{booking}", visit: 1, slotId: "{slot}", idempotencyKey: '
        '"authz-{suffix}"}) { booking { reference } %s } }',
    ),
    "declineProposedChange": (
        {"agency"},
        'mutation { declineProposedChange(input: {reference: "{booking}", visit: 1, idempotencyKey: "authz-{suffix}"}) '
        "{ booking { reference } %s } }",
    ),
    # A clinic's admins close their own clinic's day; another clinic's may not.
    "closeClinicDay": (
        {"oracle admin", "platform"},
        'mutation { closeClinicDay(input: {clinic: "oracle-skin-clinic", date: "{quiet_day}"}) { closed { slotsClosed } %s } }',
    ),
    # The clinic marks its follow-ups held or missed.
    "markFollowUpHeld": (
        {"oracle admin", "platform"},
        'mutation { markFollowUpHeld(reference: "{booking}", followUp: 1) { booking { status } %s } }',
    ),
    "markFollowUpMissed": (
        {"oracle admin", "platform"},
        'mutation { markFollowUpMissed(reference: "{booking}", followUp: 1) { booking { status } %s } }',
    ),
    # Agencies hold seats (the quote here is locked by the booking, or another agency's: business errors, not refusals).
    "holdVisits": (
        {"agency", "other agency"},
        'mutation { holdVisits(input: {quoteId: "{quote}", slotIds: ["{free_slot}"], idempotencyKey: "authz-{suffix}"}) '
        "{ hold { id } %s } }",
    ),
    "releaseHold": ({"agency", "other agency"}, 'mutation { releaseHold(id: "%s") { released %%s } }' % ("0" * 32)),
    # An endpoint belongs to an agency or a clinic, and is its owner's alone; platform admins may send one again.
    "createWebhook": (
        {"agency", "other agency", "oracle admin", "asan admin"},
        'mutation { createWebhook(input: {url: "http://127.0.0.1:9/h", events: [PACKAGE_UPDATED]}) '
        "{ created { secret } %s } }",
    ),
    "updateWebhook": (
        {"agency"},
        'mutation { updateWebhook(id: "{webhook}", input: {enabled: true}) { webhook { id } %s } }',
    ),
    "rotateWebhookSecret": ({"agency"}, 'mutation { rotateWebhookSecret(id: "{webhook}") { created { secret } %s } }'),
    "deleteWebhook": ({"agency"}, 'mutation { deleteWebhook(id: "{webhook}") { deletedId %s } }'),
    "redeliverWebhook": (
        {"agency", "platform"},
        'mutation { redeliverWebhook(deliveryId: "{delivery}") { delivery { state } %s } }',
    ),
    # A clinic's admins add to their own coordinators; platform admins name a provider (else a business error).
    "createInterpreter": (
        {"oracle admin", "asan admin", "platform"},
        'mutation { createInterpreter(input: {name: "Authz", languages: ["en"], level: IN_ROOM}) { interpreter { id } %s } }',
    ),
    "updateInterpreter": (
        {"oracle admin", "platform"},
        'mutation { updateInterpreter(id: "{interpreter}", input: {active: true}) { interpreter { id } %s } }',
    ),
    "createInterpreterProvider": (
        {"platform"},
        'mutation { createInterpreterProvider(input: {id: "authz-{suffix}", name: "Authz", clinics: ["oracle-skin-clinic"]}) '
        "{ provider { id } %s } }",
    ),
    "updateInterpreterProvider": (
        {"platform"},
        'mutation { updateInterpreterProvider(id: "seoul-medical-interpreters", input: {noticeHours: 72}) { provider { id } %s } }',
    ),
    # A clinic's admins set their own clinic's consultation hours (here the seed's own, so other tests see the same).
    "setConsultationHours": (
        {"oracle admin", "platform"},
        'mutation { setConsultationHours(clinic: "oracle-skin-clinic", input: {minutes: 30, calls: 1, hours: ['
        + ", ".join(
            f'{{weekday: "{day}", from: "09:00", to: "12:00"}}'
            for day in ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
        )
        + "]}) { consultationHours { clinic } %s } }",
    ),
    # Platform admins record registrations and fee agreements (here the seed's own, so other tests see the same).
    "recordFacilitatorRegistration": (
        {"platform"},
        'mutation { recordFacilitatorRegistration(agency: "busan-travel", input: {name: "Busan Travel (sample)", '
        'number: "FA-SAMPLE-0002", issuedOn: "2026-03-01", expiresOn: "2029-02-28"}) { registration { number } %s } }',
    ),
    "recordInstitutionRegistration": (
        {"platform"},
        'mutation { recordInstitutionRegistration(clinic: "id-dermatology", input: {name: "아이디피부과의원 (ID '
        'Dermatology)", number: "FP-SAMPLE-0005", category: CLINIC, issuedOn: "2026-07-01", expiresOn: "2029-06-30"}) '
        "{ registration { number } %s } }",
    ),
    "setCommissionAgreement": (
        {"platform"},
        'mutation { setCommissionAgreement(agency: "seoul-trips", clinic: "asan-medical-center", ratePercent: "10") '
        "{ agreement { ratePercent } %s } }",
    ),
    # Anyone may quote, without a key too.
    "createQuote": (set(ROLES), 'mutation { createQuote(input: {packageId: "{package}"}) { quote { id } %s } }'),
}


@pytest.mark.parametrize("name", sorted(schema.graphql_schema.mutation_type.fields))
def test_every_mutation_refuses_every_role_it_is_not_for(gateway, objects, name):
    """The mutations come from the schema: a new one fails here until it has its case."""
    assert name in CASES, f"{name} has no case: say who may call it and how"
    allowed, document = CASES[name]
    day = seoul_day(90)
    for role, key in ROLES.items():
        values = {**objects, "day": day, "suffix": uuid.uuid4().hex[:8], "package": ICEPICK}
        text = document % PAYLOAD
        for field, value in values.items():
            text = text.replace("{" + field + "}", value)
        answer = gql(gateway, text, key=key)
        code = refusal(answer, name)
        if role in allowed:
            assert code is None, (name, role, answer.json)
        else:
            assert code is not None, (name, role, answer.json)
