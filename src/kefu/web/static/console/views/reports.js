// The reports dashboard (#/reports/<filters>): KPI tiles, charts with their data tables,
// breakdowns per agent, channel and inbox/team/tag, and CSV downloads of each, for a period in
// the viewer's timezone. Every signed-in user may open it: the API scopes the figures (agents
// their own, supervisors their teams', admins all), so the page only hides the agent filter
// from agents.

import { request } from "../api.js";
import { errorText, h, mount } from "../dom.js";
import { t } from "../i18n.js";
import { csatChart, heatmapChart, responseChart, volumeChart } from "./report-charts.js";
import {
  BREAKDOWNS,
  apiParams,
  filterForm,
  filtersArg,
  intervalFor,
  parseFilters,
  rangeOf,
  viewerTimeZone,
} from "./report-filters.js";
import { NONE, count, dateLabel, decimal, humanDuration, percent, score } from "./report-format.js";
import { breakdownTable } from "./report-tables.js";
import { selectOf } from "./forms.js";

if (!document.querySelector("link[data-css=reports]")) {
  document.head.append(
    h("link", { rel: "stylesheet", href: "/static/console/reports.css", "data-css": "reports" }),
  );
}

const BASE = "/api/v1/reports";
const fetchReport = (name, params) => request("GET", `${BASE}/${name}?${params}`);

const withParams = (params, extra) => {
  const copy = new URLSearchParams(params);
  for (const [key, value] of Object.entries(extra)) copy.set(key, value);
  return copy;
};

// --- KPI tiles ------------------------------------------------------------------------------

const p90 = (value) => t("reports.sub.p90", { value: humanDuration(value) });
const median = (durations) => humanDuration(durations.median_s);
const csatAverage = (avg) =>
  avg === null || avg === undefined ? NONE : t("reports.csat.average", { avg: decimal(avg) });

/** [group, [[kpi, value(summary), note(summary) | null]]] — each reads its own section. */
const TILES = [
  [
    "volume",
    [
      ["created", (s) => count(s.conversations.created), null],
      ["resolved", (s) => count(s.conversations.resolved), null],
      [
        "fcr",
        (s) => percent(s.fcr.rate),
        (s) => t("reports.sub.fcr", { count: count(s.fcr.count), eligible: count(s.fcr.eligible) }),
      ],
      [
        "reopen",
        (s) => percent(s.reopen.rate),
        (s) =>
          t("reports.sub.reopen", {
            reopened: count(s.reopen.reopened),
            resolved: count(s.reopen.resolved),
          }),
      ],
    ],
  ],
  [
    "speed",
    [
      ["firstResponse", (s) => median(s.first_response), (s) => p90(s.first_response.p90_s)],
      ["nextResponse", (s) => median(s.next_response), (s) => p90(s.next_response.p90_s)],
      ["resolution", (s) => median(s.resolution), (s) => p90(s.resolution.p90_s)],
      [
        "handling",
        (s) => humanDuration(s.handling.average_s),
        (s) => t("reports.sub.conversations", { n: count(s.handling.count) }),
      ],
    ],
  ],
  [
    "quality",
    [
      [
        "csat",
        (s) => csatAverage(s.csat.average),
        (s) => t("reports.sub.responses", { n: count(s.csat.responses) }),
      ],
      [
        "satisfied",
        (s) => percent(s.csat.satisfied_rate),
        (s) =>
          t("reports.sub.satisfied", {
            satisfied: count(s.csat.satisfied),
            n: count(s.csat.responses),
          }),
      ],
      [
        "nps",
        (s) => score(s.nps.score),
        (s) =>
          t("reports.sub.nps", {
            promoters: count(s.nps.promoters),
            passives: count(s.nps.passives),
            detractors: count(s.nps.detractors),
          }),
      ],
      [
        "sla",
        (s) => percent(s.sla.attainment),
        (s) => t("reports.sub.sla", { breached: count(s.sla.breached), n: count(s.sla.conversations) }),
      ],
    ],
  ],
  [
    "botQueue",
    [
      [
        "containment",
        (s) => percent(s.bot.containment_rate),
        (s) => t("reports.sub.contained", { n: count(s.bot.contained), total: count(s.bot.conversations) }),
      ],
      [
        "handoff",
        (s) => percent(s.bot.handoff_rate),
        (s) =>
          t("reports.sub.handedOff", {
            n: count(s.bot.handed_off),
            total: count(s.bot.conversations),
          }),
      ],
      [
        "queueWait",
        (s) => humanDuration(s.queue.wait_median_s),
        (s) =>
          t("reports.sub.queueWait", {
            p90: humanDuration(s.queue.wait_p90_s),
            n: count(s.queue.queued),
          }),
      ],
      [
        "abandonment",
        (s) => percent(s.queue.abandonment_rate),
        (s) => t("reports.sub.abandoned", { n: count(s.queue.abandoned), queued: count(s.queue.queued) }),
      ],
    ],
  ],
];

const SECTIONS = [
  "conversations", "first_response", "next_response", "resolution", "handling", "fcr", "reopen",
  "bot", "csat", "nps", "sla", "queue",
];

/** The summary with every section present (a partial answer shows "—", never throws). */
function complete(summary) {
  const full = { ...summary };
  for (const key of SECTIONS) full[key] = { ...(summary[key] || {}) };
  return full;
}

function tiles(summary) {
  const s = complete(summary);
  return h(
    "div",
    { class: "report-kpis" },
    TILES.map(([group, items]) =>
      h(
        "section",
        { class: "report-kpi-group", "aria-labelledby": `kpi-${group}` },
        h("h2", { id: `kpi-${group}`, text: t(`reports.group.${group}`) }),
        h(
          "dl",
          { class: "report-tiles" },
          items.map(([key, value, note]) =>
            h(
              "div",
              { class: "card report-tile", "data-kpi": key },
              h("dt", { text: t(`reports.kpi.${key}`) }),
              h("dd", { class: "report-value", text: value(s) }),
              note ? h("dd", { class: "report-note", text: note(s) }) : null,
            ),
          ),
        ),
      ),
    ),
  );
}

// --- CSV downloads --------------------------------------------------------------------------

function downloads(params, { interval, by, range }) {
  const stamp = `${range.start}_${range.end}`;
  const link = (key, path, extra, label = t(`reports.csv.${key}`)) =>
    h(
      "li",
      {},
      h("a", {
        class: "btn report-csv",
        "data-csv": key,
        href: `${BASE}/${path}?${withParams(params, extra)}`,
        download: `kefu-${key}-${stamp}.csv`,
        text: label,
      }),
    );
  return h(
    "section",
    { class: "card report-downloads", "aria-labelledby": "report-downloads" },
    h("h2", { id: "report-downloads", text: t("reports.csv.title") }),
    h(
      "ul",
      { class: "report-csv-list" },
      link("summary", "summary.csv", {}),
      link("timeseries", "timeseries.csv", { interval }),
      link("heatmap", "heatmap.csv", {}),
      link("agents", "breakdown.csv", { by: "agent" }),
      link("channels", "breakdown.csv", { by: "channel" }),
      link("breakdown", "breakdown.csv", { by }, t(`reports.csv.by.${by}`)),
      link("conversations", "conversations.csv", {}),
    ),
    h("p", { class: "hint", text: t("reports.csv.hint") }),
  );
}

// --- the page -------------------------------------------------------------------------------

const isEmpty = (summary) => {
  const s = complete(summary);
  return !s.conversations.created && !s.conversations.resolved && !s.csat.responses && !s.nps.responses;
};

export async function renderReports(container, ctx, arg) {
  let filters = parseFilters(arg);
  const tz = viewerTimeZone();
  let generation = 0; // answers to an older request (filters changed since) are dropped
  ctx.onLeave(() => {
    generation += 1;
  });

  const status = h("p", { class: "report-status muted", role: "status" });
  const results = h("div", { class: "report-results" });
  const rangeLine = h("p", { class: "report-range muted" });

  const remember = () => {
    const hashArg = filtersArg(filters);
    history.replaceState(null, "", `#/reports${hashArg ? `/${hashArg}` : ""}`);
  };

  const form = filterForm(ctx, filters, (next) => {
    filters = { ...next, by: filters.by };
    remember();
    load();
  });

  const describeRange = (range) => {
    const hoursText = t(`reports.hours.${filters.hours}`);
    const dates =
      range.start === range.end
        ? dateLabel(range.start)
        : t("reports.rangeText", { start: dateLabel(range.start), end: dateLabel(range.end) });
    rangeLine.textContent = `${dates} · ${tz} · ${hoursText}`;
  };

  const otherBreakdown = (params, rows) => {
    const table = (list) =>
      breakdownTable({ by: filters.by, rows: list, title: t(`reports.by.${filters.by}`) });
    const slot = h("div", { class: "report-other-table" }, table(rows));
    const choice = selectOf(
      BREAKDOWNS.map((by) => [by, t(`reports.by.${by}`)]),
      filters.by,
      {
        name: "by",
        "aria-label": t("reports.table.otherBy"),
        onchange: async () => {
          filters = { ...filters, by: choice.value };
          remember();
          const gen = generation;
          slot.setAttribute("aria-busy", "true");
          try {
            const data = await fetchReport("breakdown", withParams(params, { by: filters.by }));
            if (gen !== generation) return;
            mount(slot, table(data.rows || []));
            const csv = container.querySelector('[data-csv="breakdown"]');
            if (csv) {
              csv.href = `${BASE}/breakdown.csv?${withParams(params, { by: filters.by })}`;
              csv.textContent = t(`reports.csv.by.${filters.by}`);
            }
          } catch (error) {
            if (gen !== generation) return;
            mount(slot, h("p", { class: "form-error", role: "alert", text: errorText(error) }));
          } finally {
            slot.removeAttribute("aria-busy");
          }
        },
      },
    );
    return h(
      "section",
      { class: "report-section", "aria-labelledby": "report-other" },
      h(
        "div",
        { class: "report-section-head" },
        h("h2", { id: "report-other", text: t("reports.table.other") }),
        choice,
      ),
      slot,
    );
  };

  const tableSection = (id, title, table) =>
    h("section", { class: "report-section", "aria-labelledby": id }, h("h2", { id, text: title }), table);

  async function load() {
    generation += 1;
    const gen = generation;
    const range = rangeOf(filters);
    const interval = intervalFor(range);
    const params = apiParams(filters, tz);
    describeRange(range);
    status.textContent = t("reports.loading");
    results.setAttribute("aria-busy", "true");
    results.classList.add("is-loading");
    let answers;
    try {
      answers = await Promise.all([
        fetchReport("summary", params),
        fetchReport("timeseries", withParams(params, { interval })),
        fetchReport("heatmap", params),
        fetchReport("breakdown", withParams(params, { by: "agent" })),
        fetchReport("breakdown", withParams(params, { by: "channel" })),
        fetchReport("breakdown", withParams(params, { by: filters.by })),
      ]);
    } catch (error) {
      if (gen !== generation) return;
      status.textContent = "";
      results.removeAttribute("aria-busy");
      results.classList.remove("is-loading");
      mount(
        results,
        h(
          "div",
          { class: "form-error report-error", role: "alert" },
          h("p", { text: t("reports.error", { message: errorText(error) }) }),
          h("button", { type: "button", class: "btn", text: t("reports.retry"), onclick: () => load() }),
        ),
      );
      return;
    }
    if (gen !== generation) return;
    const [summary, series, heat, byAgent, byChannel, byOther] = answers;
    status.textContent = "";
    results.removeAttribute("aria-busy");
    results.classList.remove("is-loading");
    const empty = isEmpty(summary);
    const points = series.points || [];
    // Charts are drawn at their real size (text stays 12 px); CSS scales them if the window changes.
    const inner = Math.max(320, results.clientWidth || 900);
    const full = inner - 34; // the card's padding and borders
    const half = inner >= 900 ? Math.floor((inner - 16) / 2) - 34 : full;
    mount(
      results,
      tiles(summary),
      empty
        ? h("p", { class: "card report-empty", text: t("reports.empty") })
        : [
            h(
              "div",
              { class: "report-charts" },
              volumeChart(points, series.interval || interval, range, full),
              responseChart(points, series.interval || interval, range, half),
              csatChart((summary.csat || {}).distribution, half),
              heatmapChart(heat.cells || [], tz, full),
            ),
            tableSection(
              "report-agents",
              t("reports.table.agents"),
              breakdownTable({ by: "agent", rows: byAgent.rows || [], title: t("reports.table.agents") }),
            ),
            tableSection(
              "report-channels",
              t("reports.table.channels"),
              breakdownTable({
                by: "channel",
                rows: byChannel.rows || [],
                title: t("reports.table.channels"),
              }),
            ),
            otherBreakdown(params, byOther.rows || []),
            h("p", { class: "hint", text: t("reports.sortHint") }),
          ],
      downloads(params, { interval, by: filters.by, range }),
    );
  }

  mount(
    container,
    h(
      "div",
      { class: "report-head" },
      h("h1", { text: t("reports.title") }),
      rangeLine,
    ),
    form.el,
    status,
    results,
  );
  await load();
}
