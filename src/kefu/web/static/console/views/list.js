// The conversation list: filters (mine / unassigned / all × status), unread counts, previews,
// relative times, priority / queue number / tags, "load more" by cursor, and live updates.

import { api } from "../api.js";
import { contactName, guard, h, mount, relativeTime } from "../dom.js";
import { t } from "../i18n.js";
import { previewOf, previewText } from "./attachments.js";
import { BulkSelection } from "./bulk.js";
import { priorityPill } from "./queue.js";
import { snoozedText } from "./snooze.js";
import { hasTag, tagChip, tagFilter } from "./tags.js";
import { channelBadge, channelTypeOf } from "../channels.js";

const ASSIGNEE_FILTERS = ["mine", "participating", "unassigned", "all"];
const STATUSES = ["open", "pending", "snoozed", "resolved"];
const sameFilter = (a, b) => a.assignee === b.assignee && a.status === b.status && a.tag === b.tag;

export class ConversationList {
  constructor(ctx) {
    this.ctx = ctx;
    this.filter = { assignee: "all", status: "open", tag: null };
    this.bulk = new BulkSelection(ctx, this);
    this.items = new Map(); // id -> conversation (with unread_count)
    this.nextCursor = null;
    this.loading = false;
    this.refreshTimer = null;
    this.ul = h("ul", { class: "conv-list", "aria-labelledby": "list-title" });
    this.more = h("button", {
      type: "button",
      class: "btn btn-ghost btn-block",
      hidden: true,
      onclick: () => this.load(true),
    });
    this.status = h("p", { class: "list-status", "aria-live": "polite" });
    this.el = h("section", { class: "list-pane", "aria-labelledby": "list-title" });
    setInterval(() => this.render(), 60000);
  }

  view() {
    const tabs = h(
      "div",
      { class: "tabs", role: "group", "aria-label": t("filter.label") },
      ASSIGNEE_FILTERS.map((value) =>
        h("button", {
          type: "button",
          class: "tab",
          "aria-pressed": String(this.filter.assignee === value),
          "data-filter": value,
          text: t(`filter.${value}`),
          onclick: () => this.setFilter({ assignee: value }),
        }),
      ),
    );
    const status = h(
      "select",
      { id: "status-filter", onchange: () => this.setFilter({ status: status.value }) },
      STATUSES.map((value) =>
        h("option", { value, selected: value === this.filter.status }, t(`status.${value}`)),
      ),
    );
    this.more.textContent = t("list.more");
    mount(
      this.el,
      h(
        "header",
        { class: "pane-head" },
        h("h1", { id: "list-title", text: t("list.title") }),
        h(
          "div",
          { class: "status-filter" },
          h("label", { for: "status-filter", class: "sr-only", text: t("filter.status") }),
          status,
        ),
        tagFilter(this.filter.tag, (tag) => this.setFilter({ tag })),
      ),
      tabs,
      this.bulk.view(),
      h("div", { class: "list-scroll" }, this.status, this.ul, this.more),
    );
    this.render();
    return this.el;
  }

  setFilter(change) {
    this.filter = { ...this.filter, ...change };
    this.view();
    this.load(false);
  }

  matches(conv) {
    if (conv.status !== this.filter.status) return false;
    if (this.filter.tag && !hasTag(conv, this.filter.tag)) return false;
    if (this.filter.assignee === "mine") return !!conv.assignee && conv.assignee.id === this.ctx.me.id;
    if (this.filter.assignee === "unassigned") return !conv.assignee;
    if (this.filter.assignee === "participating") return !!this.ctx.participation?.has(conv.id);
    return true;
  }

  /** First page (replacing the list) or, with `more`, the next page by cursor. */
  async load(more) {
    if (more && !this.nextCursor) return;
    this.loading = true;
    const filter = { ...this.filter };
    if (!more) this.render();
    const page = await guard(api.conversations({ ...filter, cursor: more ? this.nextCursor : null }));
    this.loading = false;
    if (!page || !sameFilter(filter, this.filter)) {
      this.render();
      return;
    }
    if (!more) this.items.clear();
    if (filter.assignee === "participating") this.ctx.participation?.saw(page.items);
    for (const conv of page.items) this.items.set(conv.id, conv);
    this.nextCursor = page.next_cursor;
    this.render();
  }

  /** Merge the first page into the list (after reconnects and for unknown conversations). */
  scheduleRefresh() {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(async () => {
      const filter = { ...this.filter };
      const page = await guard(api.conversations(filter));
      if (!page || !sameFilter(filter, this.filter)) return;
      if (filter.assignee === "participating") this.ctx.participation?.saw(page.items);
      for (const conv of page.items) this.items.set(conv.id, conv);
      for (const [id, conv] of this.items) if (!this.matches(conv)) this.items.delete(id);
      if (this.items.size <= page.items.length) this.nextCursor = page.next_cursor;
      this.render();
    }, 150);
  }

  sorted() {
    return [...this.items.values()].sort(
      (a, b) =>
        new Date(b.last_activity_at) - new Date(a.last_activity_at) || b.id - a.id,
    );
  }

  // --- live updates -------------------------------------------------------------------------

  conversationCreated(conv) {
    if (!this.matches(conv) || this.items.has(conv.id)) return;
    this.items.set(conv.id, { ...conv, unread_count: 0 });
    this.render();
  }

  removed(id) {
    if (this.items.delete(id)) this.render();
  }

  conversationUpdated(conv) {
    const known = this.items.get(conv.id);
    if (!this.matches(conv)) {
      if (known) {
        this.items.delete(conv.id);
        this.render();
      }
      return;
    }
    if (!known) {
      this.scheduleRefresh();
      return;
    }
    const lastSeq = Math.max(known.last_seq, conv.last_seq);
    this.items.set(conv.id, { ...known, ...conv, last_seq: lastSeq, unread_count: known.unread_count });
    this.render();
  }

  messageCreated(frame, isOpen) {
    const conv = this.items.get(frame.conversation_id);
    if (!conv) {
      this.scheduleRefresh();
      return;
    }
    const message = frame.message;
    if (frame.seq <= conv.last_seq) return; // already counted (dedupe by seq)
    conv.last_seq = frame.seq;
    conv.last_activity_at = message.created_at;
    if (message.kind === "incoming" || message.kind === "outgoing") {
      Object.assign(conv, previewOf(message));
    }
    if (message.kind === "incoming" && !isOpen) conv.unread_count = (conv.unread_count || 0) + 1;
    this.render();
  }

  markRead(conversationId) {
    const conv = this.items.get(conversationId);
    if (conv && conv.unread_count) {
      conv.unread_count = 0;
      this.render();
    }
  }

  // --- rendering ----------------------------------------------------------------------------

  render() {
    const focused = document.activeElement?.closest?.(".conv-item, .conv-select");
    const focusedId = focused?.dataset.id;
    const focusedKind = focused?.classList.contains("conv-select") ? "conv-select" : "conv-item";
    const items = this.sorted();
    const currentId = this.ctx.currentId();
    mount(this.ul, items.map((conv) => this.item(conv, conv.id === currentId)));
    this.status.textContent = this.loading
      ? t("list.loading")
      : items.length === 0
        ? t("list.empty")
        : "";
    this.more.hidden = !this.nextCursor;
    this.bulk.render();
    if (focusedId) {
      this.ul.querySelector(`.${focusedKind}[data-id="${CSS.escape(focusedId)}"]`)?.focus();
    }
  }

  item(conv, current) {
    const unread = conv.unread_count || 0;
    return h(
      "li",
      { class: "conv-row" },
      this.bulk.checkbox(conv),
      h(
        "a",
        {
          class: "conv-item" + (unread ? " is-unread" : ""),
          href: `#/conversations/${conv.id}`,
          "data-id": String(conv.id),
          "aria-current": current ? "page" : null,
        },
        h("span", { class: "avatar", "aria-hidden": "true", text: contactName(conv.contact).slice(0, 1) }),
        h(
          "span",
          { class: "conv-body" },
          h(
            "span",
            { class: "conv-top" },
            h("span", { class: "conv-name", text: contactName(conv.contact) }),
            channelBadge(channelTypeOf(this.ctx, conv)),
            h("time", {
              class: "conv-time",
              datetime: conv.last_activity_at,
              text: relativeTime(conv.last_activity_at),
            }),
          ),
          h(
            "span",
            { class: "conv-bottom" },
            h("span", { class: "conv-preview", text: previewText(conv) || "—" }),
            unread
              ? h("span", {
                  class: "badge",
                  "aria-label": t("list.unread", { n: unread }),
                  text: String(unread),
                })
              : null,
          ),
          conv.assignee
            ? h("span", { class: "conv-assignee", text: conv.assignee.name })
            : null,
          flags(conv),
        ),
      ),
    );
  }
}

/** Priority (unless normal), a waiting conversation's queue number, and tags. */
function flags(conv) {
  const items = [];
  if (conv.priority && conv.priority !== "normal") items.push(priorityPill(conv.priority));
  if (conv.queued_at && !conv.assignee && conv.queue_number !== null && conv.status !== "resolved") {
    const text = t("conv.queueWaiting", { n: conv.queue_number });
    items.push(h("span", { class: "pill pill-queue", text }));
  }
  if (conv.status === "snoozed") items.push(h("span", { class: "pill status-snoozed", text: snoozedText(conv) }));
  for (const tag of conv.tags || []) items.push(tagChip(tag));
  return items.length ? h("span", { class: "conv-flags" }, items) : null;
}
