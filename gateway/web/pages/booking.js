// A booking, its visits with their interpreters, its follow-up appointments, and its care plan in Seoul and home time,
// with its calendar file. A visit the clinic changed (CHANGE_PROPOSED) shows why and the times offered instead: the
// agency that booked accepts one or declines, which cancels the visit with a full refund of its share.
import { gql, prefs, t } from "../api.js";
import { h, money, problem, render, when } from "../dom.js";

const INTERPRETER = "interpreter { name language provider credential { name issuer expiresOn } }";
const REFUND = "refund { percent amount { amount currency } }";

// ``told`` is what the last answer to a proposed change did: a line for everyone, or the refusal.
export async function bookingPage(reference, told = null) {
  const data = await gql(`query($ref: String!) { viewer { role } booking(reference: $ref) { reference status packageTitle
    total { amount currency } warnings { code text } ${REFUND}
    visits { number start startHome status ${INTERPRETER} ${REFUND}
      proposedChange { reason proposedAt alternatives { slotId start startHome durationMinutes ${INTERPRETER} } } }
    history { visit reason visitChange { to } }
    followUps { number kind status start startHome durationMinutes slotId ${INTERPRETER} }
    messagingWindow { from to count }
    carePlan { tripsNeeded homeTimeZone ical events { kind title tentative start { seoul home } } } } }`, { ref: reference });
  const booking = data.booking;
  if (!booking) { render(problem(reference)); return; }
  const plan = booking.carePlan;
  const zone = plan.homeTimeZone;
  const ics = URL.createObjectURL(new Blob([plan.ical], { type: "text/calendar" }));
  const times = (seoul, home) => `${t("seoul")}: ${when(seoul, "Asia/Seoul")} · ${t("home")} (${zone}): ${home ? when(home, zone) : "—"}`;
  // Only the agency that booked answers a proposed change; the clinic sees what it offered.
  const answers = data.viewer?.role === "AGENCY";
  render(h("h1", {}, t("confirmed")),
    told ? (told.error ? problem(told.error) : h("p", { role: "status", class: "done" }, told.text)) : null,
    h("p", {}, `${t("reference")}: `, h("strong", { id: "reference" }, booking.reference), " · ",
      h("span", { id: "booking-status" }, booking.status)),
    h("p", {}, `${booking.packageTitle} · ${money(booking.total)} · ${t("trips")}: ${plan.tripsNeeded}`),
    booking.refund ? h("p", { id: "booking-refund" }, `${t("refunded")}: ${money(booking.refund.amount)} (${booking.refund.percent} %)`) : null,
    ...booking.warnings.map((w) => h("p", { class: "warning" }, w.text)),
    h("h2", {}, t("yourVisits")),
    h("ol", { id: "booked-visits" }, booking.visits.map((visit) => h("li", { "data-visit": visit.number, "data-status": visit.status },
      h("time", { datetime: visit.start }, when(visit.start, "Asia/Seoul")), ` · ${t("home")} (${zone}): ${when(visit.startHome, zone)} · `,
      h("span", { class: "visit-status" }, visit.status), interpreterLine(visit.interpreter),
      visit.refund ? h("p", { class: "refund" }, `${t("refunded")}: ${money(visit.refund.amount)} (${visit.refund.percent} %)`) : null,
      visit.proposedChange ? proposal(booking, visit, times, answers) : null))),
    booking.followUps.length ? [h("h2", {}, t("followUps")), h("ol", { id: "follow-ups" }, booking.followUps.map((follow) =>
      h("li", { "data-kind": follow.kind }, h("strong", {}, `${t("followUpLine")} ${follow.number}: ${t(`kind_${follow.kind}`)}`),
        ` · ${follow.kind === "IN_PERSON" ? t("atTheClinic") : t("videoCall")} (${follow.durationMinutes} min) · ${follow.status || ""}`, h("br"),
        times(follow.start, follow.startHome), interpreterLine(follow.interpreter))))] : null,
    booking.messagingWindow ? h("p", { id: "messaging-window" }, `${t("messagingWindow")}: ${booking.messagingWindow.count} · `,
      `${booking.messagingWindow.from} – ${booking.messagingWindow.to}`) : null,
    h("h2", {}, t("carePlan")),
    h("ol", { class: "timeline", id: "timeline" }, plan.events.map((event) => h("li", { "data-kind": event.kind },
      h("strong", {}, event.title), event.tentative ? ` (${t("tentative")})` : null,
      h("br"), times(event.start.seoul, event.start.home)))),
    h("a", { href: ics, download: `${booking.reference}.ics`, id: "ics" }, t("ics")));
}

// Why the clinic proposes a change of ``visit`` (with its note from the history), the times it offers, and for the
// agency a button to accept each one and one to decline. Each answer has a key of its own.
function proposal(booking, visit, times, answers) {
  const change = visit.proposedChange;
  const note = booking.history.filter((entry) => entry.visit === visit.number && entry.visitChange?.to === "CHANGE_PROPOSED")
    .at(-1)?.reason;
  const answer = (mutation, type, input, done) => async (event) => {
    for (const button of event.target.closest(".proposal").querySelectorAll("button")) button.disabled = true;
    const sent = await gql(`mutation($input: ${type}!) { ${mutation}(input: $input) {
      booking { reference } errors { field message } } }`,
    { input: { reference: booking.reference, visit: visit.number, idempotencyKey: crypto.randomUUID(), ...input } });
    const errors = sent[mutation].errors;
    await bookingPage(booking.reference, errors.length ? { error: errors.map((e) => e.message).join(" ") } : { text: done });
  };
  const label = `${t("visit")} ${visit.number}`;
  return h("div", { class: "proposal" },
    h("p", {}, h("strong", {}, `${t("changeProposed")}: `), t(`reason_${change.reason}`), note ? ` (${note})` : null,
      h("span", { class: "muted" }, ` · ${t("proposedOn")} ${when(change.proposedAt, "Asia/Seoul")}`)),
    change.alternatives.length
      ? [h("p", {}, `${t("alternatives")}:`), h("ul", { class: "alternatives" }, change.alternatives.map((slot) =>
        h("li", { "data-slot": slot.slotId }, times(slot.start, slot.startHome), ` (${slot.durationMinutes} min)`,
          interpreterLine(slot.interpreter),
          answers ? [h("br"), h("button", { type: "button", "aria-label": `${t("acceptAlternative")} — ${label}: ${when(slot.start, "Asia/Seoul")}`,
            onclick: answer("acceptProposedChange", "AcceptProposedChangeInput", { slotId: slot.slotId }, t("changeAccepted")) }, t("acceptAlternative"))] : null)))]
      : h("p", {}, t("noAlternatives")),
    answers ? h("button", { type: "button", class: "secondary", "aria-label": `${t("declineChange")} — ${label}`,
      onclick: answer("declineProposedChange", "DeclineProposedChangeInput", {}, t("changeDeclined")) }, t("declineChange")) : null);
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
