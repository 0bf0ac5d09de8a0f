// Snooze in the conversation header: a menu of times (in the agent's own timezone, sent as
// UTC), "until the customer replies", or a picked date and time; a snoozed conversation shows
// until when, with Unsnooze (which reopens it).

import { api } from "../api.js";
import { workflowApi } from "../api-workflow.js";
import { clockTime, h, toast } from "../dom.js";
import { t } from "../i18n.js";

/** Preset wake-up times, computed in the browser's timezone. */
export function snoozePresets(now = new Date()) {
  const at9 = (date) => {
    date.setHours(9, 0, 0, 0);
    return date;
  };
  const tomorrow = at9(new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1));
  const monday = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  monday.setDate(monday.getDate() + (((8 - monday.getDay()) % 7) || 7));
  return [
    ["hour", new Date(now.getTime() + 3600_000)],
    ["tomorrow", tomorrow],
    ["nextWeek", at9(monday)],
    ["reply", null],
  ];
}

/** "Snoozed until …" for a snoozed conversation. */
export function snoozedText(conv) {
  return conv.snoozed_until
    ? t("snooze.until", { time: clockTime(conv.snoozed_until) })
    : t("snooze.untilReply");
}

/** Header controls: the Snooze menu, or (when snoozed) its time and Unsnooze. */
export function snoozeControl(conv, apply) {
  if (conv.status === "resolved") return null;
  if (conv.status === "snoozed") {
    return h(
      "span",
      { class: "snooze-state" },
      h("span", { class: "snoozed-until", text: snoozedText(conv) }),
      h("button", {
        type: "button",
        class: "btn btn-ghost",
        "data-action": "unsnooze",
        text: t("snooze.unsnooze"),
        onclick: () => apply(api.setStatus(conv.id, "open")),
      }),
    );
  }
  // A live redraw of the header keeps an open menu open.
  const wasOpen = !!document.querySelector(`.snooze-menu[open][data-conversation="${conv.id}"]`);
  const menu = h("details", { class: "snooze-menu", "data-conversation": String(conv.id), open: wasOpen });
  const choose = (until) => {
    menu.open = false;
    apply(workflowApi.snooze(conv.id, until ? until.toISOString() : null));
  };
  const custom = h("input", {
    type: "datetime-local",
    id: "snooze-at",
    "aria-label": t("snooze.custom"),
  });
  menu.append(
    h("summary", { class: "btn btn-ghost", "data-action": "snooze", text: t("snooze.open") }),
    h(
      "div",
      { class: "menu-panel", role: "group", "aria-label": t("snooze.menu") },
      snoozePresets().map(([key, until]) =>
        h("button", {
          type: "button",
          class: "menu-item",
          "data-snooze": key,
          text: t(`snooze.${key}`),
          onclick: () => choose(until),
        }),
      ),
      h(
        "div",
        { class: "menu-custom" },
        custom,
        h("button", {
          type: "button",
          class: "btn btn-small",
          text: t("snooze.apply"),
          onclick: () => {
            // datetime-local is the agent's local time; Date() reads it so, and sends UTC.
            if (!custom.value) return toast(t("snooze.pickTime"));
            choose(new Date(custom.value));
          },
        }),
      ),
    ),
  );
  menu.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && menu.open) {
      menu.open = false;
      menu.querySelector("summary").focus();
    }
  });
  return menu;
}
