// The clinic's console: its packages, new slots, a day's slots (each one closed, or the whole day), its interpreters
// and consultation hours, and its bookings through their lifecycle, visit by visit, with the changes it proposed.
import { gql, prefs, t, vocabulary } from "../api.js";
import { field, h, isoDay, problem, render, when } from "../dom.js";
import { interpreterSections } from "./interpreters.js";

// The words for the lifecycle steps the API lists (the steps themselves come from the API).
const STEP_LABELS = { confirmBooking: "confirm", markArrived: "arrived", markFulfilled: "fulfilled", markNoShow: "noShow",
  cancelBooking: "cancel" };

export async function admin() {
  if (!prefs.key) { render(h("h1", {}, t("navAdmin")), problem(t("needKey"))); return; }
  const { packageStatuses, scarTypes, weekdays, bookingSteps } = await vocabulary();
  const mine = await gql("{ viewer { role clinic } }");
  const clinic = mine.viewer?.clinic || sessionStorage.getItem("clinic") || "";
  const clinicInput = h("input", { id: "clinic", type: "text", value: clinic, required: true });
  const list = h("section", { id: "packages" });
  const notice = h("p", { role: "status" });
  const loadPackages = async () => {
    if (!clinicInput.value) return;
    sessionStorage.setItem("clinic", clinicInput.value);
    const rows = [];
    for (const status of packageStatuses) {
      const data = await gql(`query($clinic: [String!], $status: String) { packages(first: 100, filter: {clinic: $clinic, status: $status}) {
        edges { node { id title status version priceKrw sessionIntervalDays minimumStayDays } } } }`, { clinic: [clinicInput.value], status });
      rows.push(...data.packages.edges.map((edge) => edge.node));
    }
    list.replaceChildren(h("h2", {}, t("yourPackages")), h("table", {}, h("thead", {}, h("tr", {},
      [t("title"), t("status"), t("priceKrw"), t("intervalDays"), t("minimumStay"), ""].map((label) => h("th", { scope: "col" }, label)))),
    h("tbody", {}, rows.map((pkg) => {
      const number = (value, label) => h("input", { type: "number", min: 1, value, "aria-label": `${t(label)} — ${pkg.title}` });
      const price = number(pkg.priceKrw, "priceKrw");
      const interval = number(pkg.sessionIntervalDays, "intervalDays");
      const stay = number(pkg.minimumStayDays, "minimumStay");
      const act = (mutation, extra = "") => async () => {
        const changes = { priceKrw: Number(price.value), sessionIntervalDays: Number(interval.value), minimumStayDays: Number(stay.value) };
        const answer = await gql(`mutation($id: ID!${extra ? ", $input: PackagePatchInput!" : ""}) { ${mutation}(id: $id${extra}) { package { id status } errors { message } } }`,
          extra ? { id: pkg.id, input: changes } : { id: pkg.id });
        notice.textContent = answer[mutation].errors.map((e) => e.message).join(" ") || t("saved");
        await loadPackages();
      };
      return h("tr", { "data-id": pkg.id }, h("td", {}, pkg.title), h("td", {}, pkg.status), h("td", {}, price), h("td", {}, interval),
        h("td", {}, stay),
        h("td", {}, h("button", { type: "button", class: "secondary", onclick: act("updatePackage", ", input: $input") }, t("save")), " ",
          pkg.status === "DRAFT" ? h("button", { type: "button", onclick: act("publishPackage") }, t("publish")) : null, " ",
          pkg.status !== "ARCHIVED" ? h("button", { type: "button", class: "secondary", onclick: act("archivePackage") }, t("archive")) : null));
    }))));
  };
  const create = h("form", { id: "create-package", onsubmit: async (event) => {
    event.preventDefault();
    const f = create.elements;
    const answer = await gql(`mutation($input: PackageInput!) { createPackage(input: $input) { package { id } errors { field message } } }`,
      { input: { clinic: clinicInput.value, title: { en: f.title.value }, scarTypes: [f.scarType.value],
        items: [{ procedure: f.procedure.value, sessions: Number(f.sessions.value) }], sessionIntervalDays: Number(f.interval.value),
        priceKrw: Number(f.price.value), minimumStayDays: Number(f.stay.value), interpreterOptions: [{ language: "en", included: true }],
        cancellationPolicy: { tiers: [{ daysBefore: 7, refundPercent: 100 }, { daysBefore: 0, refundPercent: 0 }] } } });
    const result = answer.createPackage;
    notice.textContent = result.errors.map((e) => `${e.field || ""} ${e.message}`).join(" ") || t("created");
    await loadPackages();
  } }, h("fieldset", {}, h("legend", {}, t("createPackage")),
    field(t("title"), h("input", { name: "title", type: "text", required: true })),
    field(t("scarTypes"), h("select", { name: "scarType" }, scarTypes.map((c) => h("option", {}, c)))),
    field(t("procedure"), h("input", { name: "procedure", type: "text", value: "TCA_CROSS", required: true })),
    field(t("sessions"), h("input", { name: "sessions", type: "number", value: 2, min: 1, required: true })),
    field(t("intervalDays"), h("input", { name: "interval", type: "number", value: 28, min: 1, required: true })),
    field(t("priceKrw"), h("input", { name: "price", type: "number", value: 900000, min: 0, required: true })),
    field(t("minimumStay"), h("input", { name: "stay", type: "number", value: 5, min: 1, required: true })),
    h("button", { type: "submit" }, t("create"))));
  const slotsForm = h("form", { id: "open-slots", onsubmit: async (event) => {
    event.preventDefault();
    const f = slotsForm.elements;
    const answer = await gql(`mutation($input: OpenSlotsInput!) { openSlots(input: $input) { created skipped slots { id start } errors { message } } }`,
      { input: { clinic: clinicInput.value, from: f.from.value, to: f.to.value, capacity: Number(f.capacity.value),
        weekdays: [...slotsForm.querySelectorAll("input[name=weekday]:checked")].map((box) => box.value),
        times: f.times.value.split(",").map((s) => s.trim()).filter(Boolean) } });
    const result = answer.openSlots;
    notice.textContent = result.errors.map((e) => e.message).join(" ") || `${t("opened")}: ${result.created}`;
    openedList.replaceChildren(...result.slots.map((slot) => h("li", {}, `${when(slot.start, "Asia/Seoul")} `, closeButton(slot))));
  } }, h("fieldset", {}, h("legend", {}, t("openSlots")),
    field(t("from"), h("input", { name: "from", type: "date", value: isoDay(14), required: true })),
    field(t("to"), h("input", { name: "to", type: "date", value: isoDay(20), required: true })),
    h("fieldset", {}, h("legend", {}, t("weekdays")), weekdays.map((day, index) =>
      h("label", {}, h("input", { type: "checkbox", name: "weekday", value: day, checked: index < 5 }), ` ${day}`))),
    field(t("times"), h("input", { name: "times", type: "text", value: "10:00, 14:00", required: true })),
    field(t("capacity"), h("input", { name: "capacity", type: "number", value: 2, min: 1, required: true })),
    h("button", { type: "submit" }, t("open"))));
  const openedList = h("ul", { id: "opened" });
  // Closing a slot that visits hold proposes a change of each one to its agency: the bookings show it.
  const closeButton = (slot) => h("button", { type: "button", class: "secondary", onclick: async () => {
    const closed = await gql("mutation($id: ID!) { closeSlot(id: $id) { slot { status } errors { message } } }", { id: slot.id });
    notice.textContent = closed.closeSlot.errors.map((e) => e.message).join(" ") || closed.closeSlot.slot.status;
    await Promise.all([loadDay(), loadBookings()]);
  } }, `${t("close")} ${when(slot.start, "Asia/Seoul")}`);
  // One Seoul day: its slots with their seats taken, each one closed on its own, or all of them with closeClinicDay.
  const dayInput = h("input", { name: "day", type: "date", value: isoDay(14), required: true });
  const daySlots = h("ul", { id: "day-slots" });
  const dayCounts = h("div", { id: "day-closed" });
  const loadDay = async () => {
    if (!clinicInput.value || !dayInput.value) return;
    let data;
    try {
      data = await gql(`query($clinic: String, $day: Date!) { slots(clinic: $clinic, filter: {from: $day, to: $day}, first: 100) {
        edges { node { id start capacity booked status } } } }`, { clinic: clinicInput.value, day: dayInput.value });
    } catch (error) {  // a day past, or a clinic this key does not manage: the rest of the console stays
      daySlots.replaceChildren(h("li", {}, problem(error.message)));
      return;
    }
    const slots = data.slots.edges.map((edge) => edge.node);
    daySlots.replaceChildren(...(slots.length ? slots.map((slot) => h("li", { "data-slot": slot.id },
      `${when(slot.start, "Asia/Seoul")} · ${slot.booked}/${slot.capacity} ${t("seatsTaken")} · `,
      h("span", { class: "slot-status" }, slot.status), " ", slot.status === "CLOSED" ? null : closeButton(slot)))
      : [h("li", {}, t("noSlotsThatDay"))]));
  };
  const dayForm = h("form", { id: "close-day", onsubmit: async (event) => {
    event.preventDefault();
    const answer = await gql(`mutation($input: CloseClinicDayInput!) { closeClinicDay(input: $input) {
      closed { date slotsClosed visitsProposed bookingsAffected } errors { message } } }`,
    { input: { clinic: clinicInput.value, date: dayInput.value, reason: dayForm.elements.reason.value.trim() || null } });
    const { closed, errors } = answer.closeClinicDay;
    notice.textContent = errors.map((e) => e.message).join(" ") || `${t("dayClosed")}: ${closed.date}`;
    dayCounts.replaceChildren(closed ? h("dl", { class: "counts" },
      [["slotsClosed", closed.slotsClosed], ["visitsProposed", closed.visitsProposed], ["bookingsAffected", closed.bookingsAffected]]
        .flatMap(([name, count]) => [h("dt", {}, t(name)), h("dd", { "data-count": name }, count)])) : "");
    await Promise.all([loadDay(), loadBookings()]);
  } }, h("fieldset", {}, h("legend", {}, t("closeDay")), field(t("day"), dayInput),
    field(t("closeReason"), h("input", { name: "reason", type: "text" })), h("button", { type: "submit" }, t("closeTheDay")),
    dayCounts, h("h3", {}, t("daySlots")), daySlots));
  dayInput.addEventListener("change", () => { dayCounts.replaceChildren(); loadDay(); });
  // The steps this caller may take, as the lifecycle says: of the whole booking from its status, and of each visit
  // from the visit's status (the booking's status allowing).
  const mayTake = (step, status) => step.from.includes(status) && step.roles.includes(mine.viewer?.role);
  const wholeSteps = (status) => bookingSteps.filter((step) => !step.visitFrom.length && mayTake(step, status));
  const visitSteps = (status, visit) => bookingSteps.filter((step) => step.visitFrom.includes(visit.status) && mayTake(step, status));
  const take = (mutation, reference, visit) => async () => {
    const answer = await gql(`mutation($ref: String!${visit ? ", $visit: Int" : ""}) { ${mutation}(reference: $ref${visit ? ", visit: $visit" : ""}) {
      booking { status } errors { message } } }`, visit ? { ref: reference, visit } : { ref: reference });
    notice.textContent = answer[mutation].errors.map((e) => e.message).join(" ") || answer[mutation].booking.status;
    await loadBookings();
  };
  // A visit the clinic changed shows why (with the note it gave) and the times its agency was offered.
  const proposal = (node, visit) => {
    const change = visit.proposedChange;
    if (!change) return null;
    const note = node.history.filter((entry) => entry.visit === visit.number && entry.visitChange?.to === "CHANGE_PROPOSED").at(-1)?.reason;
    return h("p", { class: "proposal" }, t(`reason_${change.reason}`), note ? ` (${note})` : null, h("br"),
      change.alternatives.length
        ? `${t("alternatives")}: ${change.alternatives.map((slot) => when(slot.start, "Asia/Seoul")).join(", ")}`
        : t("noAlternatives"));
  };
  const visitList = (node) => h("ol", { class: "visits" }, node.visits.map((visit) => h("li", { "data-visit": visit.number },
    `${when(visit.start, "Asia/Seoul")} · `, h("span", { class: "visit-status" }, visit.status), " ",
    visitSteps(node.status, visit).map(({ mutation }) => h("button", { type: "button", class: "secondary",
      "aria-label": `${t(STEP_LABELS[mutation] || mutation)} — ${t("visit")} ${visit.number}`, onclick: take(mutation, node.reference, visit.number) },
    t(STEP_LABELS[mutation] || mutation))), proposal(node, visit))));
  const bookingsBody = h("tbody");
  const loadBookings = async () => {
    const data = await gql(`{ bookings(first: 50) { edges { node { reference status clinic packageTitle slotStart patient { name }
      visits { number start status proposedChange { reason alternatives { start } } } history { visit reason visitChange { to } } } } } }`);
    bookingsBody.replaceChildren(...data.bookings.edges.map(({ node }) => h("tr", { "data-reference": node.reference },
      h("td", {}, node.reference), h("td", {}, node.patient.name), h("td", {}, visitList(node)), h("td", { class: "status" }, node.status),
      h("td", {}, wholeSteps(node.status).map(({ mutation }) => h("button", { type: "button", class: "secondary",
        onclick: take(mutation, node.reference) }, t(STEP_LABELS[mutation] || mutation)))))));
  };
  const bookingsTable = h("table", { id: "bookings" }, h("thead", {}, h("tr", {}, [t("reference"), t("patient"), t("visits"), t("status"), ""].map((label) =>
    h("th", { scope: "col" }, label)))), bookingsBody);
  const interpreters = h("div", { id: "interpreter-sections" });
  const loadInterpreters = async () => {
    if (!clinicInput.value) return;
    try {
      interpreters.replaceChildren(...await interpreterSections(clinicInput.value, notice));
    } catch (error) {  // a key that manages no interpreters still sees the rest of the console
      interpreters.replaceChildren(problem(error.message));
    }
  };
  clinicInput.addEventListener("change", loadPackages);
  clinicInput.addEventListener("change", loadInterpreters);
  clinicInput.addEventListener("change", loadDay);
  render(h("h1", {}, t("navAdmin")), field(t("clinic"), clinicInput), notice, list, create, slotsForm, openedList, dayForm,
    interpreters, h("h2", {}, t("bookings")), bookingsTable);
  await Promise.all([loadPackages(), loadInterpreters(), loadDay(), loadBookings()]);
}
