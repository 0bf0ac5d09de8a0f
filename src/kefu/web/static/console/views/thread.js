// One open conversation: paged history, live messages deduplicated by seq, the composer with
// queued sends, typing indicators, read marks (ours and the customer's), resume on reconnect.

import { api, request } from "../api.js";
import { contactName, errorText, guard, h, mount, toast, uuid } from "../dom.js";
import { t } from "../i18n.js";
import { coalesce } from "../live.js";
import { AssistPanel } from "./assist.js";
import { AttachmentTray } from "./attachments.js";
import { Composer } from "./composer.js";
import { cannedPicker } from "./canned-picker.js";
import { CustomerPanel } from "./customer-panel.js";
import { actionsView, detailsView } from "./details.js";
import { FollowUp } from "./followup.js";
import { messageView } from "./messages.js";
import { slaBadge, slaList } from "./sla.js";
import { tagEditor } from "./tags.js";
import { channelBadge, channelTypeOf, messageUpdates, ReplyWindow, subjectLine } from "../channels.js";

const TYPING_TTL_MS = 7000;
const SLA_TICK_MS = 15000;
const NEXT_DUE_REFETCH_MS = 6000; // the worker fills next-response due times every ~5 s

export class Thread {
  constructor(ctx) {
    this.ctx = ctx;
    this.conv = null;
    this.messages = new Map(); // seq -> message
    this.pending = []; // local sends not yet confirmed, across conversations
    this.hasOlder = false;
    this.typing = new Map();
    this.lastReadSent = 0;
    this.token = 0;
    this.opening = null; // {id, missed}: message.updated frames that came while it loaded
    this.composer = new Composer({
      onSend: (text, isPrivate, mentions) => this.send(text, isPrivate, mentions),
      mentions: () => this.mentionables(),
      self: () => (ctx.me ? ctx.me.id : null),
      onTyping: (on, isPrivate) =>
        this.conv &&
        ctx.socket.send({ type: "typing", conversation_id: this.conv.id, on, private: isPrivate }),
      tray: new AttachmentTray({
        conversation: () => this.conv,
        onSent: (message) =>
          this.messageCreated({ conversation_id: message.conversation_id, seq: message.seq, message }),
      }),
    });
    this.composer.addons.push(cannedPicker(() => ({ conv: this.conv, me: ctx.me, ctx })));
    this.el = h("div", { class: "thread-wrap" });
    this.followUp = new FollowUp(ctx); // schedule, export, rating (views/followup.js)
    this.customer = new CustomerPanel(ctx); // suggestions, every channel (views/customer-panel.js)
    // Suggested articles and canned responses for the customer's last message (views/assist.js)
    this.assist = new AssistPanel(ctx, this.composer, () => ({ conv: this.conv, me: ctx.me }));
    this.breached = new Map(); // SLA kind -> due time (ms) reported breached, open conversation
    // Channel inboxes (channels.js): the reply window / templates, and messages a retry changed.
    this.window = new ReplyWindow({
      onSent: (message) =>
        this.messageCreated({ conversation_id: message.conversation_id, seq: message.seq, message }),
    });
    messageUpdates.on((message) => this.messageUpdated({ conversation_id: message.conversation_id, message }));
    document.addEventListener("visibilitychange", () => this.markRead());
    setInterval(() => this.renderSla(), SLA_TICK_MS); // "due in …" counts down, then overdue
    this.refetchSoon = coalesce(() => this.refetch(), NEXT_DUE_REFETCH_MS);
  }

  /** Reload the open conversation's fields (SLA due times the server set without an event). */
  async refetch() {
    if (!this.conv) return;
    const id = this.conv.id;
    try {
      const fresh = await api.conversation(id);
      if (this.conv && this.conv.id === id) this.conversationUpdated(fresh);
    } catch {
      // the next conversation.updated or reopening the thread brings them
    }
  }

  get id() {
    return this.conv ? this.conv.id : null;
  }

  close() {
    if (this.conv) this.composer.stopTyping();
    if (this.ctx.collision) this.ctx.collision.leave();
    this.conv = null;
    this.followUp.show(null);
    this.customer.show(null);
    this.assist.show(null);
    this.window.clear();
    this.breached = new Map();
    this.messages.clear();
    this.typing.clear();
    this.token += 1;
    mount(this.el, h("div", { class: "thread-empty" }, h("p", { text: t("conv.none") })));
    return this.el;
  }

  async open(id) {
    if (this.conv && this.conv.id === id) return this.el;
    this.close();
    const token = this.token;
    const opening = (this.opening = { id, missed: false });
    const [conv, page] = await Promise.all([
      guard(api.conversation(id)),
      guard(api.messages(id)),
    ]);
    if (token !== this.token || !conv || !page) return this.el;
    this.conv = conv;
    this.lastReadSent = 0;
    if (this.ctx.collision) this.ctx.collision.enter(id);
    if (this.ctx.notifications) this.ctx.notifications.conversationOpened(id);
    for (const m of page.items) this.messages.set(m.seq, m);
    this.hasOlder = page.has_more;
    this.build();
    this.renderMessages({ toBottom: true });
    this.markRead();
    this.window.load(conv, channelTypeOf(this.ctx, conv));
    if (this.opening === opening) this.opening = null;
    if (opening.missed) this.reloadMessages(); // a delivery state changed while it loaded
    return this.el;
  }

  /** Fetch the newest page again (what changed in place, e.g. delivery states). */
  async reloadMessages() {
    const id = this.conv ? this.conv.id : null;
    const page = id ? await guard(api.messages(id)) : null;
    if (!page || !this.conv || this.conv.id !== id) return;
    for (const m of page.items) this.messages.set(m.seq, m);
    this.renderMessages();
  }

  build() {
    this.head = h("header", { class: "thread-head" });
    this.older = h("button", {
      type: "button",
      class: "btn btn-ghost older",
      text: t("conv.older"),
      onclick: () => this.loadOlder(),
    });
    this.list = h("ol", { class: "messages", "aria-label": t("conv.messages") });
    this.scroller = h("div", { class: "thread-scroll", role: "log", tabindex: "0" }, this.older, this.list);
    this.typingLine = h("p", { class: "typing-line", "aria-live": "polite" });
    this.side = h("div", { class: "details-wrap" });
    mount(
      this.el,
      h(
        "section",
        { class: "thread", "aria-labelledby": "thread-title" },
        this.head,
        this.scroller,
        this.ctx.collision ? this.ctx.collision.view() : null,
        this.typingLine,
        this.followUp.strip,
        this.window.el,
        this.assist.strip,
        this.composer.view(),
      ),
      this.side,
    );
    this.composer.setReplyAllowed(this.replyAllowed());
    this.renderHead();
  }

  renderHead() {
    const conv = this.conv;
    mount(
      this.head,
      h(
        "div",
        { class: "thread-title" },
        h("a", {
          class: "back",
          href: "#/conversations",
          "aria-label": t("conv.back"),
          text: "‹",
        }),
        h("h2", { id: "thread-title", text: contactName(conv.contact) }),
        channelBadge(channelTypeOf(this.ctx, conv)),
        h("span", { class: `pill status-${conv.status}`, text: t(`status.${conv.status}`) }),
        h("span", { class: "sla-badge-slot" }),
      ),
      subjectLine(conv),
      tagEditor(conv, (updated) => this.conversationUpdated(updated)),
      this.followUp.withActions(
        actionsView(this.ctx, conv, (updated) => this.conversationUpdated(updated)),
        conv,
      ),
    );
    const details = this.followUp.inDetails(detailsView(this.ctx, conv), conv);
    mount(this.side, this.customer.inDetails(this.assist.inDetails(details, conv), conv));
    this.renderSla();
  }

  /** The SLA badge (header) and clocks (sidebar): redrawn on changes and every few seconds. */
  renderSla() {
    if (!this.conv || !this.head) return;
    const badge = this.head.querySelector(".sla-badge-slot");
    if (badge) mount(badge, slaBadge(this.conv, this.breached));
    const list = this.side.querySelector(".sla-slot");
    if (list) mount(list, slaList(this.conv, this.breached));
  }

  /**
   * The response clocks follow the messages (the server sends no conversation.updated for a
   * reply): an agent's reply meets the first / next response; a customer's message starts a
   * wait, whose next-response due time the server's worker fills in a few seconds later.
   */
  noteResponse(message) {
    const conv = this.conv;
    if (message.kind === "outgoing" && message.sender && message.sender.type === "user") {
      conv.first_reply_at = conv.first_reply_at || message.created_at;
      conv.waiting_since = null;
      conv.next_response_due_at = null;
    } else if (message.kind === "incoming") {
      conv.waiting_since = conv.waiting_since || message.created_at;
      const tracked = conv.first_response_due_at || conv.resolution_due_at; // the SLA is on
      if (tracked && conv.first_reply_at && !conv.next_response_due_at) this.refetchSoon();
    } else return;
    this.renderSla();
  }

  /** `sla.breached` for the open conversation: mark the clock overdue, then refetch its dues. */
  async slaBreached(frame) {
    if (!this.conv || frame.conversation_id !== this.conv.id) return;
    this.breached.set(frame.kind, new Date(frame.due_at).getTime());
    this.renderSla();
    await this.refetch();
  }

  renderMessages({ toBottom = false, keepFromBottom = null } = {}) {
    const s = this.scroller;
    const nearBottom = s.scrollHeight - s.scrollTop - s.clientHeight < 120;
    const items = [...this.messages.values()].sort((a, b) => a.seq - b.seq);
    const nodes = items.map((m) => messageView(m, { conversation: this.conv }));
    for (const p of this.pending) {
      if (p.conversation_id !== this.conv.id) continue;
      const state = p.state === "failed" ? "failed" : this.ctx.socket.online ? "sending" : "queued";
      const local = {
        kind: p.private ? "note" : "outgoing",
        text: p.text,
        sender: { name: this.ctx.me.name },
        created_at: null,
      };
      nodes.push(messageView(local, { conversation: this.conv, pendingState: state }));
    }
    mount(this.list, nodes);
    this.older.hidden = !this.hasOlder;
    if (keepFromBottom !== null) s.scrollTop = s.scrollHeight - keepFromBottom;
    else if (toBottom || nearBottom) s.scrollTop = s.scrollHeight;
  }

  async loadOlder() {
    const lowest = Math.min(...this.messages.keys());
    if (!Number.isFinite(lowest)) return;
    const id = this.conv.id;
    const page = await guard(api.messages(id, lowest));
    if (!page || !this.conv || this.conv.id !== id) return;
    for (const m of page.items) this.messages.set(m.seq, m);
    this.hasOlder = page.has_more;
    this.renderMessages({ keepFromBottom: this.scroller.scrollHeight - this.scroller.scrollTop });
  }

  maxSeq() {
    let max = 0;
    for (const seq of this.messages.keys()) max = Math.max(max, seq);
    return max;
  }

  markRead() {
    if (!this.conv || document.visibilityState !== "visible") return;
    const seq = this.maxSeq();
    if (seq <= this.lastReadSent) return;
    this.lastReadSent = seq;
    const frame = { type: "read", conversation_id: this.conv.id, seq };
    if (!this.ctx.socket.send(frame)) guard(api.markRead(this.conv.id, seq));
    this.ctx.list.markRead(this.conv.id);
  }

  /** Whom a note here may @mention (views/mentions.js), fetched once per conversation. */
  mentionables() {
    const id = this.conv ? this.conv.id : null;
    if (!id) return Promise.resolve(null);
    if (!this.mentionCache || this.mentionCache.id !== id) {
      const list = request("GET", `/api/v1/conversations/${id}/mentionable`).catch(() => null);
      this.mentionCache = { id, list };
    }
    return this.mentionCache.list;
  }

  send(text, isPrivate, mentions = []) {
    const item = {
      client_msg_id: uuid(),
      conversation_id: this.conv.id,
      text,
      private: isPrivate,
      state: "sending",
    };
    this.pending.push(item);
    this.ctx.socket.sendMessage({
      type: "message.send",
      conversation_id: item.conversation_id,
      text,
      private: isPrivate,
      client_msg_id: item.client_msg_id,
      ...(mentions.length ? { mentions } : {}),
    });
    this.renderMessages({ toBottom: true });
  }

  /** After the socket (re)connects: replay what this conversation missed. */
  resume() {
    if (this.ctx.collision) this.ctx.collision.resend();
    if (this.conv) {
      this.ctx.socket.send({ type: "resume", conversation_id: this.conv.id, last_seq: this.maxSeq() });
    }
    if (this.list) this.renderMessages();
  }

  connectionChanged() {
    if (this.conv && this.list) this.renderMessages();
  }

  // --- live events --------------------------------------------------------------------------

  messageCreated(frame) {
    const message = frame.message;
    const before = this.pending.length;
    if (message.client_msg_id) {
      this.pending = this.pending.filter((p) => p.client_msg_id !== message.client_msg_id);
    }
    if (!this.conv || frame.conversation_id !== this.conv.id) return;
    if (this.messages.has(frame.seq) && before === this.pending.length) return; // dedupe by seq
    this.messages.set(frame.seq, message);
    this.noteResponse(message);
    if (message.kind === "incoming") {
      this.typing.delete("contact");
      if (this.window.state) this.window.load(this.conv, channelTypeOf(this.ctx, this.conv)); // reopened
    }
    else if (message.sender && message.sender.id) this.typing.delete(`u${message.sender.id}`);
    this.conv.last_seq = Math.max(this.conv.last_seq, frame.seq);
    this.renderMessages();
    this.renderTyping();
    this.markRead();
  }

  /** `message.updated` (a channel message's delivery state, fetched files): replace it by id. */
  messageUpdated(frame) {
    const message = frame.message;
    if (this.opening && this.opening.id === frame.conversation_id) this.opening.missed = true;
    if (!this.conv || frame.conversation_id !== this.conv.id || !message) return;
    const known = this.messages.get(message.seq);
    if (!known || known.id !== message.id) return; // not loaded (older than the page shown)
    this.messages.set(message.seq, message);
    this.renderMessages();
  }

  ack(frame) {
    this.pending = this.pending.filter((p) => p.client_msg_id !== frame.client_msg_id);
    if (this.conv && frame.conversation_id === this.conv.id) this.renderMessages();
  }

  sendFailed(frame) {
    const item = this.pending.find((p) => p.client_msg_id === frame.client_msg_id);
    if (item) item.state = "failed";
    toast(frame.error ? errorText(frame.error) : t("err.generic"));
    if (frame.error && frame.error.code === "channel_window_closed" && this.conv) {
      this.window.load(this.conv, channelTypeOf(this.ctx, this.conv)); // show the templates
    }
    if (this.conv && item && item.conversation_id === this.conv.id) this.renderMessages();
  }

  conversationUpdated(conv) {
    if (!this.conv || conv.id !== this.conv.id) return;
    const seen = this.conv.contact_last_read_seq;
    this.conv = { ...this.conv, ...conv, last_seq: Math.max(this.conv.last_seq, conv.last_seq) };
    this.conv.contact_last_read_seq = Math.max(seen, conv.contact_last_read_seq);
    this.renderHead();
    this.renderMessages();
    this.composer.setReplyAllowed(this.replyAllowed());
  }

  /** Whether this agent may write to the customer (the inbox's reply permission). */
  replyAllowed() {
    const me = this.ctx.me;
    if (!this.conv || !me || me.role !== "agent") return true;
    const inbox = this.ctx.inboxes.find((i) => i.id === this.conv.inbox_id);
    if (!inbox || inbox.reply_permission !== "assignee") return true;
    return !!this.conv.assignee && this.conv.assignee.id === me.id;
  }

  /** The conversation left this agent's view (reassigned in an "own conversations" inbox). */
  removed(id) {
    if (!this.conv || this.conv.id !== id) return;
    toast(t("conv.removed"));
    this.close();
  }

  conversationRead(frame) {
    if (!this.conv || frame.conversation_id !== this.conv.id || frame.reader !== "contact") return;
    if (frame.seq <= this.conv.contact_last_read_seq) return;
    this.conv.contact_last_read_seq = frame.seq;
    this.renderMessages();
  }

  typingEvent(frame) {
    if (!this.conv || frame.conversation_id !== this.conv.id) return;
    const key = frame.who === "contact" ? "contact" : `u${frame.user_id}`;
    clearTimeout(this.typing.get(key)?.timer);
    if (frame.on) {
      const text =
        frame.who === "contact"
          ? t("conv.typing.contact")
          : t("conv.typing.agent", { name: frame.name });
      const timer = setTimeout(() => {
        this.typing.delete(key);
        this.renderTyping();
      }, TYPING_TTL_MS);
      this.typing.set(key, { text, timer });
    } else this.typing.delete(key);
    this.renderTyping();
  }

  renderTyping() {
    if (!this.typingLine) return;
    this.typingLine.textContent = [...this.typing.values()].map((v) => v.text).join(" · ");
  }

  /** The UI language changed: rebuild every label. */
  relabel() {
    if (!this.conv) return this.close();
    this.build();
    this.renderMessages({ toBottom: true });
    this.renderTyping();
    return this.el;
  }

  /** Users or inboxes changed (roster, membership): redraw the header and sidebar. */
  refreshMeta() {
    if (this.conv && this.head) this.renderHead();
    if (this.conv && this.head) this.composer.setReplyAllowed(this.replyAllowed());
  }
}
