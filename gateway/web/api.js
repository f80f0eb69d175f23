// The one way the frontend talks to the API: GraphQL over fetch, with the chosen language and API key.
import { t as text } from "./i18n.js";

export const prefs = {
  get lang() { return localStorage.getItem("lang") || "en"; },
  get currency() { return localStorage.getItem("currency") || "USD"; },
  get key() { return sessionStorage.getItem("apiKey") || ""; },
};

// What one page hands the next: the quote and the package being booked.
export const memory = {};

export const t = (name) => text(prefs.lang, name);

export async function gql(query, variables = {}) {
  const headers = { "Content-Type": "application/json", "Accept-Language": prefs.lang };
  if (prefs.key) headers.Authorization = `Bearer ${prefs.key}`;
  const answer = await fetch("/graphql", { method: "POST", headers, body: JSON.stringify({ query, variables }) });
  const body = await answer.json();
  if (body.errors && !body.data) throw new Error(body.errors.map((e) => e.message).join(" "));
  if (body.errors) console.warn(body.errors);
  return body.data;
}

// The API's fixed lists (currencies, scar types, statuses, weekdays, follow-up kinds, interpreter levels, the booking
// lifecycle), read once.
let vocabularyOnce = null;
export function vocabulary() {
  vocabularyOnce ||= gql(`{ vocabulary { languages currencies scarTypes fitzpatrickSkinTypes packageStatuses weekdays
    followUpKinds interpreterLevels bookingSteps { mutation from to roles visitFrom } } }`).then((data) => data.vocabulary);
  return vocabularyOnce;
}
