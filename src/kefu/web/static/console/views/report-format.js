// How report figures read: counts with the locale's grouping, rates as percentages, durations
// in words ("2 分 5 秒" / "2m 5s"), and "—" wherever the API says null (no data, or a rate
// whose denominator is 0), so an empty period never reads as "0 %".

import { locale, t } from "../i18n.js";

export const NONE = "—";

const missing = (value) => value === null || value === undefined || Number.isNaN(Number(value));

export function count(value) {
  return missing(value) ? NONE : new Intl.NumberFormat(locale()).format(Number(value));
}

/** A rate in 0..1 as "83.4%". */
export function percent(value) {
  if (missing(value)) return NONE;
  return new Intl.NumberFormat(locale(), { style: "percent", maximumFractionDigits: 1 }).format(
    Number(value),
  );
}

export function decimal(value, digits = 2) {
  if (missing(value)) return NONE;
  return new Intl.NumberFormat(locale(), {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(Number(value));
}

/** An NPS score (-100..100), signed: "+42", "-7", "0". */
export function score(value) {
  if (missing(value)) return NONE;
  return new Intl.NumberFormat(locale(), {
    maximumFractionDigits: 1,
    signDisplay: "exceptZero",
  }).format(Number(value));
}

/** Seconds in the two largest units: "45s", "2m 5s", "3h 12m", "2d 4h" (zh-TW: "2 分 5 秒"). */
export function humanDuration(seconds) {
  if (missing(seconds)) return NONE;
  const total = Math.max(0, Math.round(Number(seconds)));
  if (total < 60) return t("reports.dur.s", { s: total });
  const minutes = Math.floor(total / 60);
  if (minutes < 60) {
    const s = total % 60;
    return s ? t("reports.dur.ms", { m: minutes, s }) : t("reports.dur.m", { m: minutes });
  }
  const hours = Math.floor(minutes / 60);
  if (hours < 24) {
    const m = minutes % 60;
    return m ? t("reports.dur.hm", { h: hours, m }) : t("reports.dur.h", { h: hours });
  }
  const days = Math.floor(hours / 24);
  const h = hours % 24;
  return h ? t("reports.dur.dh", { d: days, h }) : t("reports.dur.d", { d: days });
}

// --- dates of the report's points: local wall-clock parts, read as they are written ----------

/** "2026-11-24T13:00:00+08:00" -> a Date whose UTC fields are that wall-clock time. */
function wallClock(iso) {
  const [date, time = "00:00"] = String(iso).split("T");
  const [y, mo, d] = date.split("-").map(Number);
  const [hh, mm] = time.slice(0, 5).split(":").map(Number);
  return new Date(Date.UTC(y, mo - 1, d, hh || 0, mm || 0));
}

const utcFormat = (options) => new Intl.DateTimeFormat(locale(), { ...options, timeZone: "UTC" });

/** A point's label for its interval: "13:00" (with the day at midnight), "11/24", "week of 11/24". */
export function pointLabel(iso, interval, { long = false } = {}) {
  const when = wallClock(iso);
  const day = utcFormat({ month: "numeric", day: "numeric" }).format(when);
  if (interval === "hour") {
    const hour = String(iso).slice(11, 16) || "00:00";
    return long || hour === "00:00" ? `${day} ${hour}` : hour;
  }
  if (interval === "week") return long ? t("reports.weekOf", { day }) : day;
  if (long) {
    return utcFormat({ year: "numeric", month: "numeric", day: "numeric", weekday: "short" }).format(
      when,
    );
  }
  return day;
}

/** A local date "2026-11-24" as the viewer reads it ("2026/11/24"). */
export function dateLabel(isoDate) {
  return utcFormat({ year: "numeric", month: "numeric", day: "numeric" }).format(wallClock(isoDate));
}

/** Weekday names, Monday first, in the UI language. */
export function weekdayNames(style = "short") {
  const monday = Date.UTC(2024, 0, 1); // a Monday
  const fmt = utcFormat({ weekday: style });
  return Array.from({ length: 7 }, (_, i) => fmt.format(new Date(monday + i * 86_400_000)));
}
