// A booking, its visits with their interpreters, its follow-up appointments, and its care plan in Seoul and home time,
// with its calendar file.
import { gql, prefs, t } from "../api.js";
import { h, money, problem, render, when } from "../dom.js";

const INTERPRETER = "interpreter { name language provider credential { name issuer expiresOn } }";

export async function bookingPage(reference) {
  const data = await gql(`query($ref: String!) { booking(reference: $ref) { reference status packageTitle total { amount currency }
    warnings { code text } visits { number start startHome status ${INTERPRETER} }
    followUps { number kind status start startHome durationMinutes slotId ${INTERPRETER} }
    messagingWindow { from to count }
    carePlan { tripsNeeded homeTimeZone ical events { kind title start { seoul home } } } } }`, { ref: reference });
  const booking = data.booking;
  if (!booking) { render(problem(reference)); return; }
  const plan = booking.carePlan;
  const zone = plan.homeTimeZone;
  const ics = URL.createObjectURL(new Blob([plan.ical], { type: "text/calendar" }));
  const times = (seoul, home) => `${t("seoul")}: ${when(seoul, "Asia/Seoul")} · ${t("home")} (${zone}): ${home ? when(home, zone) : "—"}`;
  render(h("h1", {}, t("confirmed")), h("p", {}, `${t("reference")}: `, h("strong", { id: "reference" }, booking.reference), ` · ${booking.status}`),
    h("p", {}, `${booking.packageTitle} · ${money(booking.total)} · ${t("trips")}: ${plan.tripsNeeded}`),
    ...booking.warnings.map((w) => h("p", { class: "warning" }, w.text)),
    h("h2", {}, t("yourVisits")),
    h("ol", { id: "booked-visits" }, booking.visits.map((visit) => h("li", {}, `${when(visit.start, "Asia/Seoul")} · `,
      `${t("home")} (${zone}): ${when(visit.startHome, zone)} · ${visit.status}`, interpreterLine(visit.interpreter)))),
    booking.followUps.length ? [h("h2", {}, t("followUps")), h("ol", { id: "follow-ups" }, booking.followUps.map((follow) =>
      h("li", { "data-kind": follow.kind }, h("strong", {}, `${t("followUpLine")} ${follow.number}: ${t(`kind_${follow.kind}`)}`),
        ` · ${follow.kind === "IN_PERSON" ? t("atTheClinic") : t("videoCall")} (${follow.durationMinutes} min) · ${follow.status || ""}`, h("br"),
        times(follow.start, follow.startHome), interpreterLine(follow.interpreter))))] : null,
    booking.messagingWindow ? h("p", { id: "messaging-window" }, `${t("messagingWindow")}: ${booking.messagingWindow.count} · `,
      `${booking.messagingWindow.from} – ${booking.messagingWindow.to}`) : null,
    h("h2", {}, t("carePlan")),
    h("ol", { class: "timeline", id: "timeline" }, plan.events.map((event) => h("li", { "data-kind": event.kind }, h("strong", {}, event.title),
      h("br"), times(event.start.seoul, event.start.home)))),
    h("a", { href: ics, download: `${booking.reference}.ics`, id: "ics" }, t("ics")));
}

// Who interprets a visit or follow-up: name, language, provider, and the credential with its issuer and expiry.
function interpreterLine(interpreter) {
  if (!interpreter) return null;
  const language = new Intl.DisplayNames([prefs.lang], { type: "language" }).of(interpreter.language);
  const credential = interpreter.credential;
  return h("span", { class: "interpreter" }, h("br"), `${t("interpreterPerson")}: `, h("strong", {}, interpreter.name),
    ` (${language})${interpreter.provider ? ` · ${interpreter.provider}` : ""}`,
    credential ? ` · ${credential.name}, ${credential.issuer}${credential.expiresOn ? `, ${t("validUntil")} ${credential.expiresOn}` : ""}` : "");
}
