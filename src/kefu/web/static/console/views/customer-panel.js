// The customer in an open conversation's details panel ("One customer, one history"): merge
// suggestions about them (suggestions.js), their conversations on every channel, and
// continuing with them on another channel (reach.js). Follows merges and the customer's
// conversations from socket frames.

import { channelBadge, channelTypeOf } from "../channels.js";
import { clockTime, h, mount } from "../dom.js";
import { locale, t } from "../i18n.js";
import { coalesce } from "../live.js";
import { reachApi, reachSection } from "../reach.js";
import { contactSuggestions, suggestionApi } from "../suggestions.js";
import { contactsApi } from "./contacts.js";

// The console has one stylesheet per feature area; this one is added once, by the module.
if (!document.querySelector("link[data-css=reach]")) {
  document.head.append(
    h("link", { rel: "stylesheet", href: "/static/console/reach.css", "data-css": "reach" }),
  );
}

const quietly = (promise) => promise.catch(() => null);

export class CustomerPanel {
  constructor(ctx) {
    this.ctx = ctx;
    this.conv = null;
    this.contactId = null;
    this.token = 0;
    this.channelsKey = null; // the reach form is redrawn only when its channels change
    this.language = null; // the language it was drawn in (the thread is rebuilt on a change)
    this.suggestSlot = h("div", { class: "suggest-slot" });
    this.timelineSlot = h("div", { class: "customer-timeline" });
    this.reachSlot = h("div", { class: "reach-slot" });
    this.el = h(
      "section",
      { class: "customer-panel", "aria-label": t("customer.title") },
      this.suggestSlot,
      this.timelineSlot,
      this.reachSlot,
    );
    this.refresh = coalesce(() => this.load(), 300);
    ctx.bus.on((frame) => this.frame(frame));
  }

  /** Put the customer's section at the end of the details panel; returns `details`. */
  inDetails(details, conv) {
    this.show(conv);
    details.append(this.el);
    return details;
  }

  /** The thread shows `conv` (opened or updated), or nothing (null). */
  show(conv) {
    const before = this.conv;
    this.conv = conv;
    if (!conv) {
      this.token += 1;
      this.refresh.cancel();
      this.contactId = null;
      this.channelsKey = null;
      for (const slot of [this.suggestSlot, this.timelineSlot, this.reachSlot]) mount(slot);
      return;
    }
    const relabel = this.language !== locale();
    if (!before || before.id !== conv.id || conv.contact.id !== this.contactId || relabel) {
      this.contactId = conv.contact.id;
      this.channelsKey = null;
      this.el.setAttribute("aria-label", t("customer.title"));
      this.load();
    }
  }

  async load() {
    const id = this.contactId;
    if (!id) return;
    const token = ++this.token;
    this.language = locale();
    const [suggestions, page, channels] = await Promise.all([
      quietly(suggestionApi.forContact(id)),
      quietly(contactsApi.conversations(id)),
      quietly(reachApi.channels(id)),
    ]);
    if (token !== this.token || id !== this.contactId) return;
    const conversations = page ? page.items : [];
    mount(
      this.suggestSlot,
      contactSuggestions(this.ctx, suggestions, (answer, accepted) => this.decided(answer, accepted)),
    );
    if (page) this.renderTimeline(conversations, !!page.next_before_id);
    const key = JSON.stringify([this.conv.inbox_id, channels]);
    if (channels && key !== this.channelsKey) {
      this.channelsKey = key;
      mount(
        this.reachSlot,
        reachSection({
          contact: { id },
          channels,
          currentInboxId: this.conv.inbox_id,
          conversations,
        }),
      );
    }
  }

  /** A suggestion was merged (the panel follows the surviving contact) or dismissed. */
  decided(answer, accepted) {
    if (accepted && answer.contact && answer.contact.id !== this.contactId) {
      this.contactId = answer.contact.id;
      this.channelsKey = null;
    }
    this.load();
    if (accepted) this.ctx.thread.refetch(); // the conversation's contact may be the survivor
  }

  renderTimeline(conversations, more) {
    const current = this.conv ? this.conv.id : null;
    mount(
      this.timelineSlot,
      h("h3", { text: t("customer.conversations") }),
      conversations.length
        ? h(
            "ol",
            { class: "customer-convs" },
            conversations.map((conv) => {
              const inbox = this.ctx.inboxes.find((i) => i.id === conv.inbox_id);
              const isCurrent = conv.id === current;
              return h(
                "li",
                { class: "customer-conv", "data-conversation": String(conv.id) },
                h(
                  "a",
                  {
                    href: `#/conversations/${conv.id}`,
                    class: "customer-conv-link",
                    "aria-current": isCurrent ? "page" : null,
                  },
                  h(
                    "span",
                    { class: "customer-conv-top" },
                    channelBadge(channelTypeOf(this.ctx, conv)),
                    h("span", { class: "customer-conv-inbox", text: inbox ? inbox.name : "" }),
                    h("span", { class: `pill status-${conv.status}`, text: t(`status.${conv.status}`) }),
                  ),
                  h("span", {
                    class: "customer-conv-preview",
                    text: conv.last_message_preview || t("customer.conversation", { id: conv.id }),
                  }),
                  isCurrent ? h("span", { class: "hint", text: t("customer.current") }) : null,
                  h("span", { class: "muted customer-conv-time", text: clockTime(conv.created_at) }),
                ),
              );
            }),
          )
        : h("p", { class: "muted", text: t("customer.noConversations") }),
      more || conversations.length
        ? h("a", {
            class: "customer-profile",
            href: `#/contacts/${this.contactId}`,
            text: t("customer.profile"),
          })
        : null,
    );
  }

  frame(frame) {
    const id = this.contactId;
    if (!id || !this.conv) return;
    switch (frame.type) {
      case "contact.merged":
        if (frame.merged_id === id) {
          this.contactId = frame.contact_id; // merged away: follow the survivor
          this.channelsKey = null;
          this.refresh();
        } else if (frame.contact_id === id) this.refresh();
        break;
      case "contact.updated":
        if (frame.contact && frame.contact.id === id) this.refresh();
        break;
      case "conversation.created":
      case "conversation.updated":
        if (frame.conversation && frame.conversation.contact.id === id) this.refresh();
        break;
      case "resync":
        this.refresh();
        break;
      default:
        break;
    }
  }
}
