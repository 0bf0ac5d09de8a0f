// SLA clocks of a conversation: first response, next response and resolution, each met,
// running (due in …) or overdue (past due and not met, or reported breached by the server).

import { clockTime, duration, h } from "../dom.js";
import { t } from "../i18n.js";

export const SLA_KINDS = ["first_response", "next_response", "resolution"];

const DUE_FIELD = {
  first_response: "first_response_due_at",
  next_response: "next_response_due_at",
  resolution: "resolution_due_at",
};

function isMet(conv, kind) {
  if (kind === "first_response") return !!conv.first_reply_at;
  if (kind === "next_response") return !conv.waiting_since;
  return conv.status === "resolved";
}

/**
 * [{kind, due, state: "met" | "running" | "overdue"}] for the clocks that have a target.
 * `breached`: kind -> due time (ms) the server reported breached (sla.breached) since the
 * thread was opened; it counts only for that same due time (a new clock starts afresh).
 */
function slaClocks(conv, breached = new Map(), now = Date.now()) {
  const clocks = [];
  for (const kind of SLA_KINDS) {
    const due = conv[DUE_FIELD[kind]];
    if (!due) continue;
    let state = "running";
    if (isMet(conv, kind)) state = "met";
    else if (breached.get(kind) === new Date(due).getTime() || new Date(due).getTime() <= now) {
      state = "overdue";
    }
    clocks.push({ kind, due, state });
  }
  return clocks;
}

function clockText(clock, now) {
  const seconds = Math.abs(new Date(clock.due).getTime() - now) / 1000;
  if (clock.state === "met") return t("sla.met");
  if (clock.state === "overdue") return t("sla.overdueBy", { time: duration(seconds) });
  return t("sla.dueIn", { time: duration(seconds) });
}

/** The header badge: "Overdue" if any clock is, else the nearest running clock; null if none. */
export function slaBadge(conv, breached) {
  const now = Date.now();
  const clocks = slaClocks(conv, breached, now);
  const overdue = clocks.filter((c) => c.state === "overdue");
  const running = clocks
    .filter((c) => c.state === "running")
    .sort((a, b) => new Date(a.due) - new Date(b.due));
  const shown = overdue[0] || running[0];
  if (!shown) return null;
  const text = `${t(`sla.short.${shown.kind}`)}: ${clockText(shown, now)}`;
  return h("span", {
    class: `pill sla-badge sla-${shown.state}`,
    "data-sla": shown.state,
    title: t(`sla.${shown.kind}`),
    text: overdue.length ? `${t("sla.overdue")} · ${text}` : text,
  });
}

/** The sidebar's list: one line per clock with its due time and state. */
export function slaList(conv, breached) {
  const now = Date.now();
  const clocks = slaClocks(conv, breached, now);
  if (!clocks.length) return null;
  return h(
    "section",
    { class: "sla", "aria-labelledby": "sla-title" },
    h("h3", { id: "sla-title", text: t("sla.title") }),
    h(
      "ul",
      { class: "sla-list" },
      clocks.map((clock) =>
        h(
          "li",
          { class: `sla-item sla-${clock.state}`, "data-kind": clock.kind, "data-sla": clock.state },
          h("span", { class: "sla-kind", text: t(`sla.${clock.kind}`) }),
          h("time", { datetime: clock.due, text: clockTime(clock.due) }),
          h("span", { class: "sla-state", text: clockText(clock, now) }),
        ),
      ),
    ),
  );
}
