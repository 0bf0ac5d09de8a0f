// Rendering of one conversation's messages: incoming (left), outgoing (right, agent name or
// "Automatic reply", the customer's read state, quick replies offered), internal notes (yellow),
// activity lines (centred, translated: assignment, routing, transfers, priority, SLA).

import { clockTime, contactName, h } from "../dom.js";
import { t } from "../i18n.js";
import { surveyActivityText } from "./surveys.js";
import { contactActivityText } from "./attributes.js";
import { attachmentsView } from "./attachments.js";
import { workflowActivityText } from "./workflow-activity.js";
import { channelExtras, deliveryErrorLine, deliveryView } from "../channels.js";

const priorityName = (p) => (p ? t(`priority.${p}`) : "");

/** "team Support · tags: refund, vip · priority: High" for a `routed` line. */
function routedDetails(activity) {
  const parts = [];
  if (activity.team) parts.push(t("activity.routedTeam", { team: activity.team }));
  if (activity.topic) parts.push(t("activity.routedTopic", { topic: activity.topic }));
  // The line always carries the priority; "normal" is the default, not news.
  if (activity.priority && activity.priority !== "normal") {
    parts.push(t("activity.routedPriority", { priority: priorityName(activity.priority) }));
  }
  if (activity.tags && activity.tags.length) {
    parts.push(t("activity.routedTags", { tags: activity.tags.join(", ") }));
  }
  if (activity.skills && activity.skills.length) {
    parts.push(t("activity.routedSkills", { skills: activity.skills.join(", ") }));
  }
  return parts.join(" · ");
}

function assignedText(activity) {
  const by = activity.by || t("activity.system");
  if (!activity.to) return t("activity.unassigned", { by, from: activity.from || "" });
  if (activity.how === "auto" || !activity.by) return t("activity.autoAssigned", { to: activity.to });
  if (activity.how === "transfer") {
    return activity.from
      ? t("activity.transferredFrom", { by, from: activity.from, to: activity.to })
      : t("activity.assigned", { by, to: activity.to });
  }
  if (activity.to === activity.by) return t("activity.selfAssigned", { by });
  return t("activity.assigned", { by, to: activity.to });
}

export function activityText(activity) {
  if (!activity) return t("activity.unknown");
  const workflow = workflowActivityText(activity);
  if (workflow) return workflow;
  switch (activity.type) {
    case "assigned":
      return assignedText(activity);
    case "status_changed":
      if (activity.by === "contact") return t("activity.reopenedByContact");
      return t("activity.status", {
        by: activity.by,
        from: t(`status.${activity.from}`),
        to: t(`status.${activity.to}`),
      });
    case "routed": {
      const details = routedDetails(activity);
      return details ? t("activity.routed", { details }) : t("activity.routedPlain");
    }
    case "transferred":
      return activity.from
        ? t("activity.teamTransferFrom", { by: activity.by, from: activity.from, team: activity.team })
        : t("activity.teamTransfer", { by: activity.by, team: activity.team });
    case "requeued":
      return activity.reason === "agent_offline"
        ? t("activity.requeuedOffline", { from: activity.from || "" })
        : t("activity.requeued", { from: activity.from || "" });
    case "priority_changed":
      return t("activity.priority", {
        by: activity.by || t("activity.system"),
        from: priorityName(activity.from),
        to: priorityName(activity.to),
      });
    case "sla_breached":
      return t("activity.slaBreached", {
        kind: t(`sla.${activity.kind}`),
        due: activity.due_at ? clockTime(activity.due_at) : "",
      });
    case "attributes_changed":
    case "merge_resolved":
    case "contact_merged":
      return contactActivityText(activity);
    case "bot_handoff": {
      const reason = t(`bot.reason.${activity.reason}`);
      return activity.summary
        ? t("bot.handoff", { reason, summary: activity.summary })
        : t("bot.handoffPlain", { reason });
    }
    default:
      return surveyActivityText(activity) || t("activity.unknown");
  }
}

/** One message element. `pending` items are local sends not yet confirmed by the server. */
export function messageView(message, { conversation, pendingState = null }) {
  const time = message.created_at
    ? h("time", { datetime: message.created_at, text: clockTime(message.created_at) })
    : null;
  if (message.kind === "activity") {
    const activity = message.activity || {};
    return h(
      "li",
      {
        class: "msg msg-activity" + (activity.type === "sla_breached" ? " activity-alert" : ""),
        "data-seq": String(message.seq),
        "data-activity": activity.type || null,
      },
      h("span", { class: "activity-text", text: activityText(message.activity) }),
      time ? [" · ", time] : null,
      activity.note ? h("q", { class: "activity-note", text: activity.note }) : null,
    );
  }
  const senderType = message.sender ? message.sender.type : null;
  const automatic = senderType === "system" || senderType === "bot";
  const meta = [];
  if (message.kind === "incoming") {
    meta.push(h("span", { class: "msg-author", text: contactName(conversation.contact) }));
  } else {
    if (message.kind === "note") meta.push(h("span", { class: "note-label", text: t("conv.note") }));
    if (senderType === "bot") meta.push(h("span", { class: "msg-author bot-label", text: t("bot.label") }));
    else if (automatic) meta.push(h("span", { class: "msg-author auto-label", text: t("conv.autoReply") }));
    else meta.push(h("span", { class: "msg-author", text: message.sender ? message.sender.name : "" }));
  }
  if (time) meta.push(time);
  if (pendingState) {
    meta.push(
      h("span", {
        class: `msg-state state-${pendingState}`,
        text: t(`conv.${pendingState}`),
      }),
    );
  } else if (message.kind === "outgoing" && message.delivery_status) {
    meta.push(...deliveryView(message)); // a channel message: the provider's state (channels.js)
  } else if (message.kind === "outgoing") {
    const seen = message.seq <= conversation.contact_last_read_seq;
    meta.push(
      h("span", {
        class: "msg-state " + (seen ? "state-seen" : "state-sent"),
        text: seen ? t("conv.seen") : t("conv.sent"),
      }),
    );
  }
  const attachments = attachmentsView(message);
  const quick = (message.quick_replies || []).length
    ? h(
        "ul",
        { class: "chips quick-replies", "aria-label": t("conv.quickReplies") },
        message.quick_replies.map((q) => h("li", { class: "chip", text: q.label })),
      )
    : null;
  return h(
    "li",
    {
      class:
        `msg msg-${message.kind}` +
        (pendingState ? " is-pending" : "") +
        (automatic ? " msg-system" : "") +
        (senderType === "bot" ? " msg-bot" : ""),
      "data-seq": message.seq ? String(message.seq) : null,
      "data-id": message.id ? String(message.id) : null,
    },
    h(
      "div",
      { class: "bubble" },
      h("p", { class: "msg-text", text: message.text }),
      attachments,
      channelExtras(message),
    ),
    deliveryErrorLine(message),
    quick,
    h("div", { class: "msg-meta" }, meta.flatMap((node, i) => (i ? [" · ", node] : [node]))),
  );
}
