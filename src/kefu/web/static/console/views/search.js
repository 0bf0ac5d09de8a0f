// The search page: a query box, type tabs (messages, contacts, conversations), filters, and
// results whose snippets mark the matched words. Snippets arrive as segments; each becomes a
// text node, matched ones inside <mark>: customer text is never parsed as markup.
// A message hit opens its conversation and scrolls to the message when it is on the first page.

import { request } from "../api.js";
import { clockTime, contactName, errorText, h, labelled, mount } from "../dom.js";
import { t } from "../i18n.js";

const PAGE = 20;
const TYPES = ["messages", "contacts", "conversations"];
const STATUSES = ["open", "pending", "snoozed", "resolved"];

// Kept across visits: going to a conversation and back shows the same results.
const state = {
  q: "",
  type: "messages",
  filters: { status: "", inbox_id: "", tag: "", assignee: "", since: "", until: "" },
};

export async function renderSearch(container, ctx) {
  const view = new SearchView(container, ctx);
  view.render();
  if (state.q) await view.search();
}

/** A snippet's segments as nodes: matched text in <mark>, everything as text. */
export function snippetNodes(segments) {
  return segments.map((s) => (s.match ? h("mark", { text: s.text }) : document.createTextNode(s.text)));
}

/** The date input's day as an aware ISO time at local midnight (`nextDay`: the day after). */
function dayStart(value, nextDay = false) {
  const [y, m, d] = value.split("-").map(Number);
  return new Date(y, m - 1, d + (nextDay ? 1 : 0)).toISOString();
}

/** Open a conversation; if the message is loaded (recent enough), scroll to it and flash it. */
function openAt(conversationId, seq) {
  location.hash = `#/conversations/${conversationId}`;
  if (!seq) return;
  let tries = 0;
  const find = () => {
    const node = document.querySelector(`.thread [data-seq="${Number(seq)}"]`);
    if (node) {
      node.scrollIntoView({ block: "center" });
      node.classList.add("search-hit");
      setTimeout(() => node.classList.remove("search-hit"), 2500);
    } else if (++tries < 20) setTimeout(find, 100);
  };
  setTimeout(find, 50);
}

class SearchView {
  constructor(container, ctx) {
    this.container = container;
    this.ctx = ctx;
    this.offset = 0;
    this.results = h("ol", { class: "search-results", "aria-labelledby": "search-results-title" });
    this.status = h("p", { class: "list-status", role: "status", "aria-live": "polite" });
    this.more = h("button", {
      type: "button",
      class: "btn",
      hidden: true,
      text: t("search.more"),
      onclick: () => this.search(true),
    });
    this.serial = 0;
  }

  render() {
    const input = h("input", {
      type: "search",
      id: "search-q",
      value: state.q,
      maxlength: "200",
      placeholder: t("search.placeholder"),
      autocomplete: "off",
    });
    this.input = input;
    const form = h(
      "form",
      {
        class: "search-form",
        role: "search",
        onsubmit: (event) => {
          event.preventDefault();
          state.q = input.value.trim();
          this.search();
        },
      },
      h("label", { for: "search-q", class: "sr-only", text: t("search.query") }),
      input,
      h("button", { type: "submit", class: "btn btn-primary", text: t("search.submit") }),
    );
    const tabs = h(
      "div",
      { class: "tabs search-tabs", role: "group", "aria-label": t("search.types") },
      TYPES.map((type) =>
        h("button", {
          type: "button",
          class: "tab",
          "aria-pressed": String(state.type === type),
          "data-type": type,
          text: t(`search.type.${type}`),
          onclick: () => {
            state.type = type;
            for (const b of tabs.querySelectorAll(".tab")) {
              b.setAttribute("aria-pressed", String(b.dataset.type === type));
            }
            this.search();
          },
        }),
      ),
    );
    mount(
      this.container,
      h("div", { class: "page-head" }, h("h1", { text: t("search.title") })),
      form,
      h("p", { class: "hint", text: t("search.help") }),
      tabs,
      this.filtersView(),
      h("h2", { id: "search-results-title", class: "sr-only", text: t("search.results") }),
      this.status,
      this.results,
      this.more,
    );
    input.focus();
  }

  filtersView() {
    const f = state.filters;
    const select = (name, options) => {
      const el = h(
        "select",
        {
          onchange: () => {
            f[name] = el.value;
            this.search();
          },
        },
        options.map(([value, label]) => h("option", { value, selected: f[name] === value }, label)),
      );
      return el;
    };
    const input = (name, type) => {
      const el = h("input", {
        type,
        value: f[name],
        onchange: () => {
          f[name] = el.value.trim();
          this.search();
        },
      });
      if (type === "text") el.maxLength = 100;
      return el;
    };
    const agents = (this.ctx.users || []).filter((u) => u.is_active !== false);
    return h(
      "fieldset",
      { class: "search-filters" },
      h("legend", { text: t("search.filters") }),
      labelled(
        t("search.status"),
        select("status", [
          ["", t("search.status.any")],
          ...STATUSES.map((s) => [s, t(`search.status.${s}`)]),
        ]),
      ),
      labelled(
        t("search.inbox"),
        select("inbox_id", [
          ["", t("search.inbox.any")],
          ...this.ctx.inboxes.map((i) => [String(i.id), i.name]),
        ]),
      ),
      labelled(t("search.tag"), input("tag", "text")),
      labelled(
        t("search.assignee"),
        select("assignee", [
          ["", t("search.assignee.any")],
          ["me", t("search.assignee.me")],
          ["unassigned", t("search.assignee.unassigned")],
          ...agents.map((u) => [String(u.id), u.name]),
        ]),
      ),
      labelled(t("search.since"), input("since", "date")),
      labelled(t("search.until"), input("until", "date")),
      h("button", {
        type: "button",
        class: "btn btn-ghost",
        text: t("search.clear"),
        onclick: () => {
          for (const key of Object.keys(f)) f[key] = "";
          this.render();
          this.search();
        },
      }),
    );
  }

  params() {
    const f = state.filters;
    const p = new URLSearchParams({ q: state.q, type: state.type, limit: String(PAGE) });
    p.set("offset", String(this.offset));
    for (const key of ["status", "inbox_id", "tag", "assignee"]) if (f[key]) p.set(key, f[key]);
    if (f.since) p.set("since", dayStart(f.since));
    if (f.until) p.set("until", dayStart(f.until, true));
    return p;
  }

  async search(more = false) {
    if (!state.q) return;
    this.offset = more ? this.offset + PAGE : 0;
    const serial = ++this.serial;
    this.status.textContent = t("search.searching");
    let body;
    try {
      body = await request("GET", `/api/v1/search?${this.params()}`);
    } catch (error) {
      if (serial !== this.serial) return;
      this.status.textContent = errorText(error);
      if (!more) mount(this.results);
      this.more.hidden = true;
      return;
    }
    if (serial !== this.serial) return; // a newer search is on its way
    const items = body[body.type].map((item) => this.item(body.type, item));
    if (more) this.results.append(...items);
    else mount(this.results, items);
    const shown = this.results.children.length;
    this.status.textContent = shown ? t("search.count", { n: shown }) : t("search.none");
    this.more.hidden = !body.has_more;
  }

  item(type, item) {
    if (type === "messages") return this.messageItem(item);
    if (type === "contacts") return this.contactItem(item);
    return this.conversationItem(item);
  }

  messageItem(hit) {
    const open = h(
      "a",
      {
        href: `#/conversations/${hit.conversation_id}`,
        class: "search-hit-link",
        "aria-label": t("search.open", { id: hit.conversation_id }),
        onclick: (event) => {
          event.preventDefault();
          openAt(hit.conversation_id, hit.seq);
        },
      },
      h("span", { class: "search-snippet" }, snippetNodes(hit.snippet)),
    );
    return h(
      "li",
      { class: "search-item" },
      h(
        "div",
        { class: "search-meta" },
        h("strong", {
          text: hit.sender.type === "contact" ? contactName(hit.contact) : hit.sender.name,
        }),
        hit.kind === "note" ? h("span", { class: "pill status-pending", text: t("search.note") }) : null,
        h("span", {
          class: "muted",
          text: t("search.inConversation", { id: hit.conversation_id, contact: contactName(hit.contact) }),
        }),
        h("time", { datetime: hit.created_at, class: "muted", text: clockTime(hit.created_at) }),
      ),
      open,
    );
  }

  contactItem(hit) {
    const name = contactName(hit.contact);
    const fields = hit.matched.map((f) => t(`search.field.${f}`)).join(", ");
    return h(
      "li",
      { class: "search-item" },
      h(
        "div",
        { class: "search-meta" },
        h("strong", { text: name }),
        hit.contact.email ? h("span", { class: "muted", text: hit.contact.email }) : null,
        hit.phone ? h("span", { class: "muted", text: hit.phone }) : null,
        hit.company ? h("span", { class: "muted", text: hit.company }) : null,
      ),
      h("p", { class: "search-snippet" }, snippetNodes(hit.snippet)),
      h(
        "div",
        { class: "search-meta" },
        fields ? h("span", { class: "muted", text: t("search.matched", { fields }) }) : null,
        h("button", {
          type: "button",
          class: "btn btn-ghost",
          text: `${t("search.conversationsOf", { name })} (${t("search.contactConversations", { n: hit.conversations })})`,
          onclick: () => {
            state.q = hit.contact.email || name;
            state.type = "conversations";
            this.render();
            this.search();
          },
        }),
      ),
    );
  }

  conversationItem(conv) {
    return h(
      "li",
      { class: "search-item" },
      h(
        "a",
        { href: `#/conversations/${conv.id}`, class: "search-hit-link" },
        h(
          "div",
          { class: "search-meta" },
          h("strong", { text: t("search.conversation", { id: conv.id }) }),
          h("span", { text: contactName(conv.contact) }),
          h("span", { class: `pill status-${conv.status}`, text: t(`search.status.${conv.status}`) }),
          (conv.tags || []).map((tag) => h("span", { class: "pill search-tag", text: tag })),
          h("time", {
            datetime: conv.last_activity_at,
            class: "muted",
            text: clockTime(conv.last_activity_at),
          }),
        ),
        h("p", { class: "search-snippet muted", text: conv.last_message_preview }),
      ),
    );
  }
}
