// Rendering of one conversation's messages: incoming (left), outgoing (right, agent name, the
// customer's read state), internal notes (yellow), activity lines (centred, translated).

import { clockTime, contactName, h } from "../dom.js";
import { t } from "../i18n.js";

export function activityText(activity) {
  if (!activity) return t("activity.unknown");
  if (activity.type === "assigned") {
    if (activity.to && activity.to === activity.by) {
      return t("activity.selfAssigned", { by: activity.by });
    }
    if (activity.to) return t("activity.assigned", { by: activity.by, to: activity.to });
    return t("activity.unassigned", { by: activity.by, from: activity.from || "" });
  }
  if (activity.type === "status_changed") {
    if (activity.by === "contact") return t("activity.reopenedByContact");
    return t("activity.status", {
      by: activity.by,
      from: t(`status.${activity.from}`),
      to: t(`status.${activity.to}`),
    });
  }
  return t("activity.unknown");
}

/** One message element. `pending` items are local sends not yet confirmed by the server. */
export function messageView(message, { conversation, pendingState = null }) {
  const time = message.created_at
    ? h("time", { datetime: message.created_at, text: clockTime(message.created_at) })
    : null;
  if (message.kind === "activity") {
    return h(
      "li",
      { class: "msg msg-activity", "data-seq": String(message.seq) },
      h("span", { class: "activity-text", text: activityText(message.activity) }),
      time ? [" · ", time] : null,
    );
  }
  const meta = [];
  if (message.kind === "incoming") {
    meta.push(h("span", { class: "msg-author", text: contactName(conversation.contact) }));
  } else {
    if (message.kind === "note") meta.push(h("span", { class: "note-label", text: t("conv.note") }));
    meta.push(h("span", { class: "msg-author", text: message.sender ? message.sender.name : "" }));
  }
  if (time) meta.push(time);
  if (pendingState) {
    meta.push(
      h("span", {
        class: `msg-state state-${pendingState}`,
        text: t(`conv.${pendingState}`),
      }),
    );
  } else if (message.kind === "outgoing") {
    const seen = message.seq <= conversation.contact_last_read_seq;
    meta.push(
      h("span", {
        class: "msg-state " + (seen ? "state-seen" : "state-sent"),
        text: seen ? t("conv.seen") : t("conv.sent"),
      }),
    );
  }
  const attachments = (message.attachments || []).map((a) =>
    h("span", { class: "attachment", text: a.file_name }),
  );
  return h(
    "li",
    {
      class: `msg msg-${message.kind}` + (pendingState ? " is-pending" : ""),
      "data-seq": message.seq ? String(message.seq) : null,
    },
    h("div", { class: "bubble" }, h("p", { class: "msg-text", text: message.text }), attachments),
    h("div", { class: "msg-meta" }, meta.flatMap((node, i) => (i ? [" · ", node] : [node]))),
  );
}
