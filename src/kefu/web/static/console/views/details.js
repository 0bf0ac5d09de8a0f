// The conversation header's actions (assign, priority, transfer, resolve / reopen) and the
// details sidebar (team, tags, skills, queue number, SLA clocks).

import { api } from "../api.js";
import { clockTime, contactName, guard, h } from "../dom.js";
import { t } from "../i18n.js";
import { conversationAttributes } from "./attributes.js";
import { selectOf } from "./forms.js";
import { followButton, participantsView } from "./participants.js";
import { snoozeControl } from "./snooze.js";
import { tagChip } from "./tags.js";
import { isLead, openTransfer } from "./transfer.js";

export const PRIORITIES = ["urgent", "high", "normal", "low"];

/** Agents who may take a conversation of `inboxId`: active inbox members (and the assignee). */
export function assignableUsers(ctx, conv) {
  const inbox = ctx.inboxes.find((i) => i.id === conv.inbox_id);
  const members = new Set(inbox ? inbox.member_ids : []);
  const users = ctx.users.filter((u) => u.is_active && members.has(u.id));
  if (conv.assignee && !users.some((u) => u.id === conv.assignee.id)) users.push(conv.assignee);
  return users;
}

export function actionsView(ctx, conv, onChanged) {
  const apply = async (promise) => {
    const updated = await guard(promise);
    if (updated) onChanged(updated);
  };
  const select = h(
    "select",
    {
      id: "assignee-select",
      onchange: () => apply(api.assign(conv.id, select.value ? Number(select.value) : null)),
    },
    h("option", { value: "", selected: !conv.assignee }, t("conv.unassigned")),
    assignableUsers(ctx, conv).map((user) =>
      h(
        "option",
        { value: String(user.id), selected: !!conv.assignee && conv.assignee.id === user.id },
        user.name,
      ),
    ),
  );
  const priority = selectOf(
    PRIORITIES.map((p) => [p, t(`priority.${p}`)]),
    conv.priority,
    {
      id: "priority-select",
      class: `priority-select priority-${conv.priority}`,
      onchange: () => apply(api.setPriority(conv.id, priority.value)),
    },
  );
  const mine = conv.assignee && conv.assignee.id === ctx.me.id;
  const buttons = [];
  if (!mine) {
    buttons.push(
      h("button", {
        type: "button",
        class: "btn btn-ghost",
        "data-action": "assign-me",
        text: t("conv.assignMe"),
        onclick: () => apply(api.assign(conv.id, ctx.me.id)),
      }),
    );
  }
  // Agents may transfer only their own or unassigned conversations; leads any (server-checked).
  if (conv.status !== "resolved" && (isLead(ctx) || !conv.assignee || mine)) {
    buttons.push(
      h("button", {
        type: "button",
        class: "btn btn-ghost",
        "data-action": "transfer",
        "aria-haspopup": "dialog",
        text: t("transfer.open"),
        onclick: () => openTransfer(ctx, conv, onChanged),
      }),
    );
  }
  buttons.push(followButton(ctx, conv));
  if (conv.status === "open") {
    buttons.push(
      h("button", {
        type: "button",
        class: "btn btn-ghost",
        "data-action": "pending",
        text: t("conv.pending"),
        onclick: () => apply(api.setStatus(conv.id, "pending")),
      }),
    );
  }
  buttons.push(snoozeControl(conv, apply));
  if (conv.status === "resolved") {
    buttons.push(
      h("button", {
        type: "button",
        class: "btn btn-primary",
        "data-action": "reopen",
        text: t("conv.reopen"),
        onclick: () => apply(api.setStatus(conv.id, "open")),
      }),
    );
  } else {
    buttons.push(
      h("button", {
        type: "button",
        class: "btn btn-success",
        "data-action": "resolve",
        text: t("conv.resolve"),
        onclick: () => apply(api.setStatus(conv.id, "resolved")),
      }),
    );
  }
  return h(
    "div",
    { class: "thread-actions", role: "group", "aria-label": t("conv.actions") },
    h(
      "div",
      { class: "assign" },
      h("label", { for: "assignee-select", class: "sr-only", text: t("conv.assignee") }),
      select,
    ),
    h(
      "div",
      { class: "assign" },
      h("label", { for: "priority-select", text: t("conv.priority") }),
      priority,
    ),
    buttons,
  );
}

/** The conversation's tags as chips (null when it has none). */
export function tagChips(conv) {
  if (!conv.tags || !conv.tags.length) return null;
  return h(
    "ul",
    { class: "chips tags", "aria-label": t("conv.tags") },
    conv.tags.map((tag) => tagChip(tag, "li")),
  );
}

export function detailsView(ctx, conv) {
  const inbox = ctx.inboxes.find((i) => i.id === conv.inbox_id);
  const team = (ctx.teams || []).find((tm) => tm.id === conv.team_id);
  const teamName = team ? team.name : conv.team_id ? `#${conv.team_id}` : t("conv.noTeam");
  const row = (label, value, cls = "") =>
    value ? [h("dt", { text: label }), h("dd", { class: cls, text: value })] : null;
  const waiting = conv.queued_at && !conv.assignee && conv.status !== "resolved";
  return h(
    "aside",
    { class: "details", "aria-labelledby": "details-title" },
    h("h2", { id: "details-title", text: t("conv.details") }),
    h(
      "div",
      { class: "contact-card" },
      h("span", {
        class: "avatar avatar-lg",
        "aria-hidden": "true",
        text: contactName(conv.contact).slice(0, 1),
      }),
      h("p", { class: "contact-name", text: contactName(conv.contact) }),
      h("a", { class: "contact-link", href: `#/contacts/${conv.contact.id}`, text: t("contacts.open") }),
    ),
    h(
      "dl",
      {},
      row(t("conv.email"), conv.contact.email),
      row(t("conv.status"), t(`status.${conv.status}`), `status-text status-${conv.status}`),
      row(t("conv.assignee"), conv.assignee ? conv.assignee.name : t("conv.unassigned")),
      row(t("conv.inbox"), inbox ? inbox.name : null),
      row(t("conv.team"), teamName, "conv-team"),
      row(
        t("conv.priority"),
        t(`priority.${conv.priority}`),
        `priority-text priority-${conv.priority}`,
      ),
      conv.tags && conv.tags.length
        ? [h("dt", { text: t("conv.tags") }), h("dd", { class: "conv-tags" }, tagChips(conv))]
        : null,
      row(t("conv.skills"), (conv.required_skills || []).join(", ")),
      row(t("conv.topic"), conv.topic),
      waiting && conv.queue_number !== null
        ? row(t("conv.queueNumber"), t("conv.queueWaiting", { n: conv.queue_number }))
        : null,
      row(t("conv.created"), clockTime(conv.created_at)),
    ),
    h("div", { class: "sla-slot" }),
    attributeSlot(conv),
    participantsView(ctx, conv),
  );
}

/** Custom attributes of the conversation, filled in once their definitions have loaded. */
function attributeSlot(conv) {
  const slot = h("div", { class: "attributes-slot" });
  queueMicrotask(() => conversationAttributes(slot, conv));
  return slot;
}
