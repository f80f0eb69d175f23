// ClinicBridge reference frontend: a partner's patient journey and a clinic's console, on the public GraphQL API only.
// This module routes and keeps the preferences; each page is a module of pages/, and every call goes through api.js.
import { prefs, t, vocabulary } from "./api.js";
import { h, problem, render } from "./dom.js";
import { admin } from "./pages/admin.js";
import { bookPage } from "./pages/book.js";
import { bookingPage } from "./pages/booking.js";
import { home } from "./pages/home.js";
import { options } from "./pages/options.js";
import { packagePage } from "./pages/package.js";

// -- routing and preferences ------------------------------------------------------------------------

function translate() {
  document.documentElement.lang = prefs.lang;
  for (const element of document.querySelectorAll("[data-i18n]")) element.textContent = t(element.dataset.i18n);
}

const PAGES = { options, package: packagePage, book: bookPage, booking: bookingPage, admin };

// One page at a time, in the order asked: a page still loading (after a change of key, language or address) never
// draws over the one asked after it.
let routing = Promise.resolve();
function route() {
  routing = routing.then(show);
  return routing;
}

async function show() {
  translate();
  const [, page, ...args] = location.hash.split("/");
  render(h("p", {}, t("loading")));
  try {
    await (PAGES[page] || home)(...args);
  } catch (error) {
    render(problem(error.message));
  }
}

async function setup() {
  const lang = document.getElementById("lang");
  const currency = document.getElementById("currency");
  const key = document.getElementById("api-key");
  const { languages, currencies } = await vocabulary();
  lang.replaceChildren(...languages.map((code) => h("option", { value: code }, new Intl.DisplayNames([code], { type: "language" }).of(code))));
  currency.replaceChildren(...currencies.map((code) => h("option", {}, code)));
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
