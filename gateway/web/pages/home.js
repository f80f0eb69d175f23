// The first page: the patient's scar types, and whether the acne is still active.
import { gql, memory, prefs, t } from "../api.js";
import { h, render } from "../dom.js";

export async function home() {
  const data = await gql("query($lang: String) { scarTypes(lang: $lang) { code name description } }", { lang: prefs.lang });
  const chosen = new Set((memory.scars || "").split(",").filter(Boolean));
  const acne = h("input", { type: "checkbox", name: "active-acne", checked: Boolean(memory.activeAcne) });
  const form = h("form", { onsubmit: (event) => {
    event.preventDefault();
    const scars = [...form.querySelectorAll("input[name=scar]:checked")].map((box) => box.value);
    memory.activeAcne = acne.checked;
    if (scars.length) location.hash = `#/options/${scars.join(",")}${acne.checked ? "/active-acne" : ""}`;
  } },
  h("fieldset", {}, h("legend", {}, t("scarTitle")),
    data.scarTypes.map((scar) => h("label", {}, h("input", { type: "checkbox", name: "scar", value: scar.code, checked: chosen.has(scar.code) }),
      " ", h("strong", {}, scar.name), " — ", h("span", { class: "muted" }, scar.description)))),
  h("label", {}, acne, ` ${t("activeAcneNow")}`),
  h("button", { type: "submit" }, t("showOptions")));
  render(h("h1", {}, t("scarTitle")), form);
}
