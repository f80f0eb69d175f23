// The booking form: every visit (proposed by the API, each one changeable), the patient, the screening answers
// (screened by the API as they change), and booking.
import { gql, memory, prefs, t, vocabulary } from "../api.js";
import { field, h, money, problem, render, sampleMark, when } from "../dom.js";

export async function bookPage(slotId) {
  const { quote, package: pkg } = memory;
  if (!quote || !pkg) { location.hash = "#/"; return; }
  if (!prefs.key) { render(problem(t("needKey"))); return; }
  const input = (name, type = "text", value = "") => h("input", { id: name, name, type, value, required: true });
  const { fitzpatrickSkinTypes } = await vocabulary();
  const skin = h("select", { id: "fitzpatrick" }, fitzpatrickSkinTypes.map((r, index) => h("option", { value: r, selected: index === 2 }, r)));
  const isotretinoin = h("input", { type: "checkbox", id: "isotretinoin" });
  const activeAcne = h("input", { type: "checkbox", id: "active-acne", checked: Boolean(memory.activeAcne) });
  const warnings = h("div", { id: "warnings", "aria-live": "polite" });
  const submit = h("button", { type: "submit" }, t("confirmBooking"));
  const visits = await visitPicker(quote, pkg, slotId);
  // The answers screening reads, with what the journey knows of the patient: the scar types chosen.
  const answers = () => ({ fitzpatrickSkinType: skin.value, isotretinoinLast6Months: isotretinoin.checked,
    activeAcne: activeAcne.checked, ...(memory.scars ? { scarTypes: memory.scars.split(",") } : {}) });
  // The bookings service screens the answers exactly as it will when booking: nothing is decided here.
  let asked = 0;
  const review = async () => {
    const mine = ++asked;
    const { screening } = await gql(`query($quoteId: ID!, $answers: ScreeningAnswersInput!) { screening(quoteId: $quoteId, answers: $answers) {
      bookable warnings { code text source { kind } } blocking { code text source { kind } } guidance { code text }
      recommendedBecause { code text } } }`, { quoteId: quote.id, answers: answers() });
    if (mine !== asked) return;  // a later change already asked again
    submit.disabled = !screening.bookable || !visits.complete;
    warnings.replaceChildren(
      ...(screening.bookable ? [] : [problem(`${t("blocked")} ${screening.blocking.map((r) => r.text).join(" ")}`)]),
      ...screening.warnings.map((rule) => h("p", { class: "warning", "data-code": rule.code }, `${t("warnings")}: ${rule.text}`,
        sampleMark(rule))),
      ...screening.recommendedBecause.map((reason) => h("p", { class: "reason" }, `${t("recommendedBecause")}: ${reason.text}`)),
      ...screening.guidance.map((rule) => h("p", { class: "guidance" }, rule.text)));
  };
  for (const control of [skin, isotretinoin, activeAcne]) control.addEventListener("change", review);
  const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  const form = h("form", { onsubmit: async (event) => {
    event.preventDefault();
    const patient = { name: form.name.value, email: form.email.value, nationality: form.nationality.value.toUpperCase(),
      preferredLanguage: form.preferredLanguage.value.toLowerCase(), homeTimeZone: form.homeTimeZone.value, ...answers() };
    const answer = await gql(`mutation($input: CreateBookingInput!) { createBooking(input: $input) { booking { reference } errors { field message code } } }`,
      { input: { quoteId: quote.id, slotId, laterSlotIds: visits.later(), patient,
        idempotencyKey: memory.idempotencyKey ||= crypto.randomUUID() } });
    const result = answer.createBooking;
    if (result.errors.length) {
      memory.idempotencyKey = null;  // a refusal is final for its key: a changed request needs a new one
      warnings.replaceChildren(...result.errors.map((e) => problem(visits.explain(e))));
      return;
    }
    memory.idempotencyKey = null;
    location.hash = `#/booking/${result.booking.reference}`;
  } },
  h("fieldset", {}, h("legend", {}, t("patient")), field(t("name"), input("name")), field(t("email"), input("email", "email")),
    field(t("nationality"), input("nationality")), field(t("preferredLanguage"), input("preferredLanguage", "text", prefs.lang)),
    field(t("homeTimeZone"), input("homeTimeZone", "text", timeZone))),
  h("fieldset", {}, h("legend", {}, t("screening")), field(t("fitzpatrick"), skin), field(t("isotretinoin"), isotretinoin),
    field(t("activeAcne"), activeAcne)),
  visits.element, warnings, submit);
  render(h("h1", {}, pkg.title), h("p", {}, `${t("total")}: ${money(quote.total)}`), form);
  await review();
}

// Every visit of the package: the first is the slot chosen; each later one is the API's earliest proposal inside the
// package's window, and may be changed to another start of that window (one with an interpreter when the quote has a
// language; the API checks the windows on booking). Then the first follow-up of the plan, at the time the API proposes.
async function visitPicker(quote, pkg, firstSlotId) {
  const { visitOptions: plan } = await gql(`query($q: ID!, $s: ID!) { visitOptions(quoteId: $q, firstSlotId: $s) {
    complete visits { number earliest latest slot { id start } } trips { arriveBy departFrom visits }
    followUp { kind start slot { id start } } } }`, { q: quote.id, s: firstSlotId });
  const later = plan.visits.filter((visit) => visit.number > 1);
  const windows = later.filter((visit) => visit.earliest).map((visit) => `v${visit.number}: availableSlots(packageId: $p, from: "${visit.earliest}",
    to: "${visit.latest}", interpreterLanguage: $lang, first: 20) { edges { node { id start } } }`);
  const free = windows.length
    ? await gql(`query($p: ID!, $lang: String) { ${windows.join(" ")} }`, { p: pkg.id, lang: quote.interpreterLanguage || null }) : {};
  // The proposal is always offered, with the other starts of its window in time order.
  const choices = (visit) => {
    const others = (free[`v${visit.number}`]?.edges || []).map(({ node }) => node).filter((slot) => slot.id !== visit.slot?.id);
    return [...(visit.slot ? [visit.slot] : []), ...others].sort((a, b) => new Date(a.start) - new Date(b.start));
  };
  const selects = later.map((visit) => h("select", { id: `visit-${visit.number}`, name: `visit-${visit.number}` },
    choices(visit).map((slot) => h("option", { value: slot.id, selected: slot.id === visit.slot?.id }, when(slot.start, "Asia/Seoul")))));
  const first = plan.visits[0];
  const home = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  const followUp = plan.followUp;
  const element = h("fieldset", { id: "visits" }, h("legend", {}, t("yourVisits")),
    h("p", {}, `${t("visit")} 1: ${when(first.slot.start, "Asia/Seoul")}`),
    later.map((visit, index) => visit.slot
      ? field(`${t("visit")} ${visit.number}`, selects[index])
      : problem(`${t("visit")} ${visit.number} — ${t("noSlotInWindow")} ${visit.earliest || ""} – ${visit.latest || ""}`)),
    plan.trips.map((trip, index) => h("p", { class: "trip" },
      `${t("tripLine")} ${index + 1}: ${trip.arriveBy} → ${trip.departFrom} (${t("visits")} ${trip.visits.join(", ")})`)),
    followUp
      ? h("p", { id: "first-follow-up", "data-kind": followUp.kind }, `${t("firstFollowUp")} (${t(`kind_${followUp.kind}`)}): `,
        `${t("seoul")}: ${when(followUp.start, "Asia/Seoul")} · ${t("home")} (${home}): ${when(followUp.start, home)}`)
      : null,
    !plan.complete && !followUp && later.every((visit) => visit.slot) && hasAppointments(pkg, quote)
      ? problem(t("noFollowUpFits")) : null);
  return {
    element,
    complete: plan.complete,
    later: () => selects.map((select) => select.value),
    // A refusal naming laterSlotIds[k] is about visit k + 2.
    explain: (error) => {
      const which = /^laterSlotIds\[(\d+)\]$/.exec(error.field || "");
      return which ? `${t("visit")} ${Number(which[1]) + 2}: ${error.message}` : error.message;
    },
  };
}

// Whether the quoted follow-up plan has appointments (a messaging plan has a window, not times).
function hasAppointments(pkg, quote) {
  const plan = pkg.followUpPlans.find((p) => p.code === quote.followUpPlan);
  return Boolean(plan && plan.kind !== "MESSAGING");
}
