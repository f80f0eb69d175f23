// ClinicBridge reference frontend: a partner's patient journey and a clinic's console, on the public GraphQL API only.
import { TEXT } from "./i18n.js";

const prefs = {
  get lang() { return localStorage.getItem("lang") || "en"; },
  get currency() { return localStorage.getItem("currency") || "USD"; },
  get key() { return sessionStorage.getItem("apiKey") || ""; },
};
const memory = {};  // what one page hands the next: the quote and the package being booked
const t = (name) => (TEXT[prefs.lang] || TEXT.en)[name] || TEXT.en[name] || name;

async function gql(query, variables = {}) {
  const headers = { "Content-Type": "application/json", "Accept-Language": prefs.lang };
  if (prefs.key) headers.Authorization = `Bearer ${prefs.key}`;
  const answer = await fetch("/graphql", { method: "POST", headers, body: JSON.stringify({ query, variables }) });
  const body = await answer.json();
  if (body.errors && !body.data) throw new Error(body.errors.map((e) => e.message).join(" "));
  if (body.errors) console.warn(body.errors);
  return body.data;
}

// Elements are built, never parsed from text: content from the API cannot become markup.
function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, "");
    else if (value !== false && value != null) element.setAttribute(name, value);
  }
  for (const child of children.flat()) if (child != null) element.append(child.nodeType ? child : String(child));
  return element;
}
const field = (label, control) => h("label", {}, h("span", {}, label), " ", control);
const money = (m) => (m ? `${m.amount} ${m.currency}` : "—");
const when = (iso, timeZone) => new Intl.DateTimeFormat(prefs.lang, { timeZone, weekday: "short", year: "numeric", month: "short",
  day: "numeric", hour: "2-digit", minute: "2-digit" }).format(new Date(iso));
const problem = (message) => h("p", { class: "error", role: "alert" }, message);

function render(...nodes) {
  const main = document.getElementById("main");
  main.replaceChildren(...nodes);
  main.focus();
}

// -- the patient's journey ------------------------------------------------------------------------

async function home() {
  const data = await gql("query($lang: String) { scarTypes(lang: $lang) { code name description } }", { lang: prefs.lang });
  const chosen = new Set((memory.scars || "").split(",").filter(Boolean));
  const form = h("form", { onsubmit: (event) => {
    event.preventDefault();
    const scars = [...form.querySelectorAll("input:checked")].map((box) => box.value);
    if (scars.length) location.hash = `#/options/${scars.join(",")}`;
  } },
  h("fieldset", {}, h("legend", {}, t("scarTitle")),
    data.scarTypes.map((scar) => h("label", {}, h("input", { type: "checkbox", name: "scar", value: scar.code, checked: chosen.has(scar.code) }),
      " ", h("strong", {}, scar.name), " — ", h("span", { class: "muted" }, scar.description)))),
  h("button", { type: "submit" }, t("showOptions")));
  render(h("h1", {}, t("scarTitle")), form);
}

async function options(scarCodes) {
  memory.scars = scarCodes;
  const scars = scarCodes.split(",");
  const data = await gql(`query($scars: [ScarTypeCode!]!, $lang: String, $currency: Currency) {
    treatmentOptions(scarTypes: $scars, lang: $lang) {
      forScarTypes
      procedure { code name summary preparation { instruction } recovery { phase expectation } risks { mild rare } }
      packages { id title pricePerSession(currency: $currency) { amount currency } clinic { slug name kind district } }
    } }`, { scars, lang: prefs.lang, currency: prefs.currency });
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
    h("p", { class: "muted" }, option.forScarTypes.join(", ")),
    h("h3", {}, t("preparation")), h("ul", {}, option.procedure.preparation.map((step) => h("li", {}, step.instruction))),
    h("h3", {}, t("recovery")), h("ul", {}, option.procedure.recovery.map((phase) => h("li", {}, `${phase.phase}: ${phase.expectation}`))),
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

async function packagePage(id) {
  const data = await gql(`query($id: ID!, $lang: String, $currency: Currency) { package(id: $id, lang: $lang) {
    id title description price(currency: $currency) { amount currency } items { sessions procedure { name } }
    interpreterOptions { language included } followUpPlans { code kind count }
    screeningRules { code text blocking appliesWhen { fitzpatrickAtLeast isotretinoinWithinMonths activeAcne } }
    clinic { name district } } }`, { id, lang: prefs.lang, currency: prefs.currency });
  const pkg = data.package;
  memory.package = pkg;
  const interpreter = h("select", { id: "interpreter" }, h("option", { value: "" }, t("none")),
    pkg.interpreterOptions.map((option) => h("option", { value: option.language },
      new Intl.DisplayNames([prefs.lang], { type: "language" }).of(option.language))));
  const followUp = h("select", { id: "follow-up" }, h("option", { value: "" }, t("none")),
    pkg.followUpPlans.map((plan) => h("option", { value: plan.code }, `${plan.code} (${plan.kind}, ${plan.count})`)));
  const quoteBox = h("section", { "aria-live": "polite" });
  const slotBox = h("section");
  const quoteForm = h("form", { onsubmit: async (event) => {
    event.preventDefault();
    const answer = await gql(`mutation($input: CreateQuoteInput!) { createQuote(input: $input) {
      quote { id base { amount currency } interpreter { amount currency } followUp { amount currency } total { amount currency } expiresAt }
      errors { message } } }`, { input: { packageId: id, interpreterLanguage: interpreter.value || null, followUpPlan: followUp.value || null,
      currency: prefs.currency } });
    const result = answer.createQuote;
    if (result.errors.length) { quoteBox.replaceChildren(problem(result.errors[0].message)); return; }
    memory.quote = result.quote;
    const q = result.quote;
    quoteBox.replaceChildren(h("h2", {}, t("quote")), h("table", { id: "quote" }, h("tbody", {},
      [["base", q.base], ["interpreter", q.interpreter], ["followUp", q.followUp], ["total", q.total]].map(([name, line]) =>
        h("tr", {}, h("th", { scope: "row" }, t(name)), h("td", {}, money(line)))))));
    await slots(id, slotBox);
  } }, field(t("interpreter"), interpreter), field(t("followUp"), followUp), h("button", { type: "submit" }, t("getQuote")));
  render(h("h1", {}, pkg.title), h("p", {}, `${pkg.clinic.name} · ${pkg.clinic.district} · ${money(pkg.price)}`),
    h("p", {}, pkg.description || ""), h("ul", {}, pkg.items.map((item) => h("li", {}, `${item.procedure.name} × ${item.sessions}`))),
    quoteForm, quoteBox, slotBox);
}

function isoDay(offset) {
  const day = new Date(Date.now() + offset * 86400000);
  return day.toISOString().slice(0, 10);
}

async function slots(packageId, box) {
  const data = await gql("query($id: ID!, $from: Date!, $to: Date!) { availability(packageId: $id, from: $from, to: $to, first: 12) { edges { node { id start free } } } }",
    { id: packageId, from: isoDay(1), to: isoDay(60) });
  const offered = data.availability.edges.map((edge) => edge.node);
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

function triggered(rule, answers) {
  const when = rule.appliesWhen;
  if (when.fitzpatrickAtLeast != null) return answers.fitzpatrick >= when.fitzpatrickAtLeast;
  if (when.isotretinoinWithinMonths != null) return answers.isotretinoin;
  if (when.activeAcne != null) return answers.activeAcne === when.activeAcne;
  return false;
}

function bookPage(slotId) {
  const { quote, package: pkg } = memory;
  if (!quote || !pkg) { location.hash = "#/"; return; }
  if (!prefs.key) { render(problem(t("needKey"))); return; }
  const input = (name, type = "text", value = "") => h("input", { id: name, name, type, value, required: true });
  const roman = ["I", "II", "III", "IV", "V", "VI"];
  const skin = h("select", { id: "fitzpatrick" }, roman.map((r, index) => h("option", { value: r, selected: index === 2 }, r)));
  const isotretinoin = h("input", { type: "checkbox", id: "isotretinoin" });
  const activeAcne = h("input", { type: "checkbox", id: "active-acne" });
  const warnings = h("div", { id: "warnings", "aria-live": "polite" });
  const submit = h("button", { type: "submit" }, t("confirmBooking"));
  const answers = () => ({ fitzpatrick: skin.selectedIndex + 1, isotretinoin: isotretinoin.checked, activeAcne: activeAcne.checked });
  const review = () => {
    const hits = pkg.screeningRules.filter((rule) => triggered(rule, answers()));
    const blocking = hits.filter((rule) => rule.blocking);
    submit.disabled = blocking.length > 0;
    warnings.replaceChildren(...(blocking.length ? [problem(`${t("blocked")} ${blocking.map((r) => r.text).join(" ")}`)] : []),
      ...hits.filter((rule) => !rule.blocking).map((rule) => h("p", { class: "warning", "data-code": rule.code }, `${t("warnings")}: ${rule.text}`)));
  };
  for (const control of [skin, isotretinoin, activeAcne]) control.addEventListener("change", review);
  const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  const form = h("form", { onsubmit: async (event) => {
    event.preventDefault();
    const patient = { name: form.name.value, email: form.email.value, nationality: form.nationality.value.toUpperCase(),
      preferredLanguage: form.preferredLanguage.value.toLowerCase(), homeTimeZone: form.homeTimeZone.value,
      fitzpatrickSkinType: skin.value, isotretinoinLast6Months: isotretinoin.checked, activeAcne: activeAcne.checked };
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
  review();
}

async function bookingPage(reference) {
  const data = await gql(`query($ref: String!) { booking(reference: $ref) { reference status packageTitle total { amount currency }
    warnings { code text } carePlan { tripsNeeded homeTimeZone ical events { kind title start { seoul home } } } } }`, { ref: reference });
  const booking = data.booking;
  if (!booking) { render(problem(reference)); return; }
  const plan = booking.carePlan;
  const ics = URL.createObjectURL(new Blob([plan.ical], { type: "text/calendar" }));
  render(h("h1", {}, t("confirmed")), h("p", {}, `${t("reference")}: `, h("strong", { id: "reference" }, booking.reference), ` · ${booking.status}`),
    h("p", {}, `${booking.packageTitle} · ${money(booking.total)} · ${t("trips")}: ${plan.tripsNeeded}`),
    ...booking.warnings.map((w) => h("p", { class: "warning" }, w.text)),
    h("h2", {}, t("carePlan")),
    h("ol", { class: "timeline", id: "timeline" }, plan.events.map((event) => h("li", {}, h("strong", {}, event.title), h("br"),
      `${t("seoul")}: ${when(event.start.seoul, "Asia/Seoul")} · ${t("home")} (${plan.homeTimeZone}): ${when(event.start.home, plan.homeTimeZone)}`))),
    h("a", { href: ics, download: `${booking.reference}.ics`, id: "ics" }, t("ics")));
}

// -- the clinic's console -------------------------------------------------------------------------

async function admin() {
  if (!prefs.key) { render(h("h1", {}, t("navAdmin")), problem(t("needKey"))); return; }
  const mine = await gql(`{ viewer { role clinic }
    bookings(first: 50) { edges { node { reference status clinic packageTitle slotStart patient { name } } } } }`);
  const clinic = mine.viewer?.clinic || sessionStorage.getItem("clinic") || "";
  const clinicInput = h("input", { id: "clinic", type: "text", value: clinic, required: true });
  const list = h("section", { id: "packages" });
  const notice = h("p", { role: "status" });
  const loadPackages = async () => {
    if (!clinicInput.value) return;
    sessionStorage.setItem("clinic", clinicInput.value);
    const rows = [];
    for (const status of ["DRAFT", "PUBLISHED", "ARCHIVED"]) {
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
    field(t("scarTypes"), h("select", { name: "scarType" }, ["ICE_PICK", "BOXCAR", "ROLLING", "HYPERTROPHIC", "PIH", "PIE"].map((c) => h("option", {}, c)))),
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
    openedList.replaceChildren(...result.slots.map((slot) => h("li", {}, `${when(slot.start, "Asia/Seoul")} `, h("button", { type: "button", class: "secondary",
      onclick: async () => {
        const closed = await gql("mutation($id: ID!) { closeSlot(id: $id) { slot { status } errors { message } } }", { id: slot.id });
        notice.textContent = closed.closeSlot.errors.map((e) => e.message).join(" ") || closed.closeSlot.slot.status;
      } }, `${t("close")} ${when(slot.start, "Asia/Seoul")}`))));
  } }, h("fieldset", {}, h("legend", {}, t("openSlots")),
    field(t("from"), h("input", { name: "from", type: "date", value: isoDay(14), required: true })),
    field(t("to"), h("input", { name: "to", type: "date", value: isoDay(20), required: true })),
    h("fieldset", {}, h("legend", {}, t("weekdays")), ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"].map((day, index) =>
      h("label", {}, h("input", { type: "checkbox", name: "weekday", value: day, checked: index < 5 }), ` ${day}`))),
    field(t("times"), h("input", { name: "times", type: "text", value: "10:00, 14:00", required: true })),
    field(t("capacity"), h("input", { name: "capacity", type: "number", value: 2, min: 1, required: true })),
    h("button", { type: "submit" }, t("open"))));
  const openedList = h("ul", { id: "opened" });
  const transitions = [["confirmBooking", "confirm"], ["markArrived", "arrived"], ["markFulfilled", "fulfilled"], ["markNoShow", "noShow"]];
  const bookingsTable = h("table", { id: "bookings" }, h("thead", {}, h("tr", {}, [t("reference"), t("patient"), t("start"), t("status"), ""].map((label) =>
    h("th", { scope: "col" }, label)))), h("tbody", {}, mine.bookings.edges.map(({ node }) => h("tr", { "data-reference": node.reference },
    h("td", {}, node.reference), h("td", {}, node.patient.name), h("td", {}, when(node.slotStart, "Asia/Seoul")), h("td", { class: "status" }, node.status),
    h("td", {}, transitions.map(([mutation, label]) => h("button", { type: "button", class: "secondary", onclick: async () => {
      const answer = await gql(`mutation($ref: String!) { ${mutation}(reference: $ref) { booking { status } errors { message } } }`, { ref: node.reference });
      notice.textContent = answer[mutation].errors.map((e) => e.message).join(" ") || answer[mutation].booking.status;
      await admin();
    } }, t(label))))))));
  clinicInput.addEventListener("change", loadPackages);
  render(h("h1", {}, t("navAdmin")), field(t("clinic"), clinicInput), notice, list, create, slotsForm, openedList,
    h("h2", {}, t("bookings")), bookingsTable);
  await loadPackages();
}

// -- routing and preferences ------------------------------------------------------------------------

function translate() {
  document.documentElement.lang = prefs.lang;
  for (const element of document.querySelectorAll("[data-i18n]")) element.textContent = t(element.dataset.i18n);
}

async function route() {
  translate();
  const [, page, arg] = location.hash.split("/");
  render(h("p", {}, t("loading")));
  try {
    if (page === "options") await options(arg);
    else if (page === "package") await packagePage(arg);
    else if (page === "book") bookPage(arg);
    else if (page === "booking") await bookingPage(arg);
    else if (page === "admin") await admin();
    else await home();
  } catch (error) {
    render(problem(error.message));
  }
}

function setup() {
  const lang = document.getElementById("lang");
  const currency = document.getElementById("currency");
  const key = document.getElementById("api-key");
  lang.value = prefs.lang;
  currency.value = prefs.currency;
  key.value = prefs.key;
  lang.addEventListener("change", () => { localStorage.setItem("lang", lang.value); route(); });
  currency.addEventListener("change", () => { localStorage.setItem("currency", currency.value); route(); });
  key.addEventListener("change", () => { sessionStorage.setItem("apiKey", key.value.trim()); route(); });
  window.addEventListener("hashchange", route);
  route();
}

setup();
