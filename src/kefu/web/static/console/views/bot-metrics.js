// Admins and supervisors: the bot's figures per day for a date range — conversations it took,
// containment (finished by the bot without a handoff), handoff rate and handoffs by reason,
// answers given and their "this helped" feedback, and bot CSAT — in a real table.

import { botApi } from "../api-bot.js";
import { guard, h, mount } from "../dom.js";
import { t } from "../i18n.js";
import { botStyles, botTabs } from "./bot-settings.js";
import { dateRange, reasonLabel } from "./bot-learning.js";

botStyles();

const percent = (value) =>
  value === null || value === undefined || Number.isNaN(Number(value))
    ? "–"
    : `${(Number(value) * 100).toFixed(1)}%`;
const count = (value) => (value === null || value === undefined ? "–" : String(value));

function reasons(day) {
  const entries = Object.entries(day.handoffs_by_reason || {}).filter(([, n]) => n);
  if (!entries.length) return "–";
  return h(
    "ul",
    { class: "bot-reasons" },
    entries.map(([reason, n]) => h("li", { text: `${reasonLabel(reason)}: ${n}` })),
  );
}

function csat(day) {
  if (day.csat_average === null || day.csat_average === undefined) return "–";
  return t("bot.metrics.csatOf", {
    avg: Number(day.csat_average).toFixed(2),
    n: day.csat_responses,
    satisfied: percent(day.csat_satisfied_rate),
  });
}

const helped = (day) => t("bot.metrics.helpedOf", { yes: day.helped, no: day.not_helped });

const COLUMNS = [
  ["date", (d) => d.day],
  ["conversations", (d) => count(d.conversations)],
  ["contained", (d) => count(d.contained)],
  ["containment", (d) => percent(d.containment_rate)],
  ["handoffs", (d) => count(d.handed_off)],
  ["handoffRate", (d) => percent(d.handoff_rate)],
  ["byReason", reasons],
  ["answers", (d) => count(d.answers)],
  ["actions", (d) => count(d.actions)],
  ["helped", helped],
  ["csat", csat],
];

export function metricsTable(days, totals = null) {
  const row = (day, head = false) =>
    h(
      "tr",
      { class: head ? "bot-total" : null },
      COLUMNS.map(([key, cell], index) => {
        const value = index === 0 && head ? t("bot.metrics.total") : cell(day);
        return index === 0
          ? h("th", { scope: "row" }, value)
          : h("td", { "data-col": key }, value);
      }),
    );
  return h(
    "div",
    { class: "card table-card" },
    h(
      "table",
      { class: "table bot-metrics-table" },
      h("caption", { class: "sr-only", text: t("bot.metrics.caption") }),
      h(
        "thead",
        {},
        h("tr", {}, COLUMNS.map(([key]) => h("th", { scope: "col", text: t(`bot.metrics.${key}`) }))),
      ),
      h("tbody", {}, days.map((day) => row(day))),
      totals ? h("tfoot", {}, row(totals, true)) : null,
    ),
  );
}

/** The period at a glance: conversations, containment, handoff rate, bot CSAT. */
function headline(total) {
  const figures = [
    ["conversations", count(total.conversations)],
    ["containment", percent(total.containment_rate)],
    ["handoffRate", percent(total.handoff_rate)],
    ["csat", csat(total)],
  ];
  return h(
    "dl",
    { class: "bot-headline", "aria-label": t("bot.metrics.period") },
    figures.map(([key, value]) =>
      h("div", { class: "card bot-figure" }, h("dt", { text: t(`bot.metrics.${key}`) }), h("dd", { text: value })),
    ),
  );
}

export async function renderBotMetrics(container, ctx) {
  const results = h("div", { class: "bot-metrics-results", "aria-live": "polite" });
  const show = async (dates) => {
    mount(results, h("p", { class: "muted", text: t("list.loading") }));
    const data = await guard(botApi.metrics(dates));
    if (!data) {
      mount(results);
      return;
    }
    const days = data.days || [];
    const busy = days.filter((day) => day.conversations || day.answers || day.handed_off);
    mount(
      results,
      busy.length ? headline(data.total) : null,
      busy.length
        ? metricsTable([...days].reverse(), data.total) // newest day first
        : h("p", { class: "muted", text: t("bot.metrics.none") }),
      h("p", { class: "hint", text: t("bot.metrics.hint") }),
    );
  };
  const range = dateRange(ctx, show);
  mount(
    container,
    botTabs(ctx, "bot-metrics"),
    h("h1", { text: t("bot.metrics.title") }),
    range.el,
    results,
  );
  await show(range.value());
}
