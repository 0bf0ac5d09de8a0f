// Supervisors and admins: staffing advice for next week. The parameters (target, answer time,
// weeks of history, chats per agent, handling time, inbox/team), the recommended agents per
// hour as a colour-scaled 7×24 table (with every hour also as a plain table), the peak summary,
// and an editable roster that the server evaluates (expected service level and wait per hour).

import { request } from "../api.js";
import { duration, guard, h, labelled, mount } from "../dom.js";
import { t } from "../i18n.js";

const HOURS = Array.from({ length: 24 }, (_, hour) => hour);
const STEPS = 6; // colour steps of the grid (staffing.css: .heat-0 … .heat-5)

function staffingStyles() {
  if (document.querySelector("link[data-css=staffing]")) return;
  document.head.append(
    h("link", { rel: "stylesheet", href: "/static/console/staffing.css", "data-css": "staffing" }),
  );
}

function timeZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

const staffingApi = {
  advice: (params) => request("GET", `/api/v1/reports/staffing?${new URLSearchParams(params)}`),
  evaluate: (params, roster) =>
    request("POST", "/api/v1/reports/staffing/evaluate", { ...params, roster }),
};

const hourLabel = (hour) => `${String(hour).padStart(2, "0")}:00`;
const dayName = (weekday) => t(`staffing.weekday${weekday}`);
const percent = (value) =>
  value === null || value === undefined ? "–" : `${(Number(value) * 100).toFixed(1)}%`;
const waitText = (seconds) => (seconds === null ? t("staffing.unbounded") : duration(seconds));
const arrivalsText = (value) => Number(value).toFixed(1);
const dot = () => h("span", { "aria-hidden": "true", text: "·" });

/** The query/body parameters from the form (empty optional fields left out). */
function readParams(form) {
  const value = (name) => form.elements[name].value.trim();
  const params = {
    tz: timeZone(),
    weeks: value("weeks") || "4",
    target: String((Number(value("target")) || 80) / 100),
    answer_within_s: value("within") || "60",
  };
  if (value("capacity")) params.capacity = value("capacity");
  if (value("aht")) params.aht_s = String(Math.round(Number(value("aht")) * 60));
  if (value("inbox")) params.inbox_id = value("inbox");
  if (value("team")) params.team_id = value("team");
  return params;
}

/** The JSON body of the evaluate call: numbers, not the strings of a query. */
function bodyParams(params) {
  const body = {};
  for (const [key, value] of Object.entries(params)) {
    body[key] = key === "tz" ? value : Number(value);
  }
  return body;
}

function numberInput(name, attrs) {
  return h("input", { type: "number", name, inputmode: "numeric", ...attrs });
}

function parameterForm(ctx, onSubmit) {
  const teams = ctx.me.role === "admin"
    ? ctx.teams
    : ctx.teams.filter((team) => (team.member_ids || []).includes(ctx.me.id));
  const select = (name, items) =>
    h(
      "select",
      { name },
      h("option", { value: "", text: t("staffing.all") }),
      items.map((item) => h("option", { value: String(item.id), text: item.name })),
    );
  const capacity = numberInput("capacity", { min: 1, max: 100, placeholder: t("staffing.capacityAuto") });
  const form = h(
    "form",
    { class: "card staffing-form", "aria-label": t("staffing.params") },
    h(
      "div",
      { class: "staffing-fields" },
      labelled(t("staffing.target"), numberInput("target", { min: 1, max: 99, value: "80", required: true })),
      labelled(t("staffing.within"), numberInput("within", { min: 0, max: 3600, value: "60", required: true })),
      labelled(t("staffing.weeks"), numberInput("weeks", { min: 1, max: 26, value: "4", required: true })),
      labelled(t("staffing.capacity"), capacity),
      labelled(
        t("staffing.aht"),
        numberInput("aht", { min: 0.1, max: 1440, step: "0.1", placeholder: t("staffing.capacityAuto") }),
        t("staffing.ahtHint"),
      ),
      labelled(t("staffing.inbox"), select("inbox", ctx.inboxes)),
      labelled(t("staffing.team"), select("team", teams)),
    ),
    h("button", { type: "submit", class: "btn btn-primary", text: t("staffing.show") }),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    onSubmit(readParams(form));
  });
  return form;
}

// --- the advice --------------------------------------------------------------------------------

function basisLines(data) {
  const lines = [
    t("staffing.basis", {
      start: data.week.start,
      end: data.week.end,
      tz: data.tz,
      weeks: data.history.weeks,
      from: data.history.start,
      to: data.history.end,
      conversations: data.history.conversations,
    }),
  ];
  if (data.history.days_used && data.history.days_used < data.history.weeks * 7) {
    lines.push(t("staffing.basisShort", { days: data.history.days_used }));
  }
  const handling = data.handling;
  if (handling.source === "override") {
    lines.push(
      t("staffing.handlingOverride", {
        time: duration(handling.used_s),
        measured: handling.measured_s === null ? "–" : duration(handling.measured_s),
      }),
    );
  } else if (handling.used_s !== null) {
    lines.push(t("staffing.handling", { time: duration(handling.used_s), n: handling.conversations }));
  }
  const cap = data.capacity;
  lines.push(
    t(`staffing.capacityLine.${cap.source}`, {
      n: cap.used,
      agents: cap.agents,
      avg: cap.average === null ? "–" : Number(cap.average).toFixed(1),
    }),
  );
  return h("div", { class: "staffing-basis" }, lines.map((line) => h("p", { class: "muted", text: line })));
}

function heatClass(value, max) {
  if (!value || !max) return "heat-0";
  return `heat-${Math.max(1, Math.ceil((value / max) * (STEPS - 1)))}`;
}

/** A 7×24 table: a row per day (date and weekday), a column per hour. */
function weekTable(caption, days, cell, extraClass = "") {
  return h(
    "div",
    { class: "staffing-scroll" },
    h(
      "table",
      { class: `staffing-grid ${extraClass}` },
      h("caption", { class: "sr-only", text: caption }),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", { scope: "col", text: t("staffing.day") }),
          HOURS.map((hour) => h("th", { scope: "col", "aria-label": hourLabel(hour), text: String(hour) })),
        ),
      ),
      h(
        "tbody",
        {},
        days.map((day, index) =>
          h(
            "tr",
            {},
            h(
              "th",
              { scope: "row" },
              h("span", { class: "staffing-day", text: dayName(day.weekday ?? index) }),
              day.date ? h("span", { class: "staffing-date", text: day.date.slice(5) }) : null,
            ),
            HOURS.map((hour) => cell(day, index, hour)),
          ),
        ),
      ),
    ),
  );
}

function recommendationGrid(data, params) {
  const days = data.recommendation.days;
  const max = Math.max(0, ...days.flatMap((day) => day.hours.map((hour) => hour.agents)));
  const within = params.answer_within_s;
  return weekTable(t("staffing.gridCaption"), days, (day, index, hour) => {
    const plan = day.hours[hour];
    return h(
      "td",
      {
        class: `staffing-cell ${heatClass(plan.agents, max)}`,
        "data-day": index,
        "data-hour": hour,
        title: t("staffing.cellTitle", {
          day: `${dayName(day.weekday)} ${day.date}`,
          hour: hourLabel(hour),
          arrivals: arrivalsText(plan.arrivals),
          agents: plan.agents,
          level: percent(plan.service_level),
          within,
        }),
      },
      // A dot keeps the quiet hours quiet on screen; a screen reader hears the zero.
      plan.agents ? String(plan.agents) : [dot(), h("span", { class: "sr-only", text: "0" })],
    );
  });
}

/** Every hour with conversations as rows: what a screen reader or a spreadsheet wants. */
function hourTable(data) {
  const rows = [];
  for (const day of data.recommendation.days) {
    for (const plan of day.hours) {
      if (!plan.arrivals) continue;
      rows.push(
        h(
          "tr",
          {},
          h("th", { scope: "row", text: `${day.date} ${dayName(day.weekday)} ${hourLabel(plan.hour)}` }),
          h("td", { text: arrivalsText(plan.arrivals) }),
          h("td", { text: String(plan.agents) }),
          h("td", { text: percent(plan.service_level) }),
          h("td", { text: waitText(plan.average_wait_s) }),
          h("td", { text: percent(plan.occupancy) }),
        ),
      );
    }
  }
  const heads = ["hour", "arrivals", "agents", "level", "wait", "occupancy"];
  return h(
    "details",
    { class: "staffing-details" },
    h("summary", { text: t("staffing.asTable") }),
    rows.length
      ? h(
          "div",
          { class: "card table-card" },
          h(
            "table",
            { class: "table staffing-hours" },
            h("caption", { class: "sr-only", text: t("staffing.asTable") }),
            h("thead", {}, h("tr", {}, heads.map((key) => h("th", { scope: "col", text: t(`staffing.${key}`) })))),
            h("tbody", {}, rows),
          ),
        )
      : h("p", { class: "muted", text: t("staffing.noHours") }),
  );
}

// --- the roster --------------------------------------------------------------------------------

function rosterEditor(data, params) {
  const days = data.recommendation.days;
  const advice = () => days.map((day) => day.hours.map((plan) => plan.agents));
  const inputs = days.map(() => []);
  const grid = weekTable(
    t("staffing.rosterCaption"),
    days,
    (day, index, hour) => {
      const input = h("input", {
        type: "number",
        min: 0,
        max: 1000,
        inputmode: "numeric",
        class: "staffing-input",
        "data-day": index,
        "data-hour": hour,
        "aria-label": t("staffing.rosterCell", { day: `${dayName(day.weekday)} ${day.date}`, hour: hourLabel(hour) }),
        value: String(day.hours[hour].agents),
        // An hour changed from the advice stands out (the value itself says by how much).
        oninput: () => input.classList.toggle("is-edited", Number(input.value) !== day.hours[hour].agents),
      });
      inputs[index][hour] = input;
      return h("td", {}, input);
    },
    "staffing-roster",
  );
  const result = h("div", { class: "staffing-result", "aria-live": "polite" });
  const roster = () => inputs.map((row) => row.map((input) => Math.max(0, Math.round(Number(input.value) || 0))));
  const evaluate = async () => {
    const answer = await guard(staffingApi.evaluate(bodyParams(params), roster()));
    if (answer) mount(result, evaluation(answer, days, params));
  };
  const reset = () => {
    advice().forEach((row, d) =>
      row.forEach((agents, hour) => {
        inputs[d][hour].value = String(agents);
        inputs[d][hour].classList.remove("is-edited");
      }),
    );
    mount(result);
  };
  return h(
    "section",
    { class: "staffing-section", "aria-labelledby": "staffing-roster-title" },
    h("h2", { id: "staffing-roster-title", text: t("staffing.roster") }),
    h("p", { class: "hint", text: t("staffing.rosterIntro") }),
    grid,
    h(
      "div",
      { class: "staffing-actions" },
      h("button", { type: "button", class: "btn btn-primary", text: t("staffing.evaluate"), onclick: evaluate }),
      h("button", { type: "button", class: "btn", text: t("staffing.reset"), onclick: reset }),
    ),
    result,
  );
}

function evaluation(answer, days, params) {
  const target = Number(params.target);
  const within = params.answer_within_s;
  let line;
  if (answer.service_level === null) line = t("staffing.resultNone");
  else if (answer.overloaded_hours) {
    line = t("staffing.resultUnbounded", {
      level: percent(answer.service_level),
      within,
      n: answer.overloaded_hours,
    });
  } else {
    line = t("staffing.resultLine", {
      level: percent(answer.service_level),
      within,
      wait: waitText(answer.average_wait_s),
    });
  }
  const verdict = answer.below_target
    ? t("staffing.belowTarget", { n: answer.below_target, target: percent(target) })
    : t("staffing.allMeet", { target: percent(target) });
  const grid = weekTable(
    t("staffing.resultCaption"),
    days,
    (day, index, hour) => {
      const plan = answer.days[index].hours[hour];
      if (!plan.arrivals) return h("td", { class: "staffing-cell heat-0" }, dot());
      const below = plan.below_target;
      return h(
        "td",
        {
          class: `staffing-cell ${below ? "is-below" : "is-met"}`,
          "data-day": index,
          "data-hour": hour,
          title: t("staffing.resultTitle", {
            day: `${dayName(day.weekday)} ${day.date}`,
            hour: hourLabel(hour),
            agents: plan.agents,
            level: percent(plan.service_level),
            wait: waitText(plan.average_wait_s),
          }),
        },
        // Text, not only colour, says which hours miss the target.
        h("span", { text: `${Math.round(plan.service_level * 100)}` }),
        below ? h("span", { class: "sr-only", text: ` ${t(plan.overloaded ? "staffing.overloaded" : "staffing.belowMark")}` }) : null,
        below ? h("span", { class: "staffing-flag", "aria-hidden": "true", text: "!" }) : null,
      );
    },
    "staffing-evaluation",
  );
  return h(
    "div",
    { class: "staffing-result-body" },
    h("h3", { text: t("staffing.result") }),
    h("p", { class: "staffing-overall", text: line }),
    h("p", { class: answer.below_target ? "staffing-verdict is-below" : "staffing-verdict", text: verdict }),
    grid,
  );
}

// --- the page ----------------------------------------------------------------------------------

function adviceView(data, params) {
  const parts = [basisLines(data)];
  if (!data.history.conversations) parts.push(h("p", { class: "hint", text: t("staffing.noArrivals") }));
  if (!data.recommendation) {
    parts.push(h("p", { class: "staffing-warning", role: "note", text: t("staffing.noHandling") }));
    return parts;
  }
  const rec = data.recommendation;
  parts.push(
    h(
      "section",
      { class: "card staffing-summary", "aria-labelledby": "staffing-summary-title" },
      h("h2", { id: "staffing-summary-title", text: t("staffing.summary") }),
      h("ul", {}, rec.summary.map((line) => h("li", { text: line }))),
    ),
    h(
      "section",
      { class: "staffing-section", "aria-labelledby": "staffing-grid-title" },
      h("h2", { id: "staffing-grid-title", text: t("staffing.recommended") }),
      recommendationGrid(data, params),
      h(
        "p",
        { class: "staffing-legend hint", "aria-hidden": "true" },
        h("span", { text: t("staffing.scale") }),
        Array.from({ length: STEPS }, (_, step) => h("span", { class: `staffing-swatch heat-${step}` })),
      ),
      hourTable(data),
    ),
    rosterEditor(data, params),
  );
  return parts;
}

export async function renderStaffing(container, ctx) {
  staffingStyles();
  const results = h("div", { class: "staffing-results", "aria-live": "polite" });
  const show = async (params) => {
    mount(results, h("p", { class: "muted", text: t("staffing.loading") }));
    const data = await guard(staffingApi.advice(params));
    if (!data) {
      mount(results);
      return;
    }
    // What "automatic" stands for in this scope.
    const auto = t("staffing.capacityAuto");
    form.elements.capacity.placeholder = `${auto} (${data.capacity.used})`;
    const measured = data.handling.measured_s;
    form.elements.aht.placeholder = measured ? `${auto} (${(measured / 60).toFixed(1)})` : auto;
    mount(results, adviceView(data, params));
  };
  const form = parameterForm(ctx, show);
  mount(
    container,
    h("h1", { text: t("staffing.title") }),
    h("p", { class: "page-intro hint", text: t("staffing.intro") }),
    form,
    results,
    h("p", { class: "hint", text: t("staffing.help") }),
  );
  await show(readParams(form));
}
