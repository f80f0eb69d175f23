// One package: a quote with the chosen options, then its free dates.
import { gql, memory, prefs, t } from "../api.js";
import { field, h, isoDay, money, problem, render, when } from "../dom.js";

export async function packagePage(id) {
  const data = await gql(`query($id: ID!, $lang: String, $currency: Currency) { package(id: $id, lang: $lang) {
    id title description price(currency: $currency) { amount currency } items { sessions procedure { name } }
    interpreterOptions { language included } followUpPlans { code kind count }
    clinic { name district } } }`, { id, lang: prefs.lang, currency: prefs.currency });
  const pkg = data.package;
  memory.package = pkg;
  const interpreter = h("select", { id: "interpreter" }, h("option", { value: "" }, t("none")),
    pkg.interpreterOptions.map((option) => h("option", { value: option.language },
      new Intl.DisplayNames([prefs.lang], { type: "language" }).of(option.language))));
  const followUp = h("select", { id: "follow-up" }, h("option", { value: "" }, t("none")),
    pkg.followUpPlans.map((plan) => h("option", { value: plan.code }, `${plan.code} (${t(`kind_${plan.kind}`)}, ${plan.count})`)));
  const quoteBox = h("section", { "aria-live": "polite" });
  const slotBox = h("section");
  const quoteForm = h("form", { onsubmit: async (event) => {
    event.preventDefault();
    const answer = await gql(`mutation($input: CreateQuoteInput!) { createQuote(input: $input) {
      quote { id interpreterLanguage followUpPlan base { amount currency } interpreter { amount currency } followUp { amount currency }
        total { amount currency } expiresAt }
      errors { message } } }`, { input: { packageId: id, interpreterLanguage: interpreter.value || null, followUpPlan: followUp.value || null,
      currency: prefs.currency } });
    const result = answer.createQuote;
    if (result.errors.length) { quoteBox.replaceChildren(problem(result.errors[0].message)); return; }
    memory.quote = result.quote;
    const q = result.quote;
    quoteBox.replaceChildren(h("h2", {}, t("quote")), h("table", { id: "quote" }, h("tbody", {},
      [["base", q.base], ["interpreter", q.interpreter], ["followUp", q.followUp], ["total", q.total]].map(([name, line]) =>
        h("tr", {}, h("th", { scope: "row" }, t(name)), h("td", {}, money(line)))))));
    const plan = pkg.followUpPlans.find((p) => p.code === q.followUpPlan);
    await slots(id, slotBox, q.interpreterLanguage, plan?.kind);
  } }, field(t("interpreter"), interpreter), field(t("followUp"), followUp), h("button", { type: "submit" }, t("getQuote")));
  render(h("h1", {}, pkg.title), h("p", {}, `${pkg.clinic.name} · ${pkg.clinic.district} · ${money(pkg.price)}`),
    h("p", {}, pkg.description || ""), h("ul", {}, pkg.items.map((item) => h("li", {}, `${item.procedure.name} × ${item.sessions}`))),
    quoteForm, quoteBox, slotBox);
}

// The starts from which the whole quoted plan can be booked: every visit, with an interpreter in the quote's language
// at each, and the first follow-up of its plan.
async function slots(packageId, box, interpreterLanguage, followUpKind) {
  const data = await gql(`query($id: ID!, $from: Date!, $to: Date!, $lang: String, $kind: FollowUpKind) {
    availableSlots(packageId: $id, from: $from, to: $to, interpreterLanguage: $lang, followUpKind: $kind, first: 12) {
      edges { node { id start free } } } }`,
  { id: packageId, from: isoDay(1), to: isoDay(60), lang: interpreterLanguage || null, kind: followUpKind || null });
  const offered = data.availableSlots.edges.map((edge) => edge.node);
  if (!offered.length) { box.replaceChildren(h("p", {}, t("noSlots"))); return; }
  const form = h("form", { onsubmit: (event) => {
    event.preventDefault();
    const picked = form.querySelector("input:checked");
    if (picked) location.hash = `#/book/${picked.value}`;
  } }, h("fieldset", {}, h("legend", {}, t("slots")), offered.map((slot, index) =>
    h("label", {}, h("input", { type: "radio", name: "slot", value: slot.id, checked: index === 0 }),
      ` ${when(slot.start, "Asia/Seoul")} (${t("seoul")}) · ${slot.free}`))),
  h("button", { type: "submit" }, t("book")));
  box.replaceChildren(form);
}
