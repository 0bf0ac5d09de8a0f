// Notification settings: per type (centre / browser / sound), browser permission (asked only from
// the button, a user gesture), do-not-disturb now and on a schedule in the user's timezone.

import { request } from "../api.js";
import { playChime } from "../chime.js";
import { guard, h, labelled, mount, toast } from "../dom.js";
import { t } from "../i18n.js";

const PREFS = "/api/v1/me/notification-preferences";
const TYPES = ["assigned", "mentioned", "message", "sla_breach"];
const CHANNELS = [
  ["in_app", "settings.inApp"],
  ["browser", "settings.browser"],
  ["sound", "settings.sound"],
];

function browserTimezone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

function permissionText() {
  if (!("Notification" in window)) return t("settings.browser.unsupported");
  return t(`settings.browser.${Notification.permission}`);
}

export async function renderNotificationSettings(container, ctx) {
  const prefs = await guard(request("GET", PREFS));
  if (!prefs) return;
  const checks = {}; // "type.channel" -> checkbox
  const rows = TYPES.map((type) =>
    h(
      "tr",
      {},
      h("th", { scope: "row", text: t(`settings.type.${type}`) }),
      CHANNELS.map(([channel, label]) => {
        const box = h("input", {
          type: "checkbox",
          checked: prefs.types[type][channel],
          "aria-label": `${t(`settings.type.${type}`)}: ${t(label)}`,
          "data-pref": `${type}.${channel}`,
        });
        checks[`${type}.${channel}`] = box;
        return h("td", {}, box);
      }),
    ),
  );
  const status = h("p", { class: "hint", role: "status", text: permissionText() });
  const allow = h("button", {
    type: "button",
    class: "btn",
    text: t("settings.browserEnable"),
    hidden: !("Notification" in window) || Notification.permission !== "default",
    onclick: async () => {
      await Notification.requestPermission(); // from the click: a user gesture, never on load
      status.textContent = permissionText();
      allow.hidden = Notification.permission !== "default";
    },
  });
  const whenVisible = h("input", { type: "checkbox", checked: prefs.browser_when_visible });
  const dndNow = h("input", { type: "checkbox", checked: prefs.dnd, id: "dnd-now" });
  const schedule = prefs.dnd_schedule;
  const scheduled = h("input", { type: "checkbox", checked: schedule.enabled, id: "dnd-schedule" });
  const days = [0, 1, 2, 3, 4, 5, 6].map((day) =>
    h("input", { type: "checkbox", value: String(day), checked: schedule.days.includes(day) }),
  );
  const start = h("input", { type: "time", value: schedule.start, required: true });
  const end = h("input", { type: "time", value: schedule.end, required: true });
  // Never saved (the default UTC): propose the browser's own timezone.
  const zone = h("input", {
    value: prefs.timezone === "UTC" ? browserTimezone() : prefs.timezone,
    list: "timezones",
    maxlength: "64",
    required: true,
  });
  const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  const active = h("p", { class: "notify-dnd-note", role: "status", hidden: !prefs.dnd_active, text: t("settings.active") });

  const onsubmit = async (event) => {
    event.preventDefault();
    const types = {};
    for (const type of TYPES) {
      types[type] = {};
      for (const [channel] of CHANNELS) types[type][channel] = checks[`${type}.${channel}`].checked;
    }
    const body = {
      types,
      browser_when_visible: whenVisible.checked,
      dnd: dndNow.checked,
      dnd_schedule: {
        enabled: scheduled.checked,
        days: days.filter((d) => d.checked).map((d) => Number(d.value)),
        start: start.value,
        end: end.value,
      },
      timezone: zone.value.trim(),
    };
    const saved = await guard(request("PUT", PREFS, body));
    if (!saved) return;
    if (ctx.notifications) ctx.notifications.prefs = saved;
    active.hidden = !saved.dnd_active;
    toast(t("settings.saved"), "ok");
  };

  mount(
    container,
    h("h1", { text: t("settings.title") }),
    h(
      "form",
      { class: "notify-settings", onsubmit },
      h(
        "section",
        { class: "card form-card", "aria-labelledby": "types-title" },
        h("h2", { id: "types-title", text: t("settings.types") }),
        h(
          "table",
          { class: "table notify-types" },
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              h("th", { scope: "col", text: t("settings.type") }),
              CHANNELS.map(([, label]) => h("th", { scope: "col", text: t(label) })),
            ),
          ),
          h("tbody", {}, rows),
        ),
      ),
      h(
        "section",
        { class: "card form-card", "aria-labelledby": "browser-title" },
        h("h2", { id: "browser-title", text: t("settings.browserTitle") }),
        status,
        allow,
        h("label", { class: "notify-check" }, whenVisible, t("settings.whenVisible")),
        h("button", {
          type: "button",
          class: "btn btn-ghost",
          text: t("settings.testSound"),
          onclick: () => playChime({ force: true }),
        }),
      ),
      h(
        "section",
        { class: "card form-card", "aria-labelledby": "dnd-title" },
        h("h2", { id: "dnd-title", text: t("settings.dndTitle") }),
        h("p", { class: "hint", text: t("settings.dndHint") }),
        active,
        h("label", { class: "notify-check", for: "dnd-now" }, dndNow, t("settings.dndNow")),
        h("label", { class: "notify-check", for: "dnd-schedule" }, scheduled, t("settings.schedule")),
        h(
          "fieldset",
          { class: "notify-days" },
          h("legend", { text: t("settings.days") }),
          days.map((box, day) => h("label", { class: "notify-check" }, box, t(`day.${day}`))),
        ),
        h(
          "div",
          { class: "notify-hours" },
          labelled(t("settings.start"), start),
          labelled(t("settings.end"), end),
          labelled(t("settings.timezone"), zone),
        ),
        h("datalist", { id: "timezones" }, zones.map((z) => h("option", { value: z }))),
      ),
      h("button", { type: "submit", class: "btn btn-primary", text: t("settings.save") }),
    ),
  );
}
