// The agents board (supervisors and admins): everyone's presence, load / capacity and skills,
// live from the roster. Leads set another agent's presence and edit capacity and skills inline.

import { api } from "../api.js";
import { guard, h, labelled, mount, toast } from "../dom.js";
import { t } from "../i18n.js";
import { whileMounted } from "../live.js";
import { formActions, formError, joinList, numberOrNull, splitList, submitTo } from "./forms.js";
import { loadLabel, loadText, presenceDot, presenceSelect } from "./presence.js";

export function agentsBoard(ctx) {
  const body = h("tbody");
  const editors = new Map(); // user_id -> the open inline editor (kept across live redraws)
  const el = h(
    "section",
    { class: "card table-card board", "aria-labelledby": "board-title" },
    h("h2", { id: "board-title", class: "card-head", text: t("board.title") }),
    h(
      "table",
      { class: "table" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ["admin.name", "board.presence", "board.load", "board.skills", "admin.actions"].map((k) =>
            h("th", { scope: "col", text: t(k) }),
          ),
        ),
      ),
      body,
    ),
  );

  const render = () => {
    const focusKey = document.activeElement?.dataset?.focusKey;
    const agents = ctx.roster
      .list()
      .sort((a, b) => a.name.localeCompare(b.name) || a.user_id - b.user_id);
    mount(
      body,
      agents.map((agent) => [row(agent), editors.get(agent.user_id) || null]),
    );
    if (focusKey) body.querySelector(`[data-focus-key="${CSS.escape(focusKey)}"]`)?.focus();
  };

  const row = (agent) => {
    const presence = presenceSelect(agent.presence, {
      "aria-label": t("board.presenceFor", { name: agent.name }),
      "data-focus-key": `presence-${agent.user_id}`,
      onchange: async () => {
        const status = await guard(api.setPresence(agent.user_id, presence.value));
        if (status) ctx.roster.put(status);
        else render();
      },
    });
    const editing = editors.has(agent.user_id);
    const edit = h("button", {
      type: "button",
      class: "btn btn-ghost",
      "aria-expanded": String(editing),
      "aria-label": t("board.editNamed", { name: agent.name }),
      "data-focus-key": `edit-${agent.user_id}`,
      text: t("admin.edit"),
      onclick: () => {
        if (editors.has(agent.user_id)) editors.delete(agent.user_id);
        else editors.set(agent.user_id, editor(agent));
        render();
        editors.get(agent.user_id)?.querySelector("input")?.focus();
      },
    });
    const label = loadLabel(agent);
    return h(
      "tr",
      { "data-user-id": String(agent.user_id), "data-presence": agent.presence },
      h(
        "td",
        {},
        h("span", { class: "board-name", text: agent.name }),
        h("span", { class: "muted board-role", text: t(`role.${agent.role}`) }),
      ),
      h("td", {}, h("span", { class: "presence-cell" }, presenceDot(agent.presence), presence)),
      h("td", { class: "board-load", "aria-label": label || null, text: loadText(agent) || "—" }),
      h(
        "td",
        {},
        agent.skills.length
          ? h(
              "ul",
              { class: "chips" },
              agent.skills.map((skill) => h("li", { class: "chip", text: skill })),
            )
          : h("span", { class: "muted", text: "—" }),
      ),
      h("td", {}, edit),
    );
  };

  const editor = (agent) => {
    const capacity = h("input", {
      type: "number",
      name: "max_conversations",
      min: "0",
      max: "100",
      inputmode: "numeric",
      placeholder: t("board.inboxDefault"),
      value: agent.max_conversations === null ? "" : String(agent.max_conversations),
    });
    const skills = h("input", { name: "skills", value: joinList(agent.skills), maxlength: "1000" });
    const error = formError();
    const close = () => {
      editors.delete(agent.user_id);
      render();
      body.querySelector(`[data-focus-key="edit-${agent.user_id}"]`)?.focus();
    };
    const onsubmit = async (event) => {
      event.preventDefault();
      const status = await submitTo(
        error,
        api.setAgentRouting(agent.user_id, {
          max_conversations: numberOrNull(capacity),
          skills: splitList(skills.value),
        }),
      );
      if (!status) return;
      toast(t("admin.saved"), "ok");
      editors.delete(agent.user_id);
      ctx.roster.put(status); // redraws the board without the editor
      body.querySelector(`[data-focus-key="edit-${agent.user_id}"]`)?.focus();
    };
    return h(
      "tr",
      { class: "board-editor", "data-editor-for": String(agent.user_id) },
      h(
        "td",
        { colspan: "5" },
        h(
          "form",
          { class: "inline-form", onsubmit, "aria-label": t("board.editNamed", { name: agent.name }) },
          labelled(t("board.capacity"), capacity, t("board.capacityHint")),
          labelled(t("board.skills"), skills, t("form.commaHint")),
          formActions({ editing: true, onCancel: close, error }),
        ),
      ),
    );
  };

  whileMounted(el, ctx.roster.changed, render);
  render();
  ctx.roster.load();
  return el;
}
