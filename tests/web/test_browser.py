"""The reference frontend in a real browser (Debian's Chromium driven by Playwright), on the real
gateway and services: a patient's journey from scar types to the care plan, and a clinic admin
publishing a package that the patient's search then shows. Accessibility basics are checked on
every page the journeys visit.

With SCREENSHOTS=<dir> the journeys save the screenshots the README shows.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect, sync_playwright

from tests.support import EVERY_DAY, ORACLE, running_service, seoul_day

AGENCY_KEY, ORACLE_KEY = "cbk_demo_agency_seoul_trips", "cbk_demo_oracle_clinic_admin"
OPEN_SLOTS = "mutation($i: OpenSlotsInput!) { openSlots(input: $i) { created skipped slots { id start } } }"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SHOTS = os.environ.get("SCREENSHOTS")
# Every control has a name; every text has 4.5:1 contrast with what is behind it (WCAG AA).
AUDIT = """() => {
  const problems = [];
  for (const el of document.querySelectorAll("input, select, textarea, button, a[href]")) {
    if (el.offsetParent === null && el.type !== "hidden") continue;
    const name = (el.labels && el.labels.length ? el.labels[0].textContent : "") || el.getAttribute("aria-label") || el.textContent;
    if (!name || !name.trim()) problems.push(`no label: ${el.outerHTML.slice(0, 80)}`);
  }
  const rgb = (text) => text.match(/[\\d.]+/g).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
    .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  const background = (el) => { for (; el; el = el.parentElement) { const c = rgb(getComputedStyle(el).backgroundColor);
    if (c.length < 4 || c[3] > 0) return c.slice(0, 3); } return [255, 255, 255]; };
  for (const el of document.querySelectorAll("body *")) {
    if (el.offsetParent === null || ![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
    const [a, b] = [lum(rgb(getComputedStyle(el).color).slice(0, 3)), lum(background(el))];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) problems.push(`contrast ${ratio.toFixed(2)}: ${el.tagName} ${el.textContent.trim().slice(0, 40)}`);
  }
  return problems;
}"""


@pytest.fixture(scope="module")
def site(mongo_uri, mongo_client, catalogue_url, packages_url, bookings_url):
    env = {
        "MONGO_URI": mongo_uri,
        "GATEWAY_DB_NAME": f"test_web_gateway_{uuid.uuid4().hex[:8]}",
        "CATALOGUE_URL": catalogue_url,
        "PACKAGES_URL": packages_url,
        "BOOKINGS_URL": bookings_url,
        "GATEWAY_RATE_LIMIT": "100000/minute",
    }
    subprocess.run(
        [sys.executable, "-m", "gateway", "keys", "demo"],
        env={**os.environ, **env},
        check=True,
        stdout=subprocess.DEVNULL,
    )
    with running_service("gateway", env) as base:
        yield base
    mongo_client.drop_database(env["GATEWAY_DB_NAME"])


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, timezone_id="America/New_York", accept_downloads=True
    )
    page = context.new_page()
    yield page
    context.close()


def audit(page) -> None:
    assert page.evaluate(AUDIT) == []


def shot(page, name: str, part=None) -> None:
    """The whole page, or only ``part`` of it (a locator)."""
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        path = str(Path(SHOTS) / f"{name}.png")
        part.screenshot(path=path) if part else page.screenshot(path=path, full_page=True)


def use_key(page, key: str) -> None:
    page.get_by_label("API key").fill(key)
    page.get_by_label("API key").press("Tab")


def open_oracle_slots(site: str) -> None:
    """The clinic opens slots for the journey (the shared bookings service starts without any)."""
    answer = requests.post(
        f"{site}/graphql",
        headers={"Authorization": f"Bearer {ORACLE_KEY}"},
        timeout=30,
        json={
            "query": OPEN_SLOTS,
            "variables": {
                "i": {
                    "clinic": ORACLE,
                    "from": seoul_day(34),
                    "to": seoul_day(130),  # the later visits too, 28 to 42 days apart
                    "weekdays": ["MON", "TUE", "WED", "THU", "FRI"],
                    "times": ["11:30"],
                    "capacity": 4,
                }
            },
        },
    )
    assert "errors" not in answer.json(), answer.text


def call(site: str, query: str, variables: dict, key: str | None = None) -> dict:
    """A GraphQL call straight to the API, as a partner's or a clinic's server makes it."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    answer = requests.post(
        f"{site}/graphql", json={"query": query, "variables": variables}, headers=headers, timeout=30
    ).json()
    assert "errors" not in answer, answer
    return answer["data"]


def book_via_api(site: str, slots: list[str] | None = None, interpreter: str | None = None) -> str:
    """A partner's booking at Oracle, made straight through the API: on ``slots`` (every visit's) when given, else
    on the first start free in the journey's slots; with an interpreter of that language when given."""
    from services.packages.seed import seed_id

    package = str(seed_id("oracle-icepick-tca-co2"))
    quote = call(
        site,
        "mutation($i: CreateQuoteInput!) { createQuote(input: $i) { quote { id } } }",
        {"i": {"packageId": package, "interpreterLanguage": interpreter}},
    )["createQuote"]["quote"]
    if not slots:
        first = call(
            site,
            "query($id: ID!, $from: Date!, $to: Date!) { availableSlots(packageId: $id, from: $from, to: $to, "
            "first: 1) { edges { node { id } } } }",
            {"id": package, "from": seoul_day(34), "to": seoul_day(45)},
        )["availableSlots"]["edges"][0]["node"]
        slots = [first["id"]]
    patient = {
        "name": "Console Patient",
        "email": "c@example.com",
        "nationality": "GB",
        "preferredLanguage": "en",
        "homeTimeZone": "Europe/London",
        "fitzpatrickSkinType": "II",
        "isotretinoinLast6Months": False,
        "activeAcne": False,
    }
    booking = {"quoteId": quote["id"], "slotId": slots[0], "patient": patient, "idempotencyKey": uuid.uuid4().hex}
    made = call(
        site,
        "mutation($i: CreateBookingInput!) { createBooking(input: $i) { booking { reference } errors { message } } }",
        {"i": {**booking, "laterSlotIds": slots[1:]} if len(slots) > 1 else booking},
        AGENCY_KEY,
    )["createBooking"]
    assert made["errors"] == [], made
    return made["booking"]["reference"]


def open_seat(site: str, days: int, at: str) -> dict:
    """One seat at Oracle ``days`` Seoul days from today at ``at``, for any of its packages: its id and start."""
    day = seoul_day(days)
    rule = {"clinic": ORACLE, "from": day, "to": day, "weekdays": EVERY_DAY, "times": [at], "capacity": 1}
    opened = call(site, OPEN_SLOTS, {"i": rule}, ORACLE_KEY)["openSlots"]["slots"]
    assert len(opened) == 1, opened
    return opened[0]


def booked_on_seats_of_its_own(site: str, days: int, at: str) -> tuple[str, dict]:
    """A booking with an English interpreter whose visits take seats no other test has: ``days``, 30 and 65 days
    from today at ``at`` (visit 2 may move 28 to 37 days after visit 1); its reference and visit 2's slot."""
    seats = [open_seat(site, days + offset, at) for offset in (0, 30, 65)]
    return book_via_api(site, [seat["id"] for seat in seats], interpreter="en"), seats[1]


def test_a_patient_goes_from_scar_types_to_a_care_plan(site, page):
    open_oracle_slots(site)
    page.goto(f"{site}/")
    page.get_by_label("Currency").select_option("USD")
    use_key(page, AGENCY_KEY)
    page.get_by_role("checkbox", name=re.compile("Ice-pick", re.I)).check()
    audit(page)
    shot(page, "1-scar-types")
    page.get_by_role("button", name="Show treatment options").click()

    table = page.locator("table").first
    expect(table).to_contain_text("USD")
    expect(table.locator("td.best").first).to_be_visible()
    clinics = page.locator("section", has=page.get_by_role("heading", name="Clinics side by side")).locator("table")
    expect(clinics).to_contain_text("Oracle Skin Clinic")
    expect(clinics.locator("td.best").first).to_be_visible()
    audit(page)
    shot(page, "2-options-and-comparison")

    page.get_by_role("link", name=re.compile("Ice-pick", re.I)).first.click()
    page.get_by_label("Interpreter language").select_option(index=1)
    page.get_by_label("Follow-up plan").select_option(index=1)
    page.get_by_role("button", name="Get quote").click()
    expect(page.locator("#quote")).to_contain_text("USD")
    expect(page.locator("#quote tr")).to_have_count(4)
    page.get_by_role("radio").first.check()
    audit(page)
    shot(page, "3-quote-and-slots")
    page.get_by_role("button", name="Continue to booking").click()

    visits = page.locator("#visits select")  # visits 2 and 3, proposed inside the window, each changeable
    expect(visits).to_have_count(2)
    expect(page.locator("#first-follow-up")).to_be_visible()
    expect(page.locator("#visits .trip")).to_have_count(3)
    page.get_by_label("Full name").fill("Maya Chen")
    page.get_by_label("Email").fill("maya@example.com")
    page.get_by_label("Nationality (2 letters)").fill("US")
    page.get_by_label("Fitzpatrick skin type").select_option("IV")
    expect(page.locator(".warning")).to_have_count(1)  # warned before anything is sent
    page.get_by_label("Isotretinoin in the last 6 months").check()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_role("button", name="Book now")).to_be_disabled()
    page.get_by_label("Isotretinoin in the last 6 months").uncheck()
    page.get_by_label("Active acne now").check()  # a rule of ours, not the seed's: it says so
    expect(page.locator(".warning[data-code=ACTIVE_ACNE]")).to_contain_text("sample rule, not from the seed")
    expect(page.locator(".guidance").first).to_contain_text("Infection if aftercare is neglected")
    page.get_by_label("Active acne now").uncheck()
    expect(page.locator(".warning")).to_have_count(1)
    audit(page)
    shot(page, "4-booking-form")
    page.get_by_role("button", name="Book now").click()

    expect(page.locator("#reference")).to_have_text(re.compile(r"^CB-[0-9A-Z]{8}$"))
    expect(page.locator("main .warning")).to_have_count(1)  # the screening warning, kept with the booking
    expect(page.locator("#booked-visits li")).to_have_count(3)  # a seat of every visit
    expect(page.locator("main")).not_to_contain_text("[object")
    events = page.locator("#timeline li")
    expect(events.first).to_contain_text("Seoul")
    assert events.count() >= 3
    expect(events.first).to_contain_text("America/New_York")
    with page.expect_download() as download:
        page.locator("#ics").click()
    assert Path(download.value.path()).read_text().startswith("BEGIN:VCALENDAR")
    audit(page)
    shot(page, "5-confirmation-and-care-plan")

    page.get_by_label("Language").select_option("ko")
    expect(page.get_by_role("heading", level=1)).to_have_text("예약 완료")
    expect(page.locator("html")).to_have_attribute("lang", "ko")


def test_a_clinic_admin_publishes_a_package_the_patient_then_finds(site, page):
    open_oracle_slots(site)
    reference = book_via_api(site)
    title = f"Browser ice-pick express {uuid.uuid4().hex[:6]}"
    page.goto(f"{site}/#/admin")
    use_key(page, ORACLE_KEY)
    expect(page.get_by_label("Clinic", exact=True)).to_have_value("oracle-skin-clinic")  # the key's own clinic
    form = page.locator("#create-package")
    form.get_by_label("Title").fill(title)
    form.get_by_label("Scar types").select_option("ICE_PICK")
    form.get_by_label("Price (KRW)").fill("50000")
    form.get_by_role("button", name="Create").click()
    row = page.locator("#packages tr", has_text=title)
    expect(row).to_contain_text("DRAFT")
    row.get_by_label(f"Price (KRW) — {title}").fill("45000")
    row.get_by_label(f"Minimum stay (days) — {title}").fill("6")
    row.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Saved")
    row = page.locator("#packages tr", has_text=title)
    expect(row.get_by_label(f"Price (KRW) — {title}")).to_have_value("45000")
    expect(row.get_by_label(f"Minimum stay (days) — {title}")).to_have_value("6")
    row.get_by_role("button", name="Publish").click()
    expect(page.locator("#packages tr", has_text=title)).to_contain_text("PUBLISHED")

    slots = page.locator("#open-slots")
    slots.get_by_label("Times (HH:MM, comma separated)").fill("16:10")
    slots.get_by_role("button", name="Open slots").click()
    expect(page.get_by_role("status")).to_contain_text("Opened")
    page.locator("#opened button").first.click()
    expect(page.get_by_role("status")).to_have_text("CLOSED")
    booking = page.locator("#bookings tr", has_text=reference)
    booking.get_by_role("button", name="Confirm").click()
    expect(page.locator("#bookings tr", has_text=reference).locator(".status")).to_have_text("BOOKED")
    page.locator("#bookings tr", has_text=reference).get_by_role("button", name="Arrived — Visit 1").click()
    expect(page.locator("#bookings tr", has_text=reference).locator(".status")).to_have_text("ARRIVED")
    audit(page)
    shot(page, "6-clinic-console")

    page.goto(f"{site}/#/options/ICE_PICK")
    # The cheapest now: in the comparison table, and in the list of packages offering TCA CROSS.
    expect(page.locator("table thead a", has_text=title)).to_be_visible()
    expect(page.locator(".card a", has_text=title)).to_be_visible()


def test_a_patient_sees_the_interpreter_of_each_visit_and_the_follow_ups(site, page):
    from services.packages.seed import seed_id

    open_oracle_slots(site)
    page.goto(f"{site}/#/package/{seed_id('oracle-icepick-tca-co2')}")
    use_key(page, AGENCY_KEY)
    page.get_by_label("Interpreter language").select_option("ja")
    page.get_by_label("Follow-up plan").select_option("VIDEO_3")
    page.get_by_role("button", name="Get quote").click()
    expect(page.locator("#quote")).to_be_visible()
    page.get_by_role("radio").first.check()  # a start with Aiko Tanaka free for every visit, and a first call
    page.get_by_role("button", name="Continue to booking").click()

    expect(page.locator("#first-follow-up")).to_contain_text("First follow-up (Video call)")
    page.get_by_label("Full name").fill("Yuki Sato")
    page.get_by_label("Email").fill("yuki@example.com")
    page.get_by_label("Nationality (2 letters)").fill("JP")
    page.get_by_label("Home time zone").fill("Asia/Tokyo")
    page.get_by_role("button", name="Book now").click()

    expect(page.locator("#reference")).to_have_text(re.compile(r"^CB-[0-9A-Z]{8}$"))
    visits = page.locator("#booked-visits li")
    expect(visits).to_have_count(3)
    for index in range(3):  # each visit's own interpreter, with her language, provider and credential
        expect(visits.nth(index).locator(".interpreter")).to_contain_text(
            re.compile(
                r"Aiko Tanaka \(Japanese\) · Seoul Medical Interpreters · .*HRD Korea, valid until \d{4}-\d\d-\d\d"
            )
        )
    follow_ups = page.locator("#follow-ups li")
    expect(follow_ups).to_have_count(3)
    for index in range(3):
        expect(follow_ups.nth(index)).to_contain_text(f"Follow-up {index + 1}: Video call")
        expect(follow_ups.nth(index)).to_contain_text("Home (Asia/Tokyo)")
        expect(follow_ups.nth(index).locator(".interpreter")).to_contain_text("Aiko Tanaka")
    expect(page.locator("#timeline li[data-kind=FOLLOW_UP]")).to_have_count(3)  # the care plan dates them too
    expect(page.locator("main")).not_to_contain_text("[object")
    audit(page)


def test_a_clinic_admin_manages_interpreters_and_consultation_hours(site, page):
    name = f"Yui Sato {uuid.uuid4().hex[:4]}"
    page.goto(f"{site}/#/admin")
    use_key(page, ORACLE_KEY)
    expect(page.locator("#interpreter-list tr", has_text="Hana Lee")).to_be_visible()  # the clinic's own, from the seed
    form = page.locator("#interpreter-form")
    form.get_by_label("Full name").fill(name)
    form.get_by_label("Languages (ISO 639-1, comma separated)").fill("ja, en")
    form.get_by_label("Level").select_option(label="In the treatment room")
    form.get_by_label("MON — from").fill("09:00")
    form.get_by_label("MON — until").fill("18:00")
    form.get_by_label("Credential issuer").fill("HRD Korea")
    form.get_by_label("Credential valid until").fill(seoul_day(700))
    form.get_by_role("button", name="Create").click()
    row = page.locator("#interpreter-list tr", has_text=name)
    expect(row.locator(".languages")).to_have_text("en, ja")
    expect(row.locator(".hours")).to_have_text("MON 09:00–18:00")
    expect(row).to_contain_text("HRD Korea")
    try:
        row.get_by_role("button", name=f"Edit — {name}").click()
        form = page.locator("#interpreter-form")
        form.get_by_label("Languages (ISO 639-1, comma separated)").fill("ja")
        form.get_by_label("TUE — from").fill("10:00")
        form.get_by_label("TUE — until").fill("16:00")
        form.get_by_role("button", name="Save").click()
        row = page.locator("#interpreter-list tr", has_text=name)
        expect(row.locator(".languages")).to_have_text("ja")
        expect(row.locator(".hours")).to_have_text("MON 09:00–18:00, TUE 10:00–16:00")
        audit(page)
    finally:  # offered for no visit of the other tests that share the bookings service
        page.locator("#interpreter-list tr", has_text=name).get_by_role("button", name=f"Deactivate — {name}").click()
    expect(page.locator("#interpreter-list tr", has_text=name).locator(".active")).to_have_text("Inactive")

    hours = page.locator("#consultation-form")
    try:
        hours.get_by_label("Calls at once").fill("2")
        hours.get_by_label("SUN — from").fill("")
        hours.get_by_label("SUN — until").fill("")
        hours.get_by_role("button", name="Save").click()
        expect(page.get_by_role("status")).to_have_text("Saved")
        hours = page.locator("#consultation-form")
        expect(hours).to_contain_text("Source: admin")
        expect(hours.get_by_label("Calls at once")).to_have_value("2")
        expect(hours.get_by_label("SUN — from")).to_have_value("")
        expect(hours.get_by_label("SAT — from")).to_have_value("09:00")
        audit(page)
        shot(page, "7-clinic-interpreters", page.locator("#interpreter-sections"))
    finally:
        restore_consultation_hours(site)


def restore_consultation_hours(site: str) -> None:
    """Oracle's sample consultation hours again, as the other tests sharing the bookings service expect them."""
    sample = json.loads((Path(__file__).resolve().parents[2] / "seed" / "bookings" / "consultations.json").read_text())
    answer = requests.post(
        f"{site}/graphql",
        headers={"Authorization": f"Bearer {ORACLE_KEY}"},
        timeout=30,
        json={
            "query": 'mutation($i: ConsultationHoursInput!) { setConsultationHours(clinic: "oracle-skin-clinic", '
            "input: $i) { errors { message } } }",
            "variables": {"i": {key: sample[key] for key in ("minutes", "calls", "hours")}},
        },
    )
    assert answer.json()["data"]["setConsultationHours"]["errors"] == [], answer.text


def test_the_journey_works_from_the_keyboard(site, page):
    page.goto(f"{site}/")
    expect(page.get_by_role("checkbox").first).to_be_visible()
    # Each page puts focus on its content; Tab then walks its controls in order.
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_attribute("value", "ICE_PICK")
    page.keyboard.press("Space")
    expect(page.get_by_role("checkbox").first).to_be_checked()
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.tagName") == "BUTTON":
            break
    expect(page.locator(":focus")).to_have_text("Show treatment options")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Treatment options")
    expect(page.locator("table").first).to_be_visible()


def test_a_partner_accepts_the_time_a_clinic_offers_for_a_slot_it_closed(site, page):
    reference, held = booked_on_seats_of_its_own(site, 241, "14:20")
    spare = open_seat(site, 241 + 32, "14:20")  # where visit 2 may move, inside its window

    page.goto(f"{site}/#/admin")
    use_key(page, ORACLE_KEY)
    page.locator("#close-day").get_by_label("Day (Seoul)").fill(held["start"][:10])
    seat = page.locator(f"#day-slots li[data-slot='{held['id']}']")
    expect(seat).to_contain_text("1/1 seats taken")
    seat.get_by_role("button").click()
    expect(page.get_by_role("status")).to_have_text("CLOSED")
    visit = page.locator("#bookings tr", has_text=reference).locator("li[data-visit='2']")
    expect(visit.locator(".visit-status")).to_have_text("CHANGE_PROPOSED")
    expect(visit.locator(".proposal")).to_contain_text("The clinic closed this visit's time.")
    expect(visit.locator(".proposal")).to_contain_text("Times offered instead: ")
    expect(page.locator("main")).not_to_contain_text("[object")
    audit(page)

    use_key(page, AGENCY_KEY)
    page.goto(f"{site}/#/booking/{reference}")
    visit = page.locator("#booked-visits > li[data-visit='2']")
    expect(visit.locator(".visit-status")).to_have_text("CHANGE_PROPOSED")
    expect(visit.locator(".proposal")).to_contain_text(
        "The clinic proposes a change: The clinic closed this visit's time."
    )
    offered = visit.locator(f".alternatives li[data-slot='{spare['id']}']")
    expect(offered).to_contain_text("Home (Europe/London)")
    expect(offered.locator(".interpreter")).to_contain_text(re.compile(r"(Hana Lee|Minji Park) \(English\)"))
    expect(page.locator("#timeline li[data-kind=VISIT]", has_text="(tentative)")).to_have_count(1)
    audit(page)
    shot(page, "8-change-proposed", page.locator("#booked-visits"))
    page.get_by_label("Language").select_option("ko")
    expect(page.locator("#booked-visits > li[data-visit='2'] .proposal")).to_contain_text(
        "병원이 일정 변경을 제안합니다"
    )
    audit(page)
    page.get_by_label("언어").select_option("en")

    offered.get_by_role("button", name=re.compile(r"^Accept this time — Visit 2")).click()
    expect(page.get_by_role("status")).to_have_text("Change accepted: the visit is booked at its new time.")
    expect(page.locator("#reference")).to_have_text(reference)
    visit = page.locator("#booked-visits > li[data-visit='2']")
    expect(visit.locator(".visit-status")).to_have_text("BOOKED")
    expect(visit.locator("time")).to_have_attribute("datetime", spare["start"])
    expect(page.locator(".proposal")).to_have_count(0)
    expect(page.locator("#timeline")).not_to_contain_text("(tentative)")


def test_a_partner_declines_a_change_after_the_clinic_closes_a_day_and_sees_the_refund(site, page):
    reference, held = booked_on_seats_of_its_own(site, 251, "14:40")  # no other seat in visit 2's window

    page.goto(f"{site}/#/admin")
    use_key(page, ORACLE_KEY)
    form = page.locator("#close-day")
    form.get_by_label("Day (Seoul)").fill(held["start"][:10])
    expect(page.locator(f"#day-slots li[data-slot='{held['id']}']")).to_contain_text("1/1 seats taken")
    form.get_by_label("Reason (recorded with each booking affected)").fill("Laser maintenance")
    form.get_by_role("button", name="Close the day").click()
    for count in ("slotsClosed", "visitsProposed", "bookingsAffected"):
        expect(page.locator(f"#day-closed [data-count={count}]")).to_have_text("1")
    expect(page.locator(f"#day-slots li[data-slot='{held['id']}'] .slot-status")).to_have_text("CLOSED")
    proposal = page.locator("#bookings tr", has_text=reference).locator("li[data-visit='2'] .proposal")
    expect(proposal).to_contain_text("(Laser maintenance)")
    expect(proposal).to_contain_text("No other time fits")
    expect(page.locator("main")).not_to_contain_text("[object")
    audit(page)
    shot(page, "9-clinic-closes-a-day", form)

    use_key(page, AGENCY_KEY)
    page.goto(f"{site}/#/booking/{reference}")
    visit = page.locator("#booked-visits > li[data-visit='2']")
    expect(visit.locator(".proposal")).to_contain_text("(Laser maintenance)")
    visit.get_by_role("button", name="Decline: cancel this visit with a full refund — Visit 2").click()
    expect(page.get_by_role("status")).to_have_text("Change declined: the visit is cancelled.")
    visit = page.locator("#booked-visits > li[data-visit='2']")
    expect(visit.locator(".visit-status")).to_have_text("CANCELLED")
    expect(visit.locator(".refund")).to_have_text(re.compile(r"^Refunded: \d+(\.\d+)? [A-Z]{3} \(100 %\)$"))
    expect(page.locator("#booking-status")).to_have_text("PENDING")  # visits 1 and 3 stay
    audit(page)
