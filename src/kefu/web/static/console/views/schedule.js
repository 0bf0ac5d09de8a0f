// Scheduled messages: the dialog that offers send times in the customer's time zone (and shows
// the agent's own beside it), and the strip of a conversation's scheduled messages above the
// composer, each cancelable until it goes.

import { request } from "../api.js";
import { guard, h, labelled, toast } from "../dom.js";
import { locale, t } from "../i18n.js";
import { formActions, formError, submitTo } from "./forms.js";

const enc = encodeURIComponent;

export const scheduleApi = {
  list: (conversationId) =>
    request("GET", `/api/v1/conversations/${enc(conversationId)}/scheduled-messages`),
  create: (conversationId, body) =>
    request("POST", `/api/v1/conversations/${enc(conversationId)}/scheduled-messages`, body),
  cancel: (conversationId, id) =>
    request(
      "POST",
      `/api/v1/conversations/${enc(conversationId)}/scheduled-messages/${enc(id)}/cancel`,
    ),
};

// --- time zones without a library: wall-clock time in `zone` <-> instants -------------------

export function myZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

function wallClock(ms, zone) {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: zone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(new Date(ms));
  const get = (type) => Number(parts.find((p) => p.type === type).value);
  return { y: get("year"), m: get("month"), d: get("day"), h: get("hour"), mi: get("minute"), s: get("second") };
}

function offsetMs(ms, zone) {
  const w = wallClock(ms, zone);
  return Date.UTC(w.y, w.m - 1, w.d, w.h, w.mi, w.s) - Math.floor(ms / 1000) * 1000;
}

/** The instant when the clocks in `zone` show `date` ("2026-11-25") `time` ("09:00"). */
export function zonedToInstant(date, time, zone) {
  const [y, m, d] = date.split("-").map(Number);
  const [hh, mm] = time.split(":").map(Number);
  if (![y, m, d, hh, mm].every(Number.isFinite)) return null;
  const guess = Date.UTC(y, m - 1, d, hh, mm);
  let ms = guess - offsetMs(guess, zone);
  ms = guess - offsetMs(ms, zone); // the offset at the instant itself (DST changes)
  return new Date(ms);
}

/** "2026-11-25" and "09:00" for an instant, as the clocks in `zone` show it. */
function zonedParts(ms, zone) {
  const w = wallClock(ms, zone);
  const two = (n) => String(n).padStart(2, "0");
  return { date: `${w.y}-${two(w.m)}-${two(w.d)}`, time: `${two(w.h)}:${two(w.mi)}` };
}

export function formatIn(date, zone) {
  return new Intl.DateTimeFormat(locale(), {
    timeZone: zone,
    weekday: "short",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  }).format(date);
}

/** Tomorrow / next Monday at 09:00, or in an hour, in `zone`. */
function quickPick(kind, zone) {
  const now = Date.now();
  if (kind === "inHour") return zonedParts(now + 3600_000, zone);
  const today = zonedParts(now, zone).date;
  const [y, m, d] = today.split("-").map(Number);
  const weekday = new Date(Date.UTC(y, m - 1, d)).getUTCDay();
  const days = kind === "monday9" ? ((8 - weekday) % 7 || 7) : 1;
  const target = new Date(Date.UTC(y, m - 1, d + days));
  return { date: target.toISOString().slice(0, 10), time: "09:00" };
}

// --- the dialog -----------------------------------------------------------------------------

export function openScheduleDialog(conv, contactZone, onDone) {
  const opener = document.activeElement;
  const mine = myZone();
  const customer = contactZone || null;
  const error = formError();
  const text = h("textarea", { name: "text", rows: "4", maxlength: "10000", required: true });
  const zoneChoice = (value, label, checked) => {
    const input = h("input", { type: "radio", name: "schedule-zone", value, checked });
    input.addEventListener("change", () => render());
    return { input, el: h("label", { class: "check" }, input, " ", label) };
  };
  const zones = customer && customer !== mine
    ? [
        zoneChoice(customer, t("schedule.customerZone", { zone: customer }), true),
        zoneChoice(mine, t("schedule.myZone", { zone: mine }), false),
      ]
    : [];
  const zone = () => (zones.find((z) => z.input.checked) || { input: { value: customer || mine } }).input.value;
  const start = quickPick("tomorrow9", zone());
  const date = h("input", { type: "date", name: "date", required: true, value: start.date });
  const time = h("input", { type: "time", name: "time", required: true, value: start.time });
  const preview = h("p", { class: "schedule-preview", role: "status", "aria-live": "polite" });
  const instant = () => zonedToInstant(date.value || "", time.value || "", zone());
  const render = () => {
    const at = instant();
    if (!at || Number.isNaN(at.getTime())) {
      preview.textContent = "";
      return;
    }
    const minePart = `${formatIn(at, mine)} (${mine})`;
    preview.textContent = customer
      ? t("schedule.preview", { customer: `${formatIn(at, customer)} (${customer})`, mine: minePart })
      : t("schedule.previewMine", { mine: minePart });
  };
  date.addEventListener("input", render);
  time.addEventListener("input", render);
  const quick = ["tomorrow9", "monday9", "inHour"].map((kind) =>
    h("button", {
      type: "button",
      class: "btn btn-small",
      "data-pick": kind,
      text: t(`schedule.${kind}`),
      onclick: () => {
        const pick = quickPick(kind, zone());
        date.value = pick.date;
        time.value = pick.time;
        render();
      },
    }),
  );

  const dialog = h("dialog", { class: "dialog", "aria-labelledby": "schedule-title" });
  const close = () => dialog.close();
  const onsubmit = async (event) => {
    event.preventDefault();
    const at = instant();
    if (!at || Number.isNaN(at.getTime())) {
      error.show(t("schedule.invalid"));
      return;
    }
    const body = { text: text.value, send_at: at.toISOString() };
    const created = await submitTo(error, scheduleApi.create(conv.id, body));
    if (!created) return;
    toast(t("schedule.done"), "ok");
    close();
    onDone(created);
  };
  dialog.append(
    h(
      "form",
      { class: "dialog-form", onsubmit },
      h("h2", { id: "schedule-title", text: t("schedule.title") }),
      labelled(t("schedule.text"), text),
      zones.length
        ? h("fieldset", { class: "choice" }, h("legend", { text: t("schedule.zone") }), zones.map((z) => z.el))
        : h("p", { class: "hint", text: customer ? t("schedule.customerZone", { zone: customer }) : t("schedule.unknownZone") }),
      h("div", { class: "schedule-quick", role: "group", "aria-label": t("schedule.quick") }, quick),
      h("div", { class: "schedule-when" }, labelled(t("schedule.date"), date), labelled(t("schedule.time"), time)),
      preview,
      formActions({ editing: true, onCancel: close, error, submitLabel: t("schedule.submit") }),
    ),
  );
  dialog.addEventListener("close", () => {
    dialog.remove();
    const back = opener && opener.isConnected ? opener : document.querySelector("[data-action=schedule]");
    (back || document.getElementById("main"))?.focus();
  });
  render();
  document.body.append(dialog);
  dialog.showModal();
  text.focus();
}

// --- the strip above the composer -------------------------------------------------------------

const RECENT_FAILURE_MS = 7 * 86400_000;

/** Pending messages (and recent failures) of the conversation, each with its Cancel button. */
export function scheduledStrip(ctx, conv, items, contactZone, onChanged) {
  const zone = contactZone || myZone();
  const shown = items.filter(
    (i) =>
      i.status === "pending" ||
      (i.status === "failed" && Date.now() - new Date(i.updated_at).getTime() < RECENT_FAILURE_MS),
  );
  if (!shown.length) return null;
  const lead = ctx.me.role === "admin" || ctx.me.role === "supervisor";
  return h(
    "section",
    { class: "scheduled", "aria-labelledby": "scheduled-title" },
    h("h3", { id: "scheduled-title", class: "sr-only", text: t("schedule.list") }),
    h(
      "ul",
      { class: "scheduled-list" },
      shown.map((item) => {
        const when = `${formatIn(new Date(item.send_at), zone)} (${zone})`;
        const failed = item.status === "failed";
        const reasonKey = `schedule.failure.${item.failure}`;
        const reason = t(reasonKey) === reasonKey ? t("schedule.failure.other") : t(reasonKey);
        return h(
          "li",
          { class: `scheduled-item${failed ? " is-failed" : ""}`, "data-scheduled": String(item.id) },
          h("span", { class: "scheduled-when", text: failed ? t("schedule.failed", { reason }) : t("schedule.pending", { when }) }),
          h("span", { class: "scheduled-text", text: item.text }),
          h("span", { class: "scheduled-by", text: t("schedule.by", { name: item.author.name }) }),
          !failed && conv.status === "resolved"
            ? h("span", { class: "scheduled-warn", text: t("schedule.resolvedWarning") })
            : null,
          !failed && (item.author.id === ctx.me.id || lead)
            ? h("button", {
                type: "button",
                class: "btn btn-small btn-ghost",
                "aria-label": t("schedule.cancelNamed", { when }),
                text: t("schedule.cancel"),
                onclick: async () => {
                  const canceled = await guard(scheduleApi.cancel(conv.id, item.id));
                  if (!canceled) return;
                  toast(t("schedule.canceled"), "ok");
                  onChanged(canceled);
                },
              })
            : null,
        );
      }),
    ),
  );
}
