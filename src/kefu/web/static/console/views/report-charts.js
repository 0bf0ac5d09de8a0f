// The reports' charts: inline SVG built with createElementNS (no library, no markup strings),
// coloured by CSS classes (the CSP allows no inline styles). Every chart is role="img" with a
// summary in its aria-label, and carries its numbers in a table under "Show data": the figures
// are never only in a picture.

import { h } from "../dom.js";
import { t } from "../i18n.js";
import { count, dateLabel, humanDuration, percent, pointLabel, weekdayNames } from "./report-format.js";

const NS = "http://www.w3.org/2000/svg";
const MAX_DOTS = 62; // past this many points the dots crowd the lines (the table has the values)

/** An SVG element; `children` may hold strings (text nodes) and nulls (skipped). */
function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(NS, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== null && value !== undefined && value !== false) node.setAttribute(key, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const tooltip = (text) => svg("title", {}, text);
const round = (n) => Math.round(n * 10) / 10;

// --- scales ---------------------------------------------------------------------------------

/** Tick values 0..top for counts: steps of 1, 2 or 5 × 10^k, at most `most` + 1 ticks. */
export function countTicks(max, most = 4) {
  if (!(max > 0)) return [0, 1];
  const raw = max / most;
  const power = 10 ** Math.floor(Math.log10(raw));
  const steps = [1, 2, 5, 10].map((m) => m * power);
  const step = steps.find((s) => s >= raw && s >= 1) || Math.max(1, power * 10);
  const top = Math.ceil(max / step) * step;
  return Array.from({ length: Math.round(top / step) + 1 }, (_, i) => i * step);
}

const TIME_STEPS = [
  1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
  172800, 604800,
];

/** Tick values for seconds, on steps a reader expects (30 s, 5 min, 1 h, 1 d…). */
export function timeTicks(max, most = 4) {
  if (!(max > 0)) return [0, 60];
  const step = TIME_STEPS.find((s) => max / s <= most) || Math.ceil(max / most / 86400) * 86400;
  const top = Math.ceil(max / step) * step;
  return Array.from({ length: Math.round(top / step) + 1 }, (_, i) => i * step);
}

// --- frames: heading, picture, legend, data table ---------------------------------------------

function dataTable(caption, headers, rows) {
  return h(
    "div",
    { class: "report-data-scroll" },
    h(
      "table",
      { class: "table report-data-table" },
      h("caption", { class: "sr-only", text: caption }),
      h("thead", {}, h("tr", {}, headers.map((text) => h("th", { scope: "col", text })))),
      h(
        "tbody",
        {},
        rows.map(([head, ...cells]) =>
          h("tr", {}, h("th", { scope: "row", text: head }), cells.map((text) => h("td", { text }))),
        ),
      ),
    ),
  );
}

function legend(items) {
  return h(
    "ul",
    { class: "report-legend", "aria-hidden": "true" }, // the aria-label and the table say it
    items.map(([cls, label]) => h("li", {}, h("span", { class: `report-swatch ${cls}` }), label)),
  );
}

function chartCard({ key, title, picture, legendEl = null, table }) {
  return h(
    "section",
    { class: "card report-chart", "data-chart": key },
    h("h2", { text: title }),
    picture,
    legendEl,
    h("details", { class: "report-data" }, h("summary", { text: t("reports.showData") }), table),
  );
}

/** "No … in this period", across the middle of an empty chart's axes. */
const emptyNote = (width, height, text) =>
  svg("text", { x: width / 2, y: height / 2, "text-anchor": "middle", class: "rc-empty" }, text);

function picture(width, height, label, ...children) {
  return svg(
    "svg",
    {
      class: "report-svg",
      viewBox: `0 0 ${width} ${height}`,
      role: "img",
      "aria-label": label,
      preserveAspectRatio: "xMidYMid meet",
    },
    children,
  );
}

// --- line charts (volume, response times) -----------------------------------------------------

/**
 * Lines over the points' periods. `series`: [{cls, label, values}] (null = no value: a gap);
 * `format` renders a value (axis and tooltips), `ticks(max)` picks the axis.
 */
function lines({ width = 720, height = 240, labels, tips, series, format, ticks, label, empty }) {
  const box = { left: 58, right: 14, top: 12, bottom: 30 };
  const plotW = width - box.left - box.right;
  const plotH = height - box.top - box.bottom;
  const n = labels.length;
  const values = series.flatMap((s) => s.values).filter((v) => v !== null && v !== undefined);
  const axis = ticks(Math.max(0, ...values));
  const top = axis[axis.length - 1] || 1;
  const x = (i) => round(box.left + (n <= 1 ? plotW / 2 : (i * plotW) / (n - 1)));
  const y = (v) => round(box.top + plotH - (v / top) * plotH);
  const grid = axis.map((v) =>
    svg(
      "g",
      { class: "rc-tick" },
      svg("line", { x1: box.left, x2: width - box.right, y1: y(v), y2: y(v), class: "rc-grid" }),
      svg("text", { x: box.left - 8, y: y(v) + 4, "text-anchor": "end", class: "rc-axis" }, format(v)),
    ),
  );
  const every = Math.max(1, Math.ceil(n / Math.max(1, Math.floor(plotW / 64))));
  const xLabels = labels.map((text, i) =>
    i % every === 0
      ? svg("text", { x: x(i), y: height - 10, "text-anchor": "middle", class: "rc-axis" }, text)
      : null,
  );
  const paths = series.map((s) => {
    let d = "";
    let pen = false;
    s.values.forEach((v, i) => {
      if (v === null || v === undefined) {
        pen = false;
        return;
      }
      d += `${pen ? "L" : "M"}${x(i)} ${y(v)}`;
      pen = true;
    });
    const dot = (v, i) =>
      svg(
        "circle",
        { cx: x(i), cy: y(v), r: 3, class: `rc-dot ${s.cls}` },
        tooltip(`${tips[i]} · ${s.label}: ${format(v)}`),
      );
    const dots =
      n <= MAX_DOTS ? s.values.map((v, i) => (v === null || v === undefined ? null : dot(v, i))) : [];
    const line = d ? svg("path", { d, class: "rc-line" }) : null;
    return svg("g", { class: `rc-series ${s.cls}` }, line, dots);
  });
  const baseline = svg("line", {
    x1: box.left,
    x2: width - box.right,
    y1: y(0),
    y2: y(0),
    class: "rc-baseline",
  });
  const note = values.length ? null : emptyNote(width, height - box.bottom, empty);
  return picture(width, height, label, grid, baseline, paths, xLabels, note);
}

const sum = (items, key) => items.reduce((total, item) => total + (Number(item[key]) || 0), 0);
const rangeWords = (range) => ({ start: dateLabel(range.start), end: dateLabel(range.end) });

/** Conversations created and resolved per period. */
export function volumeChart(points, interval, range, width = 720) {
  const labels = points.map((p) => pointLabel(p.start, interval));
  const long = points.map((p) => pointLabel(p.start, interval, { long: true }));
  const created = t("reports.legend.created");
  const resolved = t("reports.legend.resolved");
  const label = t("reports.chart.volumeLabel", {
    per: t(`reports.per.${interval}`),
    ...rangeWords(range),
    created: count(sum(points, "created")),
    resolved: count(sum(points, "resolved")),
  });
  return chartCard({
    key: "volume",
    title: t("reports.chart.volume"),
    picture: lines({
      width,
      labels,
      tips: long,
      label,
      format: count,
      ticks: countTicks,
      empty: t("reports.chart.none"),
      series: [
        { cls: "rc-created", label: created, values: points.map((p) => p.created ?? 0) },
        { cls: "rc-resolved", label: resolved, values: points.map((p) => p.resolved ?? 0) },
      ],
    }),
    legendEl: legend([["rc-created", created], ["rc-resolved", resolved]]),
    table: dataTable(
      t("reports.chart.volume"),
      [t("reports.col.period"), created, resolved],
      points.map((p, i) => [long[i], count(p.created), count(p.resolved)]),
    ),
  });
}

/** First response time per period: median and 90th percentile. */
export function responseChart(points, interval, range, width = 720) {
  const labels = points.map((p) => pointLabel(p.start, interval));
  const long = points.map((p) => pointLabel(p.start, interval, { long: true }));
  const median = t("reports.legend.median");
  const p90 = t("reports.legend.p90");
  let slowest = -1; // the point with the slowest median, for the summary
  points.forEach((p, i) => {
    const v = p.first_response_median_s;
    if (v === null || v === undefined) return;
    if (slowest < 0 || v > points[slowest].first_response_median_s) slowest = i;
  });
  const label =
    slowest < 0
      ? t("reports.chart.responseEmpty", { per: t(`reports.per.${interval}`), ...rangeWords(range) })
      : t("reports.chart.responseLabel", {
          per: t(`reports.per.${interval}`),
          ...rangeWords(range),
          when: long[slowest],
          value: humanDuration(points[slowest].first_response_median_s),
        });
  return chartCard({
    key: "response",
    title: t("reports.chart.response"),
    picture: lines({
      width,
      labels,
      tips: long,
      label,
      format: humanDuration,
      ticks: timeTicks,
      empty: t("reports.chart.noResponses"),
      series: [
        { cls: "rc-median", label: median, values: points.map((p) => p.first_response_median_s) },
        { cls: "rc-p90", label: p90, values: points.map((p) => p.first_response_p90_s) },
      ],
    }),
    legendEl: legend([["rc-median", median], ["rc-p90", p90]]),
    table: dataTable(
      t("reports.chart.response"),
      ["period", "frMedian", "frP90", "resolutionMedian"].map((key) => t(`reports.col.${key}`)),
      points.map((p, i) => [
        long[i],
        humanDuration(p.first_response_median_s),
        humanDuration(p.first_response_p90_s),
        humanDuration(p.resolution_median_s),
      ]),
    ),
  });
}

// --- the weekday × hour heatmap -----------------------------------------------------------------

const LEVELS = 5;

/** The colour step (0 = none, 1..5) of `value` on a scale up to `max`. */
export function heatLevel(value, max) {
  return value > 0 && max > 0 ? Math.max(1, Math.ceil((value / max) * LEVELS)) : 0;
}

/** The legend's steps: [level, "lo–hi"] for each step some count can reach. */
function heatSteps(max) {
  const steps = [[0, "0"]];
  for (let level = 1; level <= LEVELS; level += 1) {
    const lo = Math.floor((max * (level - 1)) / LEVELS) + 1;
    const hi = Math.floor((max * level) / LEVELS);
    if (hi >= lo) steps.push([level, lo === hi ? count(lo) : `${count(lo)}–${count(hi)}`]);
  }
  return steps;
}

/** Incoming conversations per local weekday (Monday first) and hour. */
export function heatmapChart(cells, tz, width = 760) {
  const days = weekdayNames("short");
  const longDays = weekdayNames("long");
  const rows = Array.from({ length: 7 }, (_, d) =>
    Array.from({ length: 24 }, (_, hr) => Number((cells[d] || [])[hr]) || 0),
  );
  const max = Math.max(0, ...rows.flat());
  const total = rows.flat().reduce((a, b) => a + b, 0);
  const box = { left: 52, top: 6, bottom: 24, right: 6 };
  const cell = Math.max(14, Math.floor((width - box.left - box.right) / 24));
  const rowH = Math.min(30, Math.max(20, Math.round(cell * 0.62)));
  const hourStep = cell >= 44 ? 1 : cell >= 30 ? 2 : 3;
  width = box.left + 24 * cell + box.right;
  const height = box.top + 7 * rowH + box.bottom;
  const hourText = (hr) => `${String(hr).padStart(2, "0")}:00`;
  let busiest = null;
  rows.forEach((row, d) =>
    row.forEach((n, hr) => {
      if (n > 0 && (!busiest || n > busiest.n)) busiest = { d, hr, n };
    }),
  );
  const label = busiest
    ? t("reports.chart.heatmapLabel", {
        tz,
        total: count(total),
        day: longDays[busiest.d],
        from: hourText(busiest.hr),
        to: hourText((busiest.hr + 1) % 24),
        n: count(busiest.n),
      })
    : t("reports.chart.heatmapEmpty", { tz });
  const rects = rows.flatMap((row, d) =>
    row.map((n, hr) =>
      svg(
        "rect",
        {
          x: box.left + hr * cell + 1,
          y: box.top + d * rowH + 1,
          width: cell - 2,
          height: rowH - 2,
          rx: 3,
          class: `rc-heat heat-${heatLevel(n, max)}`,
        },
        tooltip(
          t("reports.heat.tip", {
            day: longDays[d],
            from: hourText(hr),
            to: hourText((hr + 1) % 24),
            n: count(n),
          }),
        ),
      ),
    ),
  );
  const dayLabels = days.map((name, d) =>
    svg(
      "text",
      { x: box.left - 8, y: box.top + d * rowH + rowH / 2 + 4, "text-anchor": "end", class: "rc-axis" },
      name,
    ),
  );
  const hourLabels = Array.from({ length: 24 / hourStep }, (_, i) =>
    svg(
      "text",
      {
        x: box.left + i * hourStep * cell + cell / 2,
        y: height - 8,
        "text-anchor": "middle",
        class: "rc-axis",
      },
      String(i * hourStep),
    ),
  );
  const scale = h(
    "div",
    { class: "heat-legend", "aria-hidden": "true" },
    h("span", { class: "heat-legend-title", text: t("reports.heat.legend") }),
    heatSteps(max).map(([level, text]) =>
      h("span", { class: "heat-step" }, h("span", { class: `heat-swatch heat-${level}` }), text),
    ),
  );
  return chartCard({
    key: "heatmap",
    title: t("reports.chart.heatmap"),
    picture: picture(width, height, label, rects, dayLabels, hourLabels),
    legendEl: scale,
    table: dataTable(
      t("reports.chart.heatmap"),
      [t("reports.col.weekday"), ...Array.from({ length: 24 }, (_, hr) => String(hr))],
      rows.map((row, d) => [longDays[d], ...row.map((n) => count(n))]),
    ),
  });
}

// --- CSAT distribution --------------------------------------------------------------------------

/** Responses per CSAT rating, 1 to 5. */
export function csatChart(distribution, width = 420) {
  const ratings = [1, 2, 3, 4, 5];
  const counts = ratings.map((r) => Number((distribution || {})[String(r)]) || 0);
  const total = counts.reduce((a, b) => a + b, 0);
  const height = 220;
  const box = { left: 44, right: 10, top: 18, bottom: 30 };
  const plotH = height - box.top - box.bottom;
  const axis = countTicks(Math.max(0, ...counts));
  const top = axis[axis.length - 1] || 1;
  const slot = (width - box.left - box.right) / ratings.length;
  const y = (v) => round(box.top + plotH - (v / top) * plotH);
  const share = (n) => (total ? n / total : null);
  const list = ratings.map((r, i) => t("reports.csat.item", { rating: r, n: count(counts[i]) }));
  const label = total
    ? t("reports.chart.csatLabel", { list: list.join(t("reports.listSep")) })
    : t("reports.chart.csatEmpty");
  const grid = axis.map((v) =>
    svg(
      "g",
      { class: "rc-tick" },
      svg("line", { x1: box.left, x2: width - box.right, y1: y(v), y2: y(v), class: "rc-grid" }),
      svg("text", { x: box.left - 8, y: y(v) + 4, "text-anchor": "end", class: "rc-axis" }, count(v)),
    ),
  );
  const bars = ratings.map((r, i) => {
    const x = round(box.left + i * slot + slot * 0.2);
    const barW = round(slot * 0.6);
    const tip = t("reports.csat.tip", { rating: r, n: count(counts[i]), share: percent(share(counts[i])) });
    const middle = round(x + barW / 2);
    const top = y(counts[i]);
    return svg(
      "g",
      {},
      svg(
        "rect",
        { x, y: top, width: barW, height: round(y(0) - top), rx: 3, class: `rc-bar csat-${r}` },
        tooltip(tip),
      ),
      svg("text", { x: middle, y: top - 5, "text-anchor": "middle", class: "rc-value" }, count(counts[i])),
      svg("text", { x: middle, y: height - 10, "text-anchor": "middle", class: "rc-axis" }, `${r} ★`),
    );
  });
  return chartCard({
    key: "csat",
    title: t("reports.chart.csat"),
    picture: picture(
      width,
      height,
      label,
      grid,
      bars,
      total ? null : emptyNote(width, height - box.bottom, t("reports.chart.noRatings")),
    ),
    table: dataTable(
      t("reports.chart.csat"),
      [t("reports.col.rating"), t("reports.col.responses"), t("reports.col.share")],
      ratings.map((r, i) => [`${r} ★`, count(counts[i]), percent(share(counts[i]))]),
    ),
  });
}
