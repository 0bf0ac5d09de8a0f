// Activity lines of the workflow (snooze, unsnooze, tags): the text, or null for the lines
// messages.js translates itself.

import { clockTime } from "../dom.js";
import { t } from "../i18n.js";

export function workflowActivityText(activity) {
  const by = activity.by || t("activity.system");
  switch (activity.type) {
    case "snoozed":
      return activity.until
        ? t("activity.snoozed", { by, until: clockTime(activity.until) })
        : t("activity.snoozedReply", { by });
    case "unsnoozed":
      return activity.reason === "customer_replied"
        ? t("activity.unsnoozedReply")
        : t("activity.unsnoozedTimer");
    case "status_changed":
      // An agent reopening a snoozed conversation unsnoozed it.
      return activity.from === "snoozed" && activity.to === "open" && activity.by !== "contact"
        ? t("activity.unsnoozedBy", { by })
        : null;
    case "tags_changed": {
      const added = (activity.added || []).join(", ");
      const removed = (activity.removed || []).join(", ");
      if (added && removed) return t("activity.tagsBoth", { by, added, removed });
      return added
        ? t("activity.tagsAdded", { by, tags: added })
        : t("activity.tagsRemoved", { by, tags: removed });
    }
    default:
      return null;
  }
}
