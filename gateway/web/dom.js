// Building the page. Elements are built, never parsed from text: content from the API cannot become markup.
import { prefs, t } from "./api.js";

export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, "");
    else if (value !== false && value != null) element.setAttribute(name, value);
  }
  for (const child of children.flat()) if (child != null) element.append(child.nodeType ? child : String(child));
  return element;
}

export const field = (label, control) => h("label", {}, h("span", {}, label), " ", control);
export const money = (m) => (m ? `${m.amount} ${m.currency}` : "—");
export const problem = (message) => h("p", { class: "error", role: "alert" }, message);
// A rule or fact that is sample data of ours, not the seed's, says so.
export const sampleMark = (fact) => (fact.source?.kind === "SAMPLE" ? h("span", { class: "sample" }, ` (${t("sampleRule")})`) : null);
export const when = (iso, timeZone) => new Intl.DateTimeFormat(prefs.lang, { timeZone, weekday: "short", year: "numeric",
  month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" }).format(new Date(iso));

// The date ``offset`` days from today, as YYYY-MM-DD.
export function isoDay(offset) {
  return new Date(Date.now() + offset * 86400000).toISOString().slice(0, 10);
}

// The page's content: nodes, lists of nodes, and nulls for the parts a page leaves out.
export function render(...nodes) {
  const main = document.getElementById("main");
  main.replaceChildren(...nodes.flat().filter((node) => node != null));
  main.focus();
}
