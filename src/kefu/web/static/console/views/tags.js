// Tags in the console: the catalogue (names and colours, reloaded on `tags.changed`), coloured
// chips, the editor in a conversation's header (remove with ×, add by name with suggestions)
// and the list's tag filter. Tag names are customer-facing data: always set as text.

import { workflowApi } from "../api-workflow.js";
import { guard, h, mount } from "../dom.js";
import { t } from "../i18n.js";

/** "VIP", "vip" and "ＶＩＰ" are one tag (the server folds names the same way). */
export const tagKey = (name) => String(name).normalize("NFKC").toLowerCase();

class TagStore {
  constructor() {
    this.tags = [];
    this.byKey = new Map();
    this.listeners = new Set();
    this.timer = null;
  }

  async load() {
    const tags = await guard(workflowApi.tags());
    if (!tags) return;
    // A name that left the catalogue was renamed or deleted: conversations carrying it changed.
    const names = new Set(tags.map((tag) => tag.name));
    const renamed = this.tags.some((tag) => !names.has(tag.name));
    this.tags = tags;
    this.byKey = new Map(tags.map((tag) => [tagKey(tag.name), tag]));
    repaint();
    for (const fn of this.listeners) fn(renamed);
  }

  /** After `tags.changed`: one reload for a burst of changes. */
  scheduleLoad() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.load(), 200);
  }

  onChange(fn) {
    this.listeners.add(fn);
  }

  colour(name) {
    const tag = this.byKey.get(tagKey(name));
    return tag ? tag.colour : null;
  }
}

export const tagStore = new TagStore();

/** Dark text on light colours, white on dark ones (WCAG relative luminance). */
function readsDark(hex) {
  const rgb = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
  const [r, g, b] = rgb.map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.4;
}

function paint(chip) {
  const colour = tagStore.colour(chip.dataset.tag);
  chip.classList.remove("is-coloured", "on-light", "on-dark");
  chip.style.removeProperty("--tag-colour");
  if (colour && /^#[0-9a-f]{6}$/i.test(colour)) {
    // CSSOM, not a style attribute: the console's CSP forbids inline style attributes.
    chip.style.setProperty("--tag-colour", colour);
    chip.classList.add("is-coloured", readsDark(colour) ? "on-light" : "on-dark");
  }
}

const suggestionOptions = () => tagStore.tags.map((tag) => h("option", { value: tag.name }));

/**
 * The catalogue changed: colour the chips on screen, refresh the suggestions and the list's
 * filter, in place (redrawing the views would disturb what the agent is doing).
 */
function repaint() {
  for (const chip of document.querySelectorAll(".chip-tag[data-tag]")) paint(chip);
  for (const list of document.querySelectorAll("datalist.tag-names")) mount(list, suggestionOptions());
  const select = document.getElementById("tag-filter");
  if (select) {
    const value = select.value;
    mount(select, filterOptions(value || null));
    select.value = value;
  }
}

/** A coloured chip (`tag` is "span" or "li"); extra children (a remove button) after the name. */
export function tagChip(name, tag = "span", ...extra) {
  const chip = h(tag, { class: "chip chip-tag", "data-tag": name }, h("span", { text: name }), extra);
  paint(chip);
  return chip;
}

/** A <datalist> of the catalogue's names, for inputs that add tags. */
export function tagSuggestions(id) {
  return h("datalist", { id, class: "tag-names" }, suggestionOptions());
}

/** The header's tag editor: chips with × and an "Add tag" field (new names join the catalogue). */
export function tagEditor(conv, onChanged) {
  const change = async (body) => {
    const updated = await guard(workflowApi.changeTags(conv.id, body));
    if (updated) {
      if (body.add) {
        // Done: the redrawn header must not carry the name over (the field on screen may be
        // a newer one, if a live update redrew the header meanwhile).
        const current = document.getElementById("tag-input") || input;
        current.value = "";
        current.hidden = true;
      }
      onChanged(updated);
    }
    return updated;
  };
  const chips = (conv.tags || []).map((name) =>
    tagChip(
      name,
      "li",
      h("button", {
        type: "button",
        class: "chip-remove",
        "aria-label": t("tags.remove", { name }), // the × is drawn by CSS: the chip reads as the name
        onclick: () => change({ remove: [name] }),
      }),
    ),
  );
  const input = h("input", {
    id: "tag-input",
    class: "tag-input",
    maxlength: "50",
    list: "tag-suggestions",
    autocomplete: "off",
    placeholder: t("tags.addNamed"),
    "aria-label": t("tags.addNamed"),
    hidden: true,
    onkeydown: async (event) => {
      if (event.key === "Escape") {
        input.hidden = true;
        add.hidden = false;
        add.focus();
      } else if (event.key === "Enter" && !event.isComposing) {
        event.preventDefault();
        const name = input.value.trim();
        if (name && (await change({ add: [name] }))) document.querySelector(".tag-add")?.focus();
      }
    },
  });
  keepTyping(input, conv.id);
  const add = h("button", {
    hidden: !input.hidden,
    type: "button",
    class: "btn btn-ghost btn-small tag-add",
    "data-action": "add-tag",
    text: `+ ${t("tags.add")}`,
    onclick: () => {
      add.hidden = true;
      input.hidden = false;
      input.focus();
    },
  });
  return h(
    "div",
    { class: "tag-editor" },
    h("ul", { class: "chips tags", "aria-label": t("tags.label") }, chips),
    add,
    input,
    tagSuggestions("tag-suggestions"),
  );
}

/**
 * Live updates redraw the header (another agent's change, routing, SLA): carry a half-typed tag
 * name, and the focus, over to the new field. Called while the old field is still on screen.
 */
function keepTyping(input, conversationId) {
  const old = document.getElementById("tag-input");
  if (!old || old.hidden || old.dataset.conversation !== String(conversationId)) {
    input.dataset.conversation = String(conversationId);
    return;
  }
  input.dataset.conversation = String(conversationId);
  input.hidden = false;
  input.value = old.value;
  if (document.activeElement === old) {
    const [start, end] = [old.selectionStart, old.selectionEnd];
    queueMicrotask(() => {
      input.focus();
      input.setSelectionRange(start, end);
    });
  }
}

function filterOptions(value) {
  return [
    h("option", { value: "", selected: !value }, t("tags.any")),
    tagStore.tags.map((tag) =>
      h("option", { value: tag.name, selected: !!value && tagKey(value) === tagKey(tag.name) }, tag.name),
    ),
  ];
}

/** The list's tag filter: a <select> of the catalogue ("" = all tags). */
export function tagFilter(value, onChange) {
  const select = h(
    "select",
    { id: "tag-filter", onchange: () => onChange(select.value || null) },
    filterOptions(value),
  );
  return h(
    "div",
    { class: "status-filter" },
    h("label", { for: "tag-filter", class: "sr-only", text: t("tags.filter") }),
    select,
  );
}

/** Whether a conversation carries `name` (any spelling). */
export function hasTag(conv, name) {
  const key = tagKey(name);
  return (conv.tags || []).some((tag) => tagKey(tag) === key);
}
