// Notices for supervisors and admins: an SLA target was missed. They stay until dismissed (unlike
// toasts), link to the conversation, and one conversation's repeated breaches share one notice.
// Notices are added and removed one by one, so the live region announces only the new one.

import { api } from "../api.js";
import { clockTime, contactName, h } from "../dom.js";
import { t } from "../i18n.js";

const MAX_NOTICES = 5;

export class Notices {
  constructor(ctx) {
    this.ctx = ctx;
    this.items = []; // [{key, frame, name, node}], newest first
    this.el = null;
    this.view();
  }

  /** A fresh host (the shell was drawn or redrawn) holding the current notices. */
  view() {
    this.el = h("section", {
      class: "notices",
      "aria-label": t("notice.region"),
      "aria-live": "assertive",
    });
    for (const item of this.items) {
      item.node = this.node(item);
      this.el.append(item.node);
    }
    return this.el;
  }

  async slaBreached(frame) {
    const key = `${frame.conversation_id}:${frame.kind}`;
    const old = this.items.find((item) => item.key === key);
    if (old) this.remove(old);
    const item = { key, frame, name: null, node: null };
    item.node = this.node(item);
    this.items.unshift(item);
    this.el.prepend(item.node);
    while (this.items.length > MAX_NOTICES) this.remove(this.items[this.items.length - 1]);
    try {
      const conv = await api.conversation(frame.conversation_id);
      item.name = contactName(conv.contact);
      item.node.querySelector(".notice-text").replaceWith(this.text(item));
    } catch {
      // the notice still names the conversation by number
    }
  }

  remove(item) {
    this.items = this.items.filter((other) => other !== item);
    item.node.remove();
  }

  dismiss(item) {
    const index = this.items.indexOf(item);
    this.remove(item);
    const next = this.items[Math.min(index, this.items.length - 1)];
    if (next) next.node.querySelector(".notice-close").focus();
    else document.getElementById("main")?.focus();
  }

  who(item) {
    return item.name || t("queue.conversation", { id: item.frame.conversation_id });
  }

  text(item) {
    const { frame } = item;
    const inbox = this.ctx.inboxes.find((i) => i.id === frame.inbox_id);
    return h(
      "p",
      { class: "notice-text" },
      h("strong", { text: t("notice.slaTitle") }),
      " ",
      t("notice.sla", {
        kind: t(`sla.${frame.kind}`),
        who: this.who(item),
        inbox: inbox ? inbox.name : "",
        due: clockTime(frame.due_at),
      }),
    );
  }

  node(item) {
    return h(
      "div",
      { class: "notice notice-sla", "data-conversation": String(item.frame.conversation_id) },
      this.text(item),
      h("a", {
        class: "btn btn-ghost btn-small",
        href: `#/conversations/${item.frame.conversation_id}`,
        text: t("notice.open"),
        onclick: () => this.remove(item),
      }),
      h("button", {
        type: "button",
        class: "btn btn-ghost btn-small notice-close",
        "aria-label": t("notice.dismissNamed", { who: this.who(item) }),
        text: t("dismiss"),
        onclick: () => this.dismiss(item),
      }),
    );
  }
}
