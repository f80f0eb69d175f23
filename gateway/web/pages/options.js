// Treatment options for the scar types, with packages and clinics side by side.
import { gql, memory, prefs, t } from "../api.js";
import { h, money, render, sampleMark } from "../dom.js";

export async function options(scarCodes, acne) {
  memory.scars = scarCodes;
  memory.activeAcne = acne === "active-acne";
  const scars = scarCodes.split(",");
  const data = await gql(`query($scars: [ScarTypeCode!]!, $acne: Boolean, $lang: String, $currency: Currency) {
    treatmentOptions(scarTypes: $scars, activeAcne: $acne, lang: $lang) {
      forScarTypes forActiveAcne
      procedure { code name summary preparation { instruction source { kind } } recovery { phase expectation source { kind } }
                  risks { mild rare } }
      packages { id title pricePerSession(currency: $currency) { amount currency } clinic { slug name kind district } }
    } }`, { scars, acne: memory.activeAcne, lang: prefs.lang, currency: prefs.currency });
  const packages = new Map();
  for (const option of data.treatmentOptions) for (const pkg of option.packages) packages.set(pkg.id, pkg);
  const cheapest = [...packages.values()].sort((a, b) => Number(a.pricePerSession.amount) - Number(b.pricePerSession.amount)).slice(0, 5);
  const nodes = [h("h1", {}, t("options"))];
  if (cheapest.length >= 2) nodes.push(await comparison(cheapest.map((p) => p.id)));
  const clinics = [...new Set([...packages.values()].map((p) => p.clinic.slug))].slice(0, 5);
  if (clinics.length >= 2) nodes.push(await clinicComparison(clinics));
  nodes.push(h("div", { class: "cards" }, data.treatmentOptions.map((option) => h("section", { class: "card" },
    h("h2", {}, option.procedure.name),
    h("p", {}, option.procedure.summary),
    h("p", { class: "muted" }, option.forActiveAcne ? t("forActiveAcne") : option.forScarTypes.join(", ")),
    h("h3", {}, t("preparation")), h("ul", {}, option.procedure.preparation.map((step) => h("li", {}, step.instruction, sampleMark(step)))),
    h("h3", {}, t("recovery")), h("ul", {}, option.procedure.recovery.map((phase) => h("li", {}, `${phase.phase}: ${phase.expectation}`,
      sampleMark(phase)))),
    h("h3", {}, t("risks")), h("p", {}, [...option.procedure.risks.mild, ...option.procedure.risks.rare].join(", ")),
    h("h3", {}, t("packages")),
    h("ul", {}, option.packages.map((pkg) => h("li", {}, h("a", { href: `#/package/${pkg.id}` }, pkg.title), ` — ${pkg.clinic.name}, `,
      money(pkg.pricePerSession), ` ${t("perSession")}`)))))));
  render(...nodes);
}

function comparisonTable(title, table, heading) {
  return h("section", {}, h("h2", {}, title), h("table", {},
    h("caption", { class: "muted" }, `★ = ${t("best")}`),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("fact")), table.columns.map((column) => h("th", { scope: "col" }, heading(column))))),
    h("tbody", {}, table.rows.map((row) => h("tr", {}, h("th", { scope: "row" }, row.label), row.values.map((value) =>
      h("td", { class: value.best ? "best" : null }, value.text ?? "—", value.best ? h("span", { "aria-label": t("best") }, " ★") : null)))))));
}

async function clinicComparison(slugs) {
  const data = await gql(`query($slugs: [String!]!, $lang: String) { compareClinics(slugs: $slugs, lang: $lang) {
    columns { slug name kind district } rows { fact label values { text best } } } }`, { slugs, lang: prefs.lang });
  return comparisonTable(t("compareClinics"), data.compareClinics, (clinic) => [clinic.name, h("br"),
    h("span", { class: "muted" }, `${clinic.kind} · ${clinic.district}`)]);
}

async function comparison(ids) {
  const data = await gql(`query($ids: [ID!]!, $currency: Currency, $lang: String) {
    comparePackages(ids: $ids, options: {currency: $currency}, lang: $lang) { columns { id title clinic { name } } rows { fact label values { text best } } } }`,
  { ids, currency: prefs.currency, lang: prefs.lang });
  return comparisonTable(t("compare"), data.comparePackages, (column) => [h("a", { href: `#/package/${column.id}` }, column.title), h("br"),
    h("span", { class: "muted" }, column.clinic.name)]);
}
