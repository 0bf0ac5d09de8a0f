// The reports' filters: a period (presets or custom dates, in the viewer's own timezone), inbox,
// channel, team, agent and tag, calendar or business hours. They live in the hash
// (#/reports/period=last30&inbox_id=2) so a view can be bookmarked and reloaded; the API's
// query string is derived from them.

import { h, labelled } from "../dom.js";
import { has, t } from "../i18n.js";
import { selectOf } from "./forms.js";
import { tagStore } from "./tags.js";

export const PRESETS = ["today", "yesterday", "last7", "last30", "thisMonth", "lastMonth", "custom"];
export const CHANNELS = ["web", "email", "line", "whatsapp", "messenger", "telegram"];
export const BREAKDOWNS = ["inbox", "team", "tag"]; // the third table's choices (agent, channel always)
const ID_FILTERS = ["inbox_id", "team_id", "agent_id"];
const DAY_MS = 86_400_000;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
export const MAX_DAYS = 731; // the API's longest period (kefu/reports/filters.py)

export const DEFAULTS = Object.freeze({
  period: "last7",
  start: "",
  end: "",
  inbox_id: "",
  channel: "",
  team_id: "",
  agent_id: "",
  tag: "",
  hours: "calendar",
  by: "inbox",
});

/** The viewer's IANA timezone: every date of the report is a local date there. */
export function viewerTimeZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

/** A Date's local calendar date, "YYYY-MM-DD" (the browser's zone is the viewer's zone). */
export function localDate(date) {
  const two = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())}`;
}

const shift = (date, days) => new Date(date.getFullYear(), date.getMonth(), date.getDate() + days);

/** The start and end dates (inclusive) of a preset, relative to `now`. */
export function presetRange(period, now = new Date()) {
  const today = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  switch (period) {
    case "today":
      return { start: localDate(today), end: localDate(today) };
    case "yesterday":
      return { start: localDate(shift(today, -1)), end: localDate(shift(today, -1)) };
    case "last30":
      return { start: localDate(shift(today, -29)), end: localDate(today) };
    case "thisMonth":
      return {
        start: localDate(new Date(today.getFullYear(), today.getMonth(), 1)),
        end: localDate(today),
      };
    case "lastMonth":
      return {
        start: localDate(new Date(today.getFullYear(), today.getMonth() - 1, 1)),
        end: localDate(new Date(today.getFullYear(), today.getMonth(), 0)),
      };
    default: // last7
      return { start: localDate(shift(today, -6)), end: localDate(today) };
  }
}

/** The filters' dates: the preset's, or the custom ones. */
export function rangeOf(filters, now = new Date()) {
  if (filters.period !== "custom") return presetRange(filters.period, now);
  return { start: filters.start, end: filters.end };
}

function dayNumber(iso) {
  const [y, m, d] = iso.split("-").map(Number);
  return Date.UTC(y, m - 1, d) / DAY_MS;
}

/** How many days the range covers (end inclusive); 0 when it is not a valid range. */
export function rangeDays({ start, end }) {
  if (!ISO_DATE.test(start || "") || !ISO_DATE.test(end || "")) return 0;
  const days = dayNumber(end) - dayNumber(start) + 1;
  return days > 0 ? days : 0;
}

/** The time series' step: hours for up to 2 days, days up to 92 days, weeks beyond. */
export function intervalFor(range) {
  const days = rangeDays(range);
  if (days <= 2) return "hour";
  if (days <= 92) return "day";
  return "week";
}

/** Filters from the hash argument; anything unknown or malformed falls back to its default. */
export function parseFilters(arg) {
  const params = new URLSearchParams(arg || "");
  const filters = { ...DEFAULTS };
  const period = params.get("period");
  if (PRESETS.includes(period)) filters.period = period;
  for (const key of ["start", "end"]) {
    const value = params.get(key) || "";
    if (ISO_DATE.test(value)) filters[key] = value;
  }
  const days = rangeDays(filters);
  if (filters.period === "custom" && !(days && days <= MAX_DAYS)) filters.period = DEFAULTS.period;
  for (const key of ID_FILTERS) {
    const value = params.get(key) || "";
    if (/^[1-9]\d{0,17}$/.test(value)) filters[key] = value;
  }
  const channel = params.get("channel") || "";
  if (CHANNELS.includes(channel)) filters.channel = channel;
  filters.tag = (params.get("tag") || "").slice(0, 100);
  if (params.get("hours") === "business") filters.hours = "business";
  if (BREAKDOWNS.includes(params.get("by"))) filters.by = params.get("by");
  return filters;
}

/** The hash argument for `filters`: only what differs from the defaults (short bookmarks). */
export function filtersArg(filters) {
  const params = new URLSearchParams();
  for (const [key, fallback] of Object.entries(DEFAULTS)) {
    const value = filters[key];
    if ((key === "start" || key === "end") && filters.period !== "custom") continue;
    if (value && value !== fallback) params.set(key, value);
  }
  return params.toString();
}

/** The API's query parameters for `filters` (dates resolved, the viewer's timezone). */
export function apiParams(filters, tz = viewerTimeZone(), now = new Date()) {
  const { start, end } = rangeOf(filters, now);
  const params = new URLSearchParams({ start, end, tz });
  for (const key of [...ID_FILTERS, "channel", "tag"]) if (filters[key]) params.set(key, filters[key]);
  params.set("hours", filters.hours);
  return params;
}

// --- who may be chosen: the viewer's own scope ------------------------------------------------

const sortByName = (items) => [...items].sort((a, b) => a.name.localeCompare(b.name));

function teamsInScope(ctx) {
  if (ctx.me.role === "admin") return ctx.teams;
  const mine = ctx.teams.filter((team) => (team.member_ids || []).includes(ctx.me.id));
  return ctx.me.role === "supervisor" && !mine.length ? ctx.teams : mine;
}

function agentsInScope(ctx) {
  if (ctx.me.role === "agent") return [];
  if (ctx.me.role === "admin") return ctx.users;
  const ids = new Set(teamsInScope(ctx).flatMap((team) => team.member_ids || []));
  const scoped = ctx.users.filter((user) => ids.has(user.id));
  return scoped.length ? scoped : ctx.users;
}

function channelsInUse(ctx, selected) {
  const used = new Set(ctx.inboxes.map((inbox) => inbox.channel_type || "web"));
  if (selected) used.add(selected);
  return CHANNELS.filter((channel) => used.has(channel));
}

export const channelLabel = (channel) => (has(`channel.${channel}`) ? t(`channel.${channel}`) : channel);

// --- the form -------------------------------------------------------------------------------

/**
 * The filter bar. `onChange(filters)` runs after every change that leaves a valid range;
 * an invalid custom range is reported next to the dates instead.
 */
export function filterForm(ctx, initial, onChange) {
  let filters = { ...initial };
  const range = rangeOf(filters);
  const period = selectOf(
    PRESETS.map((p) => [p, t(`reports.preset.${p}`)]),
    filters.period,
    { name: "period" },
  );
  const start = h("input", { type: "date", name: "start", value: range.start, required: true });
  const end = h("input", { type: "date", name: "end", value: range.end, required: true });
  const rangeError = h("p", { class: "reports-range-error", role: "alert", hidden: true });
  const select = (name, allLabel, options, value) =>
    selectOf([["", allLabel], ...options], value, { name });
  const inbox = select(
    "inbox_id",
    t("reports.allInboxes"),
    sortByName(ctx.inboxes).map((i) => [String(i.id), i.name]),
    filters.inbox_id,
  );
  const channel = select(
    "channel",
    t("reports.allChannels"),
    channelsInUse(ctx, filters.channel).map((c) => [c, channelLabel(c)]),
    filters.channel,
  );
  const teams = sortByName(teamsInScope(ctx));
  const team = select(
    "team_id",
    t("reports.allTeams"),
    teams.map((x) => [String(x.id), x.name]),
    filters.team_id,
  );
  const agents = sortByName(agentsInScope(ctx));
  const agent = agents.length
    ? select(
        "agent_id",
        t("reports.allAgents"),
        agents.map((u) => [
          String(u.id),
          u.is_active === false ? t("reports.inactive", { name: u.name }) : u.name,
        ]),
        filters.agent_id,
      )
    : null;
  const tag = select(
    "tag",
    t("reports.allTags"),
    tagStore.tags.map((x) => [x.name, x.name]),
    filters.tag,
  );
  if (filters.tag && tag.value !== filters.tag) {
    // A bookmarked tag since renamed or deleted: kept, so the view still says what it shows.
    tag.append(h("option", { value: filters.tag, selected: true }, filters.tag));
  }
  const hoursChoice = (value) =>
    h(
      "label",
      { class: "reports-segment" },
      h("input", {
        type: "radio",
        name: "hours",
        value,
        checked: filters.hours === value,
        onchange: changed,
      }),
      h("span", { text: t(`reports.hours.${value}`) }),
    );
  const hours = h(
    "fieldset",
    { class: "reports-hours" },
    h("legend", { text: t("reports.hours") }),
    h("div", { class: "reports-segments" }, hoursChoice("calendar"), hoursChoice("business")),
  );

  function changed(event) {
    const next = { ...filters };
    const target = event && event.target;
    if (target === period) {
      next.period = period.value;
      if (next.period !== "custom") {
        const preset = presetRange(next.period);
        start.value = preset.start;
        end.value = preset.end;
      }
    } else if (target === start || target === end) {
      next.period = "custom";
      period.value = "custom";
    }
    if (next.period === "custom") {
      next.start = start.value;
      next.end = end.value;
    } else {
      next.start = "";
      next.end = "";
    }
    next.inbox_id = inbox.value;
    next.channel = channel.value;
    next.team_id = teams.length ? team.value : "";
    next.agent_id = agent ? agent.value : "";
    next.tag = tag.value;
    next.hours = hours.querySelector("input:checked").value;
    const days = rangeDays(rangeOf(next));
    const valid = days > 0 && days <= MAX_DAYS;
    rangeError.hidden = valid;
    rangeError.textContent = valid ? "" : days ? t("reports.tooLong", { n: MAX_DAYS }) : t("reports.badRange");
    start.setAttribute("aria-invalid", String(!valid));
    end.setAttribute("aria-invalid", String(!valid));
    if (!valid) return;
    filters = next;
    onChange({ ...filters });
  }

  for (const control of [period, start, end, inbox, channel, team, agent, tag]) {
    if (control) control.addEventListener("change", changed);
  }
  const el = h(
    "form",
    {
      class: "card reports-filters",
      "aria-label": t("reports.filters"),
      onsubmit: (event) => event.preventDefault(),
    },
    h(
      "div",
      { class: "reports-filter-row" },
      labelled(t("reports.period"), period),
      labelled(t("reports.start"), start),
      labelled(t("reports.end"), end),
      hours,
      h("p", { class: "reports-tz", text: t("reports.timezone", { tz: viewerTimeZone() }) }),
    ),
    rangeError,
    h(
      "div",
      { class: "reports-filter-row" },
      labelled(t("reports.inbox"), inbox),
      labelled(t("reports.channel"), channel),
      teams.length ? labelled(t("reports.team"), team) : null,
      agent ? labelled(t("reports.agent"), agent) : null,
      labelled(t("reports.tag"), tag),
    ),
  );
  return { el, value: () => ({ ...filters }) };
}
