// The queue: conversations waiting for an agent, in queue order per inbox, with their number,
// place, priority, a running wait clock and a Take button. Refetched (coalesced) whenever a
// queue or a conversation changes.

import { api } from "../api.js";
import { errorText, guard, h, mount, stopwatch, toast } from "../dom.js";
import { t } from "../i18n.js";
import { coalesce } from "../live.js";

const REFRESH_MS = 300;
const REFRESH_ON = [
  "queue.updated",
  "conversation.updated",
  "conversation.created",
  "inbox.changed",
  "resync",
];

export async function renderQueue(container, ctx) {
  const view = new QueueView(container, ctx);
  await view.start();
}

class QueueView {
  constructor(container, ctx) {
    this.container = container;
    this.ctx = ctx;
    this.items = [];
    this.inboxId = "";
    this.loaded = false;
    this.refresh = coalesce(() => this.load(), REFRESH_MS);
    this.list = h("ol", { class: "queue-list", "aria-labelledby": "queue-title" });
    this.status = h("p", { class: "list-status", "aria-live": "polite" });
  }

  async start() {
    const inboxes = this.ctx.inboxes;
    const filter = h(
      "select",
      {
        id: "queue-inbox",
        onchange: () => {
          this.inboxId = filter.value;
          this.load();
        },
      },
      h("option", { value: "" }, t("queue.allInboxes")),
      inboxes.map((inbox) => h("option", { value: String(inbox.id) }, inbox.name)),
    );
    mount(
      this.container,
      h(
        "div",
        { class: "page-head" },
        h("h1", { id: "queue-title", text: t("queue.title") }),
        inboxes.length > 1
          ? h(
              "div",
              { class: "inline-field" },
              h("label", { for: "queue-inbox", text: t("conv.inbox") }),
              filter,
            )
          : null,
      ),
      this.status,
      this.list,
    );
    const offFrames = this.ctx.bus.on((frame) => {
      if (REFRESH_ON.includes(frame.type)) this.refresh();
    });
    const ticker = setInterval(() => this.tick(), 1000);
    this.ctx.onLeave(() => {
      offFrames();
      clearInterval(ticker);
      this.refresh.cancel();
    });
    await this.load();
  }

  async load() {
    const inboxId = this.inboxId;
    const items = await guard(api.queue(inboxId ? Number(inboxId) : null));
    if (!items || inboxId !== this.inboxId || !this.container.isConnected) return;
    const fetchedAt = Date.now();
    // The wait clock runs from the server's figure, so a skewed local clock does not matter.
    this.items = items.map((item) => ({ ...item, since: fetchedAt - item.wait_seconds * 1000 }));
    this.loaded = true;
    this.render();
  }

  render() {
    const focused = document.activeElement?.closest?.(".queue-item")?.dataset.id;
    mount(this.list, this.items.map((item) => this.item(item)));
    this.status.textContent = this.items.length
      ? t("queue.count", { n: this.items.length })
      : t("queue.empty");
    if (focused) {
      this.list.querySelector(`.queue-item[data-id="${CSS.escape(focused)}"] .take`)?.focus();
    }
    this.tick();
  }

  inboxName(id) {
    const inbox = this.ctx.inboxes.find((i) => i.id === id);
    return inbox ? inbox.name : "";
  }

  item(item) {
    const number = item.queue_number === null ? "–" : String(item.queue_number);
    const take = h("button", {
      type: "button",
      class: "btn btn-primary take",
      text: t("queue.take"),
      "aria-label": t("queue.takeNamed", { name: contactLabel(item) }),
      onclick: () => this.take(item, take),
    });
    return h(
      "li",
      { class: `card queue-item priority-${item.priority}`, "data-id": String(item.conversation_id) },
      h(
        "div",
        { class: "queue-number", "aria-label": t("queue.numberLabel", { n: number }) },
        h("span", { class: "queue-hash", "aria-hidden": "true", text: "#" }),
        h("span", { "aria-hidden": "true", text: number }),
      ),
      h(
        "div",
        { class: "queue-body" },
        h(
          "div",
          { class: "queue-top" },
          h("span", { class: "queue-name", text: contactLabel(item) }),
          priorityPill(item.priority),
          this.ctx.inboxes.length > 1
            ? h("span", { class: "muted", text: this.inboxName(item.inbox_id) })
            : null,
        ),
        h("p", { class: "queue-preview", text: item.preview || "—" }),
        h(
          "p",
          { class: "queue-meta" },
          h("span", { class: "queue-position", text: t("queue.position", { n: item.position }) }),
          " · ",
          h(
            "span",
            {},
            t("queue.waiting"),
            " ",
            h("span", { class: "queue-wait", "data-since": String(item.since) }),
          ),
        ),
      ),
      take,
    );
  }

  tick() {
    const now = Date.now();
    for (const el of this.list.querySelectorAll(".queue-wait")) {
      el.textContent = stopwatch((now - Number(el.dataset.since)) / 1000);
    }
  }

  async take(item, button) {
    button.disabled = true;
    try {
      await api.take(item.conversation_id);
    } catch (error) {
      button.disabled = false;
      toast(t("queue.takeFailed", { reason: errorText(error) }));
      this.refresh();
      return;
    }
    toast(t("queue.taken"), "ok");
    location.hash = `#/conversations/${item.conversation_id}`;
  }
}

function contactLabel(item) {
  return item.contact_name || t("queue.conversation", { id: item.conversation_id });
}

export function priorityPill(priority) {
  if (!priority) return null;
  return h("span", {
    class: `pill priority-pill priority-${priority}`,
    text: t(`priority.${priority}`),
  });
}
