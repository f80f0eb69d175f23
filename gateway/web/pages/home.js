// The first page: the patient's scar types.
import { gql, memory, prefs, t } from "../api.js";
import { h, render } from "../dom.js";

export async function home() {
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
