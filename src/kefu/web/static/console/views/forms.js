// Small building blocks shared by the admin forms: the error line beside the Save button,
// checkboxes, selects, comma-separated lists, zh-TW / en text pairs and repeatable rows.

import { errorText, h, labelled, mount } from "../dom.js";
import { LOCALES, t } from "../i18n.js";

/** The form's error line (role="alert"), shown next to its buttons. */
export function formError() {
  const el = h("p", { class: "form-error", role: "alert", hidden: true });
  return {
    el,
    show(error) {
      el.textContent = typeof error === "string" ? error : errorText(error);
      el.hidden = false;
    },
    clear() {
      el.textContent = "";
      el.hidden = true;
    },
  };
}

/** Await a request; on failure show the server's message in `error` and return undefined. */
export async function submitTo(error, promise) {
  error.clear();
  try {
    return await promise;
  } catch (exc) {
    error.show(exc);
    return undefined;
  }
}

/** Submit (Create / Save) and, when editing, Cancel; the error line sits beside them. */
export function formActions({ editing, onCancel = null, error = null, submitLabel = null }) {
  return h(
    "div",
    { class: "form-actions" },
    h("button", {
      type: "submit",
      class: "btn btn-primary",
      text: submitLabel || (editing ? t("admin.save") : t("admin.create")),
    }),
    editing && onCancel
      ? h("button", {
          type: "button",
          class: "btn btn-ghost",
          text: t("admin.cancel"),
          onclick: onCancel,
        })
      : null,
    error ? error.el : null,
  );
}

export function checkbox(label, checked, attrs = {}) {
  const input = h("input", { type: "checkbox", checked: !!checked, ...attrs });
  return { input, el: h("label", { class: "check" }, input, " ", label) };
}

/** A fieldset of checkboxes over [value, label] pairs; value() -> the checked values. */
export function checkGroup(legend, options, selected, parse = String) {
  const chosen = new Set((selected || []).map(String));
  const boxes = options.map(([value, label]) =>
    checkbox(label, chosen.has(String(value)), { value: String(value) }),
  );
  return {
    el: h("fieldset", { class: "members" }, h("legend", { text: legend }), boxes.map((b) => b.el)),
    value: () => boxes.filter((b) => b.input.checked).map((b) => parse(b.input.value)),
  };
}

/** A <select> of [value, label] pairs. */
export function selectOf(options, value, attrs = {}) {
  return h(
    "select",
    attrs,
    options.map(([v, label]) =>
      h("option", { value: v, selected: String(v) === String(value ?? "") }, label),
    ),
  );
}

/** "a, b、c" (or one per line) -> ["a", "b", "c"], without blanks or repeats. */
export function splitList(text) {
  const items = String(text || "")
    .split(/[,，、\n]/)
    .map((item) => item.trim())
    .filter(Boolean);
  return [...new Set(items)];
}

export function joinList(items) {
  return (items || []).join(", ");
}

/** An optional whole number: "" -> null. */
export function numberOrNull(input) {
  const value = input.value.trim();
  return value === "" ? null : Number(value);
}

/** One text in both UI languages: {"zh-TW": ..., "en": ...}. */
export function localizedText(label, value, { rows = 2, maxlength = "1000", name = "" } = {}) {
  const areas = LOCALES.map(([lang, langName]) => {
    const area = h("textarea", {
      rows: String(rows),
      maxlength,
      name: name ? `${name}.${lang}` : null,
    });
    area.value = (value && value[lang]) || "";
    return [lang, area, labelled(`${label} (${langName})`, area)];
  });
  return {
    el: h("div", { class: "lang-pair" }, areas.map(([, , field]) => field)),
    value: () => Object.fromEntries(areas.map(([lang, area]) => [lang, area.value])),
  };
}

/**
 * A fieldset of rows that can be added and removed. `makeRow(item, index)` returns
 * {el, value()}; `values()` collects them in order. Each row gets a Remove button.
 */
export function repeatable({ legend, addLabel, removeLabel, items, makeRow, blank, empty = null }) {
  const list = h("ul", { class: "rows" });
  const emptyNote = empty ? h("p", { class: "muted rows-empty", text: empty }) : null;
  const rows = [];
  const sync = () => {
    if (emptyNote) emptyNote.hidden = rows.length > 0;
  };
  const add = (item, focus = false) => {
    const row = makeRow(item, rows.length);
    const entry = { row, li: null };
    const remove = h("button", {
      type: "button",
      class: "btn btn-ghost btn-danger btn-small",
      text: t("form.remove"),
      "aria-label": removeLabel ? removeLabel(rows.length + 1) : t("form.remove"),
      onclick: () => {
        rows.splice(rows.indexOf(entry), 1);
        entry.li.remove();
        sync();
        addButton.focus();
      },
    });
    entry.li = h("li", { class: "row-item" }, row.el, remove);
    rows.push(entry);
    list.append(entry.li);
    sync();
    if (focus) entry.li.querySelector("input, select, textarea")?.focus();
  };
  const addButton = h("button", {
    type: "button",
    class: "btn btn-ghost btn-small",
    text: addLabel,
    onclick: () => add(blank(), true),
  });
  for (const item of items || []) add(item);
  sync();
  return {
    el: h(
      "fieldset",
      { class: "repeatable" },
      h("legend", { text: legend }),
      emptyNote,
      list,
      addButton,
    ),
    values: () => rows.map((entry) => entry.row.value()),
  };
}

/**
 * A Delete button that asks for confirmation in place (no modal): [button, confirmation].
 * `onConfirm` returns false when the deletion failed (the confirmation stays).
 */
export function deleteWithConfirm({ label, text, question, yes, onConfirm }) {
  const confirmBox = h("span", { class: "confirm", hidden: true });
  const remove = h("button", {
    type: "button",
    class: "btn btn-ghost btn-danger",
    "aria-label": label,
    text,
    onclick: () => {
      remove.hidden = true;
      confirmBox.hidden = false;
      confirmBox.querySelector("button")?.focus();
    },
  });
  mount(
    confirmBox,
    h("span", { class: "confirm-text", text: question }),
    h("button", { type: "button", class: "btn btn-danger", text: yes, onclick: onConfirm }),
    h("button", {
      type: "button",
      class: "btn btn-ghost",
      text: t("admin.cancel"),
      onclick: () => {
        confirmBox.hidden = true;
        remove.hidden = false;
        remove.focus();
      },
    }),
  );
  return [remove, confirmBox];
}
