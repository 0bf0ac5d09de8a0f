// Presence: the signed-in agent's own status switch (online / busy / away / offline) with their
// load and capacity ("2 / 5"), and the small shared pieces other views use to show presence.

import { api } from "../api.js";
import { guard, h } from "../dom.js";
import { t } from "../i18n.js";
import { PRESENCES, whileMounted } from "../live.js";

export function presenceDot(presence) {
  return h("span", { class: `presence-dot presence-${presence || "offline"}`, "aria-hidden": "true" });
}

/** "2 / 5"; "2 / –" when the capacity is the inbox default; "" when not shown to us. */
export function loadText(agent) {
  if (!agent || agent.load === null || agent.load === undefined) return "";
  const cap = agent.max_conversations === null ? "–" : String(agent.max_conversations);
  return `${agent.load} / ${cap}`;
}

export function loadLabel(agent) {
  if (!agent || agent.load === null || agent.load === undefined) return "";
  return agent.max_conversations === null
    ? t("presence.loadDefault", { n: agent.load })
    : t("presence.loadOf", { n: agent.load, max: agent.max_conversations });
}

/** A <select> of the four presences. */
export function presenceSelect(value, attrs = {}) {
  return h(
    "select",
    attrs,
    PRESENCES.map((p) => h("option", { value: p, selected: p === value }, t(`presence.${p}`))),
  );
}

/** The header switch. Stays in step with `agent.updated` for ourselves (another tab, a lead,
 * or the server taking us offline) through the roster. */
export function presenceSwitch(ctx) {
  const mine = () => ctx.roster.get(ctx.me.id);
  const dot = presenceDot("offline");
  const select = presenceSelect("offline", {
    id: "presence-select",
    class: "presence-select",
    onchange: async () => {
      const wanted = select.value;
      const status = await guard(api.setPresence(ctx.me.id, wanted));
      if (status) ctx.roster.put(status);
      else sync(); // refused: show what the server has
    },
  });
  const load = h("span", { class: "my-load" });
  const el = h(
    "div",
    { class: "presence-switch" },
    h("label", { for: "presence-select", class: "sr-only", text: t("presence.mine") }),
    dot,
    select,
    load,
  );
  const sync = () => {
    const agent = mine();
    const presence = agent ? agent.presence : "offline";
    select.value = presence;
    dot.className = `presence-dot presence-${presence}`;
    el.dataset.presence = presence;
    load.textContent = loadText(agent);
    const label = loadLabel(agent);
    if (label) {
      load.setAttribute("aria-label", label);
      load.title = label;
    }
  };
  whileMounted(el, ctx.roster.changed, sync);
  sync();
  return el;
}
