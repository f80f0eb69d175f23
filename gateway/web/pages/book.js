// The booking form: the patient, the screening answers (screened by the API as they change), and booking.
import { gql, memory, prefs, t, vocabulary } from "../api.js";
import { field, h, money, problem, render, sampleMark } from "../dom.js";

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
    submit.disabled = !screening.bookable;
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
      { input: { quoteId: quote.id, slotId, patient, idempotencyKey: memory.idempotencyKey ||= crypto.randomUUID() } });
    const result = answer.createBooking;
    if (result.errors.length) { warnings.replaceChildren(...result.errors.map((e) => problem(e.message))); return; }
    memory.idempotencyKey = null;
    location.hash = `#/booking/${result.booking.reference}`;
  } },
  h("fieldset", {}, h("legend", {}, t("patient")), field(t("name"), input("name")), field(t("email"), input("email", "email")),
    field(t("nationality"), input("nationality")), field(t("preferredLanguage"), input("preferredLanguage", "text", prefs.lang)),
    field(t("homeTimeZone"), input("homeTimeZone", "text", timeZone))),
  h("fieldset", {}, h("legend", {}, t("screening")), field(t("fitzpatrick"), skin), field(t("isotretinoin"), isotretinoin),
    field(t("activeAcne"), activeAcne)),
  warnings, submit);
  render(h("h1", {}, pkg.title), h("p", {}, `${t("total")}: ${money(quote.total)}`), form);
  await review();
}
