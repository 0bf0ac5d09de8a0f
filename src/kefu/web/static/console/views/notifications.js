// The notification centre: a bell with the unread count in the navigation, a panel listing
// notifications (newest first, paged), click to open the conversation (which marks it read),
// "mark all read", the do-not-disturb switch; live over the socket, with a sound and a browser
// notification when the server's alert flags (the user's preferences and do-not-disturb) allow.

import { request } from "../api.js";
import { armSound, playChime } from "../chime.js";
import { contactName, guard, h, mount, relativeTime } from "../dom.js";
import { t } from "../i18n.js";
import { icon } from "../icons.js";

const PAGE = 20;
const PREFS = "/api/v1/me/notification-preferences";

/** The sentence a notification shows: who did what, in which conversation. */
export function notificationText(n) {
  const contact = contactName({ id: n.contact_id, name: n.contact_name });
  const actor = n.actor ? n.actor.name : "";
  switch (n.type) {
    case "assigned":
      return actor ? t("notify.assigned", { actor, contact }) : t("notify.assignedAuto", { contact });
    case "mentioned":
      return t("notify.mentioned", { actor, contact });
    case "message":
      return n.count > 1 ? t("notify.messages", { n: n.count, contact }) : t("notify.message", { contact });
    case "sla_breach":
      return t("notify.sla", { kind: t(`sla.${(n.data && n.data.kind) || "first_response"}`), contact });
    default:
      return contact;
  }
}

export class NotificationCenter {
  constructor(ctx) {
    this.ctx = ctx;
    this.unread = 0;
    this.items = new Map(); // id -> notification
    this.nextCursor = null;
    this.prefs = null;
    this.button = null;
    this.badge = null;
    this.panel = h("section", {
      id: "notify-panel",
      class: "notify-panel",
      role: "dialog",
      "aria-labelledby": "notify-title",
      hidden: true,
    });
    document.body.append(this.panel);
    this.off = ctx.bus.on((frame) => this.frame(frame));
    this.outside = (event) => {
      if (this.panel.hidden) return;
      if (!this.panel.contains(event.target) && !(this.button && this.button.contains(event.target))) {
        this.close(false);
      }
    };
    document.addEventListener("pointerdown", this.outside);
    armSound();
  }

  stop() {
    this.off();
    document.removeEventListener("pointerdown", this.outside);
    this.panel.remove();
  }

  async start() {
    await Promise.all([this.refresh(), this.loadPrefs()]);
  }

  async loadPrefs() {
    try {
      this.prefs = await request("GET", PREFS);
    } catch {
      this.prefs = null;
    }
    if (!this.panel.hidden) this.render();
  }

  /** The first page and the unread count, afresh (start, reconnect, opening the panel). */
  async refresh() {
    let page;
    try {
      page = await request("GET", `/api/v1/notifications?limit=${PAGE}`);
    } catch {
      return;
    }
    this.items = new Map(page.items.map((n) => [n.id, n]));
    this.nextCursor = page.next_cursor;
    this.setUnread(page.unread_count);
    if (!this.panel.hidden) this.render();
  }

  async more() {
    if (!this.nextCursor) return;
    const q = new URLSearchParams({ limit: String(PAGE), cursor: this.nextCursor });
    const page = await guard(request("GET", `/api/v1/notifications?${q}`));
    if (!page) return;
    for (const n of page.items) this.items.set(n.id, n);
    this.nextCursor = page.next_cursor;
    this.render();
  }

  // --- the bell ----------------------------------------------------------------------------------

  /** The bell button (drawn again with the shell). */
  bell() {
    this.badge = h("span", { class: "nav-badge notify-badge", "aria-hidden": "true", hidden: true });
    this.button = h(
      "button",
      {
        type: "button",
        class: "notify-bell",
        "aria-haspopup": "dialog",
        "aria-controls": "notify-panel",
        "aria-expanded": String(!this.panel.hidden),
        onclick: () => (this.panel.hidden ? this.show() : this.close(true)),
      },
      h("span", { class: "nav-icon" }, icon("bell"), this.badge),
    );
    this.renderBadge();
    if (!this.panel.hidden) this.render();
    return this.button;
  }

  setUnread(count) {
    this.unread = Math.max(0, count);
    this.renderBadge();
  }

  renderBadge() {
    if (!this.button) return;
    this.badge.textContent = this.unread > 99 ? "99+" : String(this.unread);
    this.badge.hidden = !this.unread;
    const label = this.unread ? t("notify.bellUnread", { n: this.unread }) : t("notify.bell");
    this.button.setAttribute("aria-label", label);
    this.button.title = label;
  }

  // --- the panel ---------------------------------------------------------------------------------

  show() {
    this.panel.hidden = false;
    if (this.button) this.button.setAttribute("aria-expanded", "true");
    this.render();
    this.panel.querySelector(".notify-close")?.focus();
    this.refresh();
  }

  close(restoreFocus) {
    this.panel.hidden = true;
    if (this.button) {
      this.button.setAttribute("aria-expanded", "false");
      if (restoreFocus) this.button.focus();
    }
  }

  render() {
    const items = [...this.items.values()].sort(
      (a, b) => new Date(b.updated_at) - new Date(a.updated_at) || b.id - a.id,
    );
    const dnd = h("input", {
      type: "checkbox",
      id: "notify-dnd",
      checked: !!(this.prefs && this.prefs.dnd),
      disabled: !this.prefs,
      onchange: () => this.setDnd(dnd.checked),
    });
    mount(
      this.panel,
      h(
        "header",
        { class: "notify-head" },
        h("h2", { id: "notify-title", text: t("notify.title") }),
        h("button", {
          type: "button",
          class: "btn btn-ghost btn-small notify-close",
          "aria-label": t("notify.close"),
          text: "×",
          onclick: () => this.close(true),
        }),
      ),
      h(
        "div",
        { class: "notify-tools" },
        h("label", { class: "notify-dnd", for: "notify-dnd" }, dnd, t("notify.dnd")),
        h("button", {
          type: "button",
          class: "btn btn-ghost btn-small",
          "data-action": "mark-all-read",
          text: t("notify.markAll"),
          disabled: !this.unread,
          onclick: () => this.markAll(),
        }),
        h("a", {
          class: "btn btn-ghost btn-small",
          href: "#/notification-settings",
          text: t("notify.settings"),
          onclick: () => this.close(false),
        }),
      ),
      this.prefs && this.prefs.dnd_active
        ? h("p", { class: "notify-dnd-note", text: t("notify.dndOn") })
        : null,
      items.length
        ? h("ul", { class: "notify-list" }, items.map((n) => this.item(n)))
        : h("p", { class: "notify-empty", text: t("notify.empty") }),
      this.nextCursor
        ? h("button", {
            type: "button",
            class: "btn btn-ghost btn-block",
            text: t("notify.more"),
            onclick: () => this.more(),
          })
        : null,
    );
  }

  item(n) {
    const text = notificationText(n);
    const unread = !n.read_at;
    return h(
      "li",
      {},
      h(
        "button",
        {
          type: "button",
          class: "notify-item" + (unread ? " is-unread" : ""),
          "data-id": String(n.id),
          "data-conversation": String(n.conversation_id),
          "aria-label": unread ? t("notify.unreadItem", { text }) : text,
          onclick: () => this.openNotification(n),
        },
        h("span", { class: "notify-dot", "aria-hidden": "true" }),
        h(
          "span",
          { class: "notify-body" },
          h("span", { class: "notify-text", text }),
          n.preview ? h("span", { class: "notify-preview", text: n.preview }) : null,
          h("time", {
            class: "notify-time",
            datetime: n.updated_at,
            text: relativeTime(n.updated_at),
          }),
        ),
      ),
    );
  }

  openNotification(n) {
    this.close(false);
    this.markConversation(n.conversation_id);
    location.hash = `#/conversations/${n.conversation_id}`;
  }

  // --- read marks ----------------------------------------------------------------------------------

  /** The console opened a conversation: its notifications are read (if we know of any). */
  conversationOpened(conversationId) {
    const known = [...this.items.values()].some(
      (n) => n.conversation_id === conversationId && !n.read_at,
    );
    if (known) this.markConversation(conversationId);
  }

  async markConversation(conversationId) {
    const now = new Date().toISOString();
    for (const n of this.items.values()) {
      if (n.conversation_id === conversationId && !n.read_at) n.read_at = now;
    }
    const result = await guard(
      request("POST", "/api/v1/notifications/read", { conversation_id: conversationId }),
    );
    if (result) this.setUnread(result.unread_count);
  }

  async markAll() {
    const result = await guard(request("POST", "/api/v1/notifications/read", {}));
    if (!result) return;
    const now = new Date().toISOString();
    for (const n of this.items.values()) n.read_at = n.read_at || now;
    this.setUnread(result.unread_count);
    this.render();
  }

  async setDnd(on) {
    const { dnd_active: _active, ...prefs } = this.prefs;
    const saved = await guard(request("PUT", PREFS, { ...prefs, dnd: on }));
    if (saved) this.prefs = saved;
    this.render();
    this.panel.querySelector("#notify-dnd")?.focus();
  }

  // --- live -------------------------------------------------------------------------------------

  frame(frame) {
    switch (frame.type) {
      case "notification.created":
        this.created(frame);
        break;
      case "notification.read": {
        const ids = new Set(frame.ids);
        const now = new Date().toISOString();
        for (const n of this.items.values()) if (ids.has(n.id)) n.read_at = n.read_at || now;
        this.setUnread(frame.unread_count);
        if (!this.panel.hidden) this.render();
        break;
      }
      case "notification.preferences":
        this.prefs = frame.preferences;
        if (!this.panel.hidden) this.render();
        break;
      case "resync":
        this.refresh();
        this.loadPrefs();
        break;
      default:
    }
  }

  created(frame) {
    const n = frame.notification;
    this.items.set(n.id, n);
    this.setUnread(this.unread + (frame.unread_delta || 0));
    if (!this.panel.hidden) this.render();
    const onScreen =
      this.ctx.currentId() === n.conversation_id && document.visibilityState === "visible";
    if (onScreen) {
      this.markConversation(n.conversation_id); // already in front of the agent
      return;
    }
    this.alert(n, frame.alert);
  }

  /** A sound and a browser notification, as the server's flags allow, once per browser. */
  alert(n, flags) {
    if (!flags || !firstTab(n)) return;
    if (flags.sound) playChime();
    const wanted = document.visibilityState === "hidden" || (this.prefs && this.prefs.browser_when_visible);
    if (!flags.browser || !wanted || !("Notification" in window)) return;
    if (Notification.permission !== "granted") return;
    const shown = new Notification(notificationText(n), {
      body: n.preview || "",
      tag: `kefu-notification-${n.id}`,
      lang: document.documentElement.lang,
    });
    shown.onclick = () => {
      window.focus();
      this.openNotification(n);
      shown.close();
    };
  }
}

/** Several console tabs get the same notification: the first to claim it alerts. */
function firstTab(n) {
  const key = `kefu.alerted.${n.id}.${n.updated_at}`;
  try {
    if (localStorage.getItem(key)) return false;
    localStorage.setItem(key, "1");
    setTimeout(() => localStorage.removeItem(key), 15000);
  } catch {
    // storage unavailable (private mode): alert in every tab rather than in none
  }
  return true;
}
