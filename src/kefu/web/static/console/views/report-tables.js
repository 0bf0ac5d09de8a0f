// Breakdown tables (per agent, channel, inbox, team or tag), sortable by clicking a column
// heading: the heading is a button and its <th> carries aria-sort, so the order is announced.
// Rows without a value (null) sort last in both directions.

import { h, mount } from "../dom.js";
import { t } from "../i18n.js";
import { channelLabel } from "./report-filters.js";
import { count, decimal, humanDuration, percent, score } from "./report-format.js";

const COLUMNS = [
  ["created", count],
  ["resolved", count],
  ["first_response_median_s", humanDuration],
  ["first_response_p90_s", humanDuration],
  ["resolution_median_s", humanDuration],
  ["handling_average_s", humanDuration],
  ["fcr_rate", percent],
  ["csat_average", decimal],
  ["satisfied_rate", percent],
  ["nps_score", score],
];

/** A row's name: the channel's in the UI language, else the API's label, "(none)" for no key. */
export function rowLabel(by, row) {
  if (by === "channel" && row.key) return channelLabel(row.key);
  if (row.label) return String(row.label);
  return row.key === null || row.key === undefined ? t("reports.noValue") : String(row.key);
}

const blank = (value) => value === null || value === undefined || Number.isNaN(Number(value));

function compare(key, by, dir) {
  if (key === "label") {
    // "(none)" (no agent, no tag…) stays last, like a blank figure.
    const none = (row) => row.key === null || row.key === undefined;
    return (a, b) => none(a) - none(b) || dir * rowLabel(by, a).localeCompare(rowLabel(by, b));
  }
  return (a, b) => {
    if (blank(a[key]) || blank(b[key])) return blank(a[key]) - blank(b[key]);
    return dir * (Number(a[key]) - Number(b[key]));
  };
}

/** A sortable table of breakdown `rows` (`by`: agent, channel, inbox, team, tag). */
export function breakdownTable({ by, rows, title }) {
  const wrap = h("div", { class: "card table-card report-breakdown", "data-by": by });
  let sort = { key: "created", dir: -1 };

  const header = (key, label) => {
    const active = sort.key === key;
    const state = active ? (sort.dir > 0 ? "ascending" : "descending") : null;
    return h(
      "th",
      { scope: "col", "aria-sort": state, "data-col": key },
      h(
        "button",
        {
          type: "button",
          class: "report-sort",
          onclick: () => {
            sort = { key, dir: active ? -sort.dir : key === "label" ? 1 : -1 };
            draw();
            wrap.querySelector(`th[data-col="${key}"] button`).focus();
          },
        },
        label,
        h("span", {
          class: "report-sort-mark",
          "aria-hidden": "true",
          text: active ? (sort.dir > 0 ? "▲" : "▼") : "",
        }),
      ),
    );
  };

  const draw = () => {
    const sorted = [...rows].sort(compare(sort.key, by, sort.dir));
    mount(
      wrap,
      h(
        "table",
        { class: "table report-table" },
        h("caption", { class: "sr-only", text: title }),
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            header("label", t(`reports.by.${by}`)),
            COLUMNS.map(([key]) => header(key, t(`reports.col.${key}`))),
          ),
        ),
        h(
          "tbody",
          {},
          sorted.map((row) =>
            h(
              "tr",
              {},
              h("th", { scope: "row", text: rowLabel(by, row) }),
              COLUMNS.map(([key, format]) =>
                h(
                  "td",
                  { "data-col": key },
                  format(row[key]),
                  key === "csat_average" && row.csat_responses
                    ? h("span", { class: "report-n", text: ` (${count(row.csat_responses)})` })
                    : null,
                ),
              ),
            ),
          ),
        ),
      ),
    );
  };

  if (rows.length) draw();
  else mount(wrap, h("p", { class: "report-table-empty muted", text: t("reports.tableEmpty") }));
  return wrap;
}
