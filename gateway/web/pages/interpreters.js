// The clinic console's interpreters: the clinic's own coordinators (listed, added, changed, deactivated), and the
// consultation hours in which it holds remote video follow-ups.
import { gql, t, vocabulary } from "../api.js";
import { field, h } from "../dom.js";

const FIELDS = `id name languages level capacity active credentialValid credential { name issuer number expiresOn }
  hours { weekday from to }`;

// The sections, filled for ``clinic``; ``notice`` says what each change did.
export async function interpreterSections(clinic, notice) {
  const { weekdays, interpreterLevels } = await vocabulary();
  const provider = `clinic:${clinic}`;
  const interpretersBox = h("section", { id: "interpreters" });
  const hoursBox = h("section", { id: "consultation-hours" });
  const told = (payload, done) => { notice.textContent = payload.errors.map((e) => `${e.field || ""} ${e.message}`.trim()).join(" ") || done; };

  const load = async () => {
    const data = await gql(`query($provider: String, $clinic: String!) { interpreters(provider: $provider) { ${FIELDS} }
      consultationHours(clinic: $clinic) { minutes calls source hours { weekday from to } } }`, { provider, clinic });
    interpretersBox.replaceChildren(h("h2", {}, t("interpreters")), interpreterTable(data.interpreters), interpreterForm(null));
    hoursBox.replaceChildren(consultationForm(data.consultationHours));
  };

  const interpreterTable = (interpreters) => h("table", { id: "interpreter-list" }, h("thead", {}, h("tr", {},
    [t("name"), t("interpreterLanguages"), t("level"), t("interpreterCapacity"), t("workingHours"), t("credential"), t("status"), ""]
      .map((label) => h("th", { scope: "col" }, label)))),
  h("tbody", {}, interpreters.map((person) => h("tr", { "data-id": person.id },
    h("td", {}, person.name), h("td", { class: "languages" }, person.languages.join(", ")), h("td", {}, t(`level_${person.level}`)),
    h("td", {}, person.capacity), h("td", { class: "hours" }, person.hours.map((span) => `${span.weekday} ${span.from}–${span.to}`).join(", ")),
    h("td", {}, person.credential
      ? `${person.credential.name}, ${person.credential.issuer}${person.credential.expiresOn ? ` (${t("validUntil")} ${person.credential.expiresOn})` : ""}`
        + (person.credentialValid ? "" : ` · ${t("expired")}`)
      : "—"),
    h("td", { class: "active" }, person.active ? t("active") : t("inactive")),
    h("td", {}, h("button", { type: "button", class: "secondary", "aria-label": `${t("edit")} — ${person.name}`,
      onclick: () => { interpretersBox.replaceChild(interpreterForm(person), interpretersBox.querySelector("form")); } }, t("edit")), " ",
    h("button", { type: "button", class: "secondary", "aria-label": `${person.active ? t("deactivate") : t("activate")} — ${person.name}`,
      onclick: async () => {
        const answer = await gql(`mutation($id: ID!, $input: InterpreterChangesInput!) { updateInterpreter(id: $id, input: $input) {
          interpreter { id active } errors { field message } } }`, { id: person.id, input: { active: !person.active } });
        told(answer.updateInterpreter, t("saved"));
        await load();
      } }, person.active ? t("deactivate") : t("activate")))))));

  // One form adds an interpreter, or changes the one chosen with Edit.
  const interpreterForm = (person) => {
    const hours = hoursPicker(weekdays, person?.hours || [], "interpreter");
    const credential = person?.credential;
    const form = h("form", { id: "interpreter-form", onsubmit: async (event) => {
      event.preventDefault();
      const f = form.elements;
      const input = { name: f.name.value.trim(), languages: f.languages.value.split(",").map((s) => s.trim().toLowerCase()).filter(Boolean),
        level: f.level.value, capacity: Number(f.capacity.value), hours: hours.value() };
      if (f.issuer.value.trim()) {
        input.credential = { name: f.credentialName.value.trim(), issuer: f.issuer.value.trim(), expiresOn: f.expiresOn.value || null };
      }
      const answer = person
        ? (await gql(`mutation($id: ID!, $input: InterpreterChangesInput!) { updateInterpreter(id: $id, input: $input) {
            interpreter { id } errors { field message } } }`, { id: person.id, input })).updateInterpreter
        : (await gql(`mutation($input: InterpreterInput!) { createInterpreter(input: $input) { interpreter { id } errors { field message } } }`,
          { input: { ...input, provider } })).createInterpreter;
      told(answer, person ? t("saved") : t("created"));
      if (!answer.errors.length) await load();
    } }, h("fieldset", {}, h("legend", {}, person ? `${t("editInterpreter")}: ${person.name}` : t("addInterpreter")),
      field(t("name"), h("input", { name: "name", type: "text", value: person?.name || "", required: true })),
      field(t("interpreterLanguages"), h("input", { name: "languages", type: "text", value: person?.languages.join(", ") || "", required: true })),
      field(t("level"), h("select", { name: "level" }, interpreterLevels.map((level) =>
        h("option", { value: level, selected: level === person?.level }, t(`level_${level}`))))),
      field(t("interpreterCapacity"), h("input", { name: "capacity", type: "number", min: 1, max: 10, value: person?.capacity || 1, required: true })),
      h("fieldset", {}, h("legend", {}, t("workingHours")), hours.element),
      field(t("credential"), h("input", { name: "credentialName", type: "text", value: credential?.name || t("credentialDefault") })),
      field(t("issuer"), h("input", { name: "issuer", type: "text", value: credential?.issuer || "" })),
      field(t("expiresOn"), h("input", { name: "expiresOn", type: "date", value: credential?.expiresOn || "" })),
      h("button", { type: "submit" }, person ? t("save") : t("create")), " ",
      person ? h("button", { type: "button", class: "secondary", onclick: () => form.replaceWith(interpreterForm(null)) }, t("cancel")) : null));
    return form;
  };

  const consultationForm = (current) => {
    const hours = hoursPicker(weekdays, current?.hours || [], "consultation");
    const form = h("form", { id: "consultation-form", onsubmit: async (event) => {
      event.preventDefault();
      const f = form.elements;
      const answer = await gql(`mutation($clinic: String!, $input: ConsultationHoursInput!) { setConsultationHours(clinic: $clinic, input: $input) {
        consultationHours { source } errors { field message } } }`,
      { clinic, input: { minutes: Number(f.minutes.value), calls: Number(f.calls.value), hours: hours.value() } });
      told(answer.setConsultationHours, t("saved"));
      if (!answer.setConsultationHours.errors.length) await load();
    } }, h("h2", {}, t("consultationHours")),
    h("p", { class: "muted" }, current ? `${t("source")}: ${current.source}` : t("noConsultationHours")),
    h("fieldset", {}, h("legend", {}, t("consultationHours")),
      field(t("callMinutes"), h("input", { name: "minutes", type: "number", min: 15, max: 120, value: current?.minutes || 30, required: true })),
      field(t("calls"), h("input", { name: "calls", type: "number", min: 1, max: 20, value: current?.calls || 1, required: true })),
      h("fieldset", {}, h("legend", {}, t("workingHours")), hours.element),
      h("button", { type: "submit" }, t("save"))));
    return form;
  };

  await load();
  return [interpretersBox, hoursBox];
}

// Hours by weekday (Seoul time): a from and an until time each; a weekday left empty is not worked.
function hoursPicker(weekdays, hours, prefix) {
  const known = new Map(hours.map((span) => [span.weekday, span]));
  const rows = weekdays.map((day) => {
    const from = h("input", { type: "time", name: `${prefix}-${day}-from`, value: known.get(day)?.from || "",
      "aria-label": `${day} — ${t("hoursFrom")}` });
    const to = h("input", { type: "time", name: `${prefix}-${day}-to`, value: known.get(day)?.to || "",
      "aria-label": `${day} — ${t("hoursTo")}` });
    return { day, from, to, element: h("div", { class: "hours-row" }, h("span", { class: "day" }, day), from, " – ", to) };
  });
  return {
    element: h("div", { class: "hours-grid" }, rows.map((row) => row.element)),
    value: () => rows.filter((row) => row.from.value && row.to.value).map((row) => ({ weekday: row.day, from: row.from.value, to: row.to.value })),
  };
}
