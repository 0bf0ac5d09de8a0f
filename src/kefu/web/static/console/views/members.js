// A labelled group of checkboxes to pick members (teams and inboxes).

import { h } from "../dom.js";

export function memberPicker(legend, users, selectedIds) {
  const selected = new Set(selectedIds);
  const boxes = users.map((user) =>
    h(
      "label",
      { class: "check" },
      h("input", { type: "checkbox", value: String(user.id), checked: selected.has(user.id) }),
      " ",
      user.name,
    ),
  );
  const el = h("fieldset", { class: "members" }, h("legend", { text: legend }), boxes);
  return {
    el,
    value: () =>
      [...el.querySelectorAll("input:checked")].map((input) => Number(input.value)),
  };
}
