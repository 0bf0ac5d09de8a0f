// The composer's "/" picker: typing "/" at the start of a reply opens a list of canned responses
// (searched by shortcut, title and text; substring matching, so Chinese needs no word breaks),
// ↑/↓ move, Enter or Tab inserts, Escape closes. Inserting fills the variables this console knows
// ({{contact.name}}, {{contact.email}}, {{agent.name}}, {{conversation.id}}) by plain string
// replacement; anything else, or a value that is missing, stays visible for the agent to edit.

import { workflowApi } from "../api-workflow.js";
import { h, mount } from "../dom.js";
import { t } from "../i18n.js";

const REFRESH_MS = 30_000;
const SHOWN = 20;
const fold = (text) => String(text || "").normalize("NFKC").toLowerCase();
// One copy for the console, refreshed when older than REFRESH_MS or after the page edits one.
const cache = { items: null, loadedAt: 0 };

/** The canned-responses page changed one: the picker reloads the next time it opens. */
export function forgetCanned() {
  cache.loadedAt = 0;
}

/** Fill the known variables of `content`; unknown or empty ones are left as written. */
export function fillVariables(content, { conv, me }) {
  const values = {
    "contact.name": conv?.contact?.name,
    "contact.email": conv?.contact?.email,
    "agent.name": me?.name,
    "conversation.id": conv ? String(conv.id) : "",
  };
  return content.replace(/\{\{\s*([a-zA-Z_.]+)\s*\}\}/g, (whole, name) => {
    const value = values[name];
    return typeof value === "string" && value.trim() ? value : whole;
  });
}

/** Responses matching `query`, best first: shortcut prefix, then shortcut, title, text;
 * personal before shared, and the inbox's language before others. */
export function rankCanned(items, query, preferredLocale = null) {
  const terms = fold(query).split(/\s+/).filter(Boolean);
  const scored = [];
  for (const item of items) {
    const shortcut = fold(item.shortcut);
    const haystack = `${shortcut}\n${fold(item.title)}\n${fold(item.content)}`;
    if (!terms.every((term) => haystack.includes(term))) continue;
    const first = terms[0] || "";
    let score = shortcut.startsWith(first) ? 0 : shortcut.includes(first) ? 1 : 2;
    score = score * 4 + (item.scope === "personal" ? 0 : 2);
    if (preferredLocale && item.locale && item.locale !== preferredLocale) score += 1;
    scored.push([score, item]);
  }
  scored.sort((a, b) => a[0] - b[0] || a[1].shortcut.localeCompare(b[1].shortcut));
  return scored.map(([, item]) => item);
}

/** A composer add-on; `context()` gives the open conversation, the agent and the console. */
export function cannedPicker(context) {
  let loading = null;
  let input = null;
  let list = null;
  let matches = [];
  let active = 0;
  let open = false;

  const load = () => {
    if (loading) return loading;
    loading = workflowApi
      .canned()
      .then((result) => {
        cache.items = result;
        cache.loadedAt = Date.now();
      })
      .catch(() => {
        cache.items = cache.items || [];
      })
      .finally(() => {
        loading = null;
        if (open) update();
      });
    return loading;
  };

  const query = () => {
    const match = /^\/([^\n]*)$/.exec(input.value);
    return match ? match[1] : null;
  };

  const close = () => {
    open = false;
    if (!list) return;
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  };

  const insert = (item) => {
    input.value = fillVariables(item.content, context());
    close();
    input.focus();
    input.setSelectionRange(input.value.length, input.value.length);
  };

  const render = () => {
    const shown = matches.slice(0, SHOWN);
    if (cache.items === null) {
      mount(list, h("li", { class: "canned-empty", text: t("canned.loading") }));
    } else if (!shown.length) {
      mount(list, h("li", { class: "canned-empty", text: t("canned.noMatch") }));
    } else {
      mount(
        list,
        shown.map((item, index) =>
          h(
            "li",
            {
              id: `canned-option-${index}`,
              class: "canned-option",
              role: "option",
              "aria-selected": String(index === active),
              "data-shortcut": item.shortcut,
              // mousedown, not click: the textarea must keep the focus.
              onmousedown: (event) => {
                event.preventDefault();
                insert(item);
              },
            },
            h(
              "span",
              { class: "canned-head" },
              h("span", { class: "canned-shortcut", text: `/${item.shortcut}` }),
              h("span", { class: "canned-title", text: item.title }),
              item.locale ? h("span", { class: "chip", text: item.locale }) : null,
              item.scope === "shared" ? h("span", { class: "chip", text: t("canned.shared") }) : null,
            ),
            h("span", { class: "canned-preview", text: item.content.slice(0, 120) }),
          ),
        ),
      );
    }
    if (shown.length) {
      input.setAttribute("aria-activedescendant", `canned-option-${active}`);
      list.querySelector(`#canned-option-${active}`)?.scrollIntoView({ block: "nearest" });
    } else input.removeAttribute("aria-activedescendant");
  };

  const update = () => {
    const q = query();
    if (q === null) return close();
    if (cache.items === null || Date.now() - cache.loadedAt > REFRESH_MS) load();
    const { conv, ctx } = context();
    const inbox = conv && ctx ? ctx.inboxes.find((i) => i.id === conv.inbox_id) : null;
    matches = rankCanned(cache.items || [], q, inbox ? inbox.locale : null);
    active = Math.min(active, Math.max(0, Math.min(matches.length, SHOWN) - 1));
    open = true;
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    render();
  };

  return {
    mount(form, textarea) {
      input = textarea;
      list = h("ul", {
        id: "canned-list",
        class: "canned-list",
        role: "listbox",
        "aria-label": t("canned.picker"),
        hidden: true,
      });
      input.setAttribute("role", "combobox");
      input.setAttribute("aria-autocomplete", "list");
      input.setAttribute("aria-controls", "canned-list");
      input.setAttribute("aria-expanded", "false");
      form.classList.add("has-picker");
      form.prepend(list);
      open = false;
      if (cache.items === null) load(); // ready before the agent types "/"
    },
    input() {
      active = 0;
      update();
    },
    blur() {
      close();
    },
    keydown(event) {
      if (!open || event.isComposing) return false;
      const count = Math.min(matches.length, SHOWN);
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (!count) return false;
        event.preventDefault();
        active = (active + (event.key === "ArrowDown" ? 1 : count - 1)) % count;
        render();
        return true;
      }
      if ((event.key === "Enter" && !event.shiftKey) || event.key === "Tab") {
        if (cache.items === null) {
          event.preventDefault(); // still loading: neither send "/…" nor leave the field
          return true;
        }
        if (!count) return false; // nothing to insert: Enter sends as usual
        event.preventDefault();
        insert(matches[active]);
        return true;
      }
      if (event.key === "Escape") {
        event.preventDefault();
        close();
        return true;
      }
      return false;
    },
  };
}
