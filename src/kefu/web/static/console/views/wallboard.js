// The live wallboard: big figures readable across the room (waiting, longest wait, open,
// agents online, SLA breaches today), a table per inbox and one per agent with presence and a
// load meter. Refetched (coalesced) on the socket frames that can change a figure, every 30 s
// as a safety net, and the longest-wait clocks tick every second in between. "Full screen"
// puts the board alone on a TV (Fullscreen API).

import { request } from "../api.js";
import { guard, h, mount, stopwatch } from "../dom.js";
import { t } from "../i18n.js";
import { coalesce, PRESENCES } from "../live.js";
import { presenceDot } from "./presence.js";

const PATH = "/api/v1/reports/wallboard";
// At most one refetch a second however busy the centre (a TV needs no more, and each board
// costs a few indexed queries).
const REFRESH_MS = 1000;
const SAFETY_MS = 30_000;
const REFRESH_ON = [
  "queue.updated",
  "conversation.created",
  "conversation.updated",
  "conversation.removed",
  "agent.updated",
  "sla.breached",
  "inbox.changed",
  "team.changed",
  "resync",
];

export function wallboardStyles() {
  if (document.querySelector("link[data-css=wallboard]")) return;
  document.head.append(
    h("link", { rel: "stylesheet", href: "/static/console/wallboard.css", "data-css": "wallboard" }),
  );
}

function browserTimezone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

export async function renderWallboard(container, ctx) {
  wallboardStyles();
  const board = new Wallboard(container, ctx);
  await board.start();
}

class Wallboard {
  constructor(container, ctx) {
    this.container = container;
    this.ctx = ctx;
    this.tz = browserTimezone();
    this.data = null;
    this.fetchedAt = 0;
    this.refresh = coalesce(() => this.load({ quiet: true }), REFRESH_MS);
    this.updated = h("p", { class: "wb-updated muted", "aria-live": "off" });
    this.tiles = h("ul", { class: "wb-tiles", "aria-label": t("wall.figures") });
    this.inboxes = h("div", { class: "wb-section" });
    this.agents = h("div", { class: "wb-section" });
    this.fullButton = h("button", {
      type: "button",
      class: "btn wb-full",
      "aria-pressed": "false",
      text: t("wall.fullscreen"),
      hidden: !document.fullscreenEnabled,
      onclick: () => this.toggleFullscreen(),
    });
  }

  async start() {
    this.container.classList.add("wallboard");
    mount(
      this.container,
      h(
        "div",
        { class: "page-head" },
        h("h1", { id: "wall-title", text: t("wall.title") }),
        h("div", { class: "wb-head-side" }, this.updated, this.fullButton),
      ),
      this.tiles,
      h("div", { class: "wb-tables" }, this.inboxes, this.agents),
    );
    const offFrames = this.ctx.bus.on((frame) => {
      if (REFRESH_ON.includes(frame.type)) this.refresh();
    });
    const ticker = setInterval(() => this.tick(), 1000);
    const safety = setInterval(() => this.refresh(), SAFETY_MS);
    const onFullscreen = () => this.fullscreenChanged();
    document.addEventListener("fullscreenchange", onFullscreen);
    this.ctx.onLeave(() => {
      offFrames();
      clearInterval(ticker);
      clearInterval(safety);
      this.refresh.cancel();
      document.removeEventListener("fullscreenchange", onFullscreen);
      if (document.fullscreenElement === this.container) document.exitFullscreen().catch(() => {});
    });
    await this.load();
  }

  /** `quiet`: a background refresh; a failure leaves the last figures (and their time) up
   * rather than stacking error toasts on a TV nobody is at; the next frame or the 30 s timer
   * tries again. */
  async load({ quiet = false } = {}) {
    const fetching = request("GET", `${PATH}?tz=${encodeURIComponent(this.tz)}`);
    const data = quiet ? await fetching.catch(() => null) : await guard(fetching);
    if (!data || !this.container.isConnected) return;
    this.data = data;
    this.fetchedAt = Date.now();
    this.render();
  }

  /** When the wait began, on the local clock: the server's figure keeps skew out of it. */
  since(seconds) {
    return seconds === null ? "" : String(this.fetchedAt - seconds * 1000);
  }

  render() {
    const d = this.data;
    const time = new Date(this.fetchedAt).toLocaleTimeString(document.documentElement.lang || undefined);
    this.updated.textContent = t("wall.updated", { time });
    mount(
      this.tiles,
      tile("waiting", t("wall.waiting"), String(d.waiting), null, d.waiting > 0 ? "is-hot" : ""),
      tile(
        "longest-wait",
        t("wall.longestWait"),
        h("span", { class: "wb-clock", "data-since": this.since(d.longest_wait_s) }),
        null,
      ),
      tile("open", t("wall.open"), String(d.open), t("wall.unassigned", { n: d.unassigned_open })),
      tile(
        "online",
        t("wall.online"),
        String(d.agents.online),
        t("wall.onlineDetail", { available: d.agents.available, full: d.agents.at_capacity }),
      ),
      tile(
        "other-presence",
        t("wall.otherPresence"),
        h(
          "dl",
          { class: "wb-split" },
          ["busy", "away", "offline"].map((p) =>
            h(
              "div",
              { "data-presence": p },
              h("dt", {}, presenceDot(p), t(`presence.${p}`)),
              h("dd", { text: String(d.agents[p]) }),
            ),
          ),
        ),
      ),
      tile(
        "breaches",
        t("wall.breaches"),
        String(d.sla_breaches_today),
        null,
        d.sla_breaches_today > 0 ? "is-bad" : "",
      ),
    );
    mount(this.inboxes, this.inboxTable(d.inboxes));
    mount(this.agents, this.agentTable(d.agent_list));
    this.tick();
  }

  inboxTable(rows) {
    if (!rows.length) return h("p", { class: "muted", text: t("wall.noInboxes") });
    const heads = [
      "wall.inbox",
      "wall.waiting",
      "wall.longestWait",
      "wall.open",
      "wall.agentsOnline",
      "wall.breaches",
    ];
    return h(
      "section",
      { class: "card table-card", "aria-labelledby": "wall-inboxes" },
      h("h2", { id: "wall-inboxes", class: "card-head", text: t("wall.inboxes") }),
      h(
        "table",
        { class: "table wb-table" },
        h("thead", {}, h("tr", {}, heads.map((k) => h("th", { scope: "col", text: t(k) })))),
        h(
          "tbody",
          {},
          rows.map((row) =>
            h(
              "tr",
              { "data-inbox-id": String(row.inbox_id), class: row.waiting ? "has-waiting" : "" },
              h("th", { scope: "row", text: row.name }),
              h("td", { class: "num wb-inbox-waiting", text: String(row.waiting) }),
              h(
                "td",
                { class: "num" },
                h("span", { class: "wb-clock", "data-since": this.since(row.longest_wait_s) }),
              ),
              h(
                "td",
                { class: "num" },
                String(row.open),
                h("span", { class: "muted wb-sub", text: ` (${t("wall.unassigned", { n: row.unassigned_open })})` }),
              ),
              h("td", { class: "num", text: String(row.agents_online) }),
              h("td", { class: "num", text: String(row.sla_breaches_today) }),
            ),
          ),
        ),
      ),
    );
  }

  agentTable(agents) {
    if (!agents.length) return h("p", { class: "muted", text: t("wall.noAgents") });
    const order = (a) => PRESENCES.indexOf(a.presence);
    const sorted = [...agents].sort((a, b) => order(a) - order(b) || a.name.localeCompare(b.name));
    return h(
      "section",
      { class: "card table-card", "aria-labelledby": "wall-agents" },
      h("h2", { id: "wall-agents", class: "card-head", text: t("wall.agents") }),
      h(
        "table",
        { class: "table wb-table" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ["wall.agent", "wall.presence", "wall.load"].map((k) => h("th", { scope: "col", text: t(k) })),
          ),
        ),
        h(
          "tbody",
          {},
          sorted.map((agent) =>
            h(
              "tr",
              { "data-user-id": String(agent.user_id), "data-presence": agent.presence },
              h("th", { scope: "row", text: agent.name }),
              h(
                "td",
                {},
                h("span", { class: "presence-cell" }, presenceDot(agent.presence), t(`presence.${agent.presence}`)),
              ),
              h("td", { class: "wb-load" }, loadMeter(agent)),
            ),
          ),
        ),
      ),
    );
  }

  tick() {
    const now = Date.now();
    for (const el of this.container.querySelectorAll(".wb-clock")) {
      const since = el.dataset.since;
      el.textContent = since ? stopwatch((now - Number(since)) / 1000) : t("wall.noWait");
    }
  }

  toggleFullscreen() {
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
    else this.container.requestFullscreen().catch(() => {});
  }

  fullscreenChanged() {
    const on = document.fullscreenElement === this.container;
    this.fullButton.textContent = on ? t("wall.exitFullscreen") : t("wall.fullscreen");
    this.fullButton.setAttribute("aria-pressed", String(on));
  }
}

/** One big figure, its label first (read in that order by screen readers). */
function tile(key, title, value, sub = null, tone = "") {
  return h(
    "li",
    { class: `wb-tile ${tone}`.trim(), "data-figure": key },
    h("span", { class: "wb-label", text: title }),
    h("div", { class: "wb-value" }, value),
    sub ? h("span", { class: "wb-sub", text: sub }) : null,
  );
}

/** A <meter> of load against capacity ("2 / 5"), or a dash when it is not ours to see. */
function loadMeter(agent) {
  if (agent.load === null || agent.capacity === null) return h("span", { class: "muted", text: "–" });
  const max = Math.max(agent.capacity, 1);
  return h(
    "span",
    { class: `wb-meter${agent.at_capacity ? " is-full" : ""}` },
    h("meter", {
      min: "0",
      max: String(max),
      low: String(max * 0.6),
      high: String(max * 0.999),
      optimum: "0",
      value: String(Math.min(agent.load, max)),
      "aria-label": t("wall.loadOf", { n: agent.load, max: agent.capacity }),
    }),
    h("span", { class: "wb-load-text", text: `${agent.load} / ${agent.capacity}` }),
    agent.at_capacity ? h("span", { class: "sr-only", text: t("wall.atCapacity") }) : null,
  );
}
