// Business-hours editors: the weekly schedule (per day, any number of "09:00–12:00" intervals;
// a day without any is closed; "24:00" ends at midnight) and the list of holidays.

import { h, labelled } from "../dom.js";
import { t } from "../i18n.js";
import { repeatable } from "./forms.js";

const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const START = "([01][0-9]|2[0-3]):[0-5][0-9]";
const END = `${START}|24:00`;

function timeInput(value, pattern, label) {
  return h("input", {
    class: "time-input",
    value: value || "",
    required: true,
    pattern,
    maxlength: "5",
    inputmode: "numeric",
    placeholder: "09:00",
    title: t("hours.format"),
    "aria-label": label,
  });
}

function intervalRow(day, [start, end]) {
  const dayName = t(`day.${day}`);
  const from = timeInput(start, START, t("hours.fromOn", { day: dayName }));
  const to = timeInput(end, END, t("hours.toOn", { day: dayName }));
  // A half-open interval must start before it ends (checked here, so the browser says so).
  const check = () => {
    const formed =
      from.value && to.value && !from.validity.patternMismatch && !to.validity.patternMismatch;
    const bad = formed && from.value >= to.value;
    to.setCustomValidity(bad ? t("hours.order") : "");
  };
  from.addEventListener("input", check);
  to.addEventListener("input", check);
  check();
  return {
    el: h("div", { class: "interval" }, from, h("span", { "aria-hidden": "true", text: "–" }), to),
    value: () => [from.value.trim(), to.value.trim()],
  };
}

/** {mon: [["09:00","18:00"]], ...} in and out. */
export function weeklyEditor(weekly) {
  const days = WEEKDAYS.map((day) => [
    day,
    repeatable({
      legend: t(`day.${day}`),
      addLabel: t("hours.add"),
      removeLabel: (n) => t("hours.remove", { day: t(`day.${day}`), n }),
      empty: t("hours.closed"),
      items: (weekly && weekly[day]) || [],
      blank: () => ["09:00", "18:00"],
      makeRow: (interval) => intervalRow(day, interval),
    }),
  ]);
  return {
    el: h("div", { class: "week" }, days.map(([, editor]) => editor.el)),
    value: () => Object.fromEntries(days.map(([day, editor]) => [day, editor.values()])),
  };
}

/** ["2026-01-01", ...] in and out. */
export function holidaysEditor(holidays) {
  const editor = repeatable({
    legend: t("hours.holidays"),
    addLabel: t("hours.addHoliday"),
    removeLabel: (n) => t("hours.removeHoliday", { n }),
    empty: t("hours.noHolidays"),
    items: holidays || [],
    blank: () => "",
    makeRow: (date, index) => {
      const input = h("input", { type: "date", required: true, value: date || "" });
      return {
        el: labelled(t("hours.holiday", { n: index + 1 }), input),
        value: () => input.value,
      };
    },
  });
  return { el: editor.el, value: () => editor.values().filter(Boolean) };
}

/** IANA zone names the browser knows, for the timezone field's suggestions. */
export function timezoneList() {
  try {
    return Intl.supportedValuesOf("timeZone");
  } catch {
    return ["Asia/Taipei", "Asia/Hong_Kong", "Asia/Tokyo", "Europe/London", "America/New_York", "UTC"];
  }
}
