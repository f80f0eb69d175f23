// A booking, its visits, and its care plan in Seoul and home time, with its calendar file.
import { gql, t } from "../api.js";
import { h, money, problem, render, when } from "../dom.js";

export async function bookingPage(reference) {
  const data = await gql(`query($ref: String!) { booking(reference: $ref) { reference status packageTitle total { amount currency }
    warnings { code text } visits { number start startHome status } carePlan { tripsNeeded homeTimeZone ical events { kind title start { seoul home } } } } }`, { ref: reference });
  const booking = data.booking;
  if (!booking) { render(problem(reference)); return; }
  const plan = booking.carePlan;
  const ics = URL.createObjectURL(new Blob([plan.ical], { type: "text/calendar" }));
  render(h("h1", {}, t("confirmed")), h("p", {}, `${t("reference")}: `, h("strong", { id: "reference" }, booking.reference), ` · ${booking.status}`),
    h("p", {}, `${booking.packageTitle} · ${money(booking.total)} · ${t("trips")}: ${plan.tripsNeeded}`),
    ...booking.warnings.map((w) => h("p", { class: "warning" }, w.text)),
    h("h2", {}, t("yourVisits")),
    h("ol", { id: "booked-visits" }, booking.visits.map((visit) => h("li", {}, `${when(visit.start, "Asia/Seoul")} · `,
      `${t("home")} (${plan.homeTimeZone}): ${when(visit.startHome, plan.homeTimeZone)} · ${visit.status}`))),
    h("h2", {}, t("carePlan")),
    h("ol", { class: "timeline", id: "timeline" }, plan.events.map((event) => h("li", {}, h("strong", {}, event.title), h("br"),
      `${t("seoul")}: ${when(event.start.seoul, "Asia/Seoul")} · ${t("home")} (${plan.homeTimeZone}): ${when(event.start.home, plan.homeTimeZone)}`))),
    h("a", { href: ics, download: `${booking.reference}.ics`, id: "ics" }, t("ics")));
}
