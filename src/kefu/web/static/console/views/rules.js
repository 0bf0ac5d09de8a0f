// Admin: routing rules, in the order they apply (move up / down), each switched on or off,
// edited or deleted (after a confirmation), and the form to create or edit one.

import { api } from "../api.js";
import { guard, h, mount, toast } from "../dom.js";
import { t } from "../i18n.js";
import { checkbox, deleteWithConfirm, submitTo } from "./forms.js";
import { ruleForm } from "./rule-form.js";

export async function renderRules(container, ctx, editingId = null) {
  const [rules, teams] = await Promise.all([guard(api.rules()), guard(api.teams())]);
  if (!rules || !teams) return;
  ctx.teams = teams;
  const editing = rules.find((rule) => rule.id === editingId) || null;
  const again = (id = null) => renderRules(container, ctx, id);
  const move = async (index, delta) => {
    const ids = rules.map((rule) => rule.id);
    const [id] = ids.splice(index, 1);
    ids.splice(index + delta, 0, id);
    if (!(await guard(api.reorderRules(ids)))) return;
    await again(editingId);
    // Keep the keyboard on the same button of the moved rule (or its other button at an end).
    const card = container.querySelector(`.rule-card[data-rule="${id}"]`);
    const button = card?.querySelector(delta < 0 ? "[data-move=up]" : "[data-move=down]");
    (button && !button.disabled ? button : card?.querySelector("[data-move]:not(:disabled)"))?.focus();
  };
  const onSave = async (body, error) => {
    const request = editing ? api.updateRule(editing.id, body) : api.createRule(body);
    const saved = await submitTo(error, request);
    if (!saved) return;
    toast(editing ? t("admin.saved") : t("admin.created"), "ok");
    await again();
  };
  mount(
    container,
    h("h1", { text: t("rules.title") }),
    h("p", { class: "muted page-intro", text: t("rules.intro") }),
    rules.length
      ? h(
          "ol",
          { class: "card-list rule-list", "aria-label": t("rules.title") },
          rules.map((rule, index) => ruleCard(ctx, teams, rule, index, rules.length, { move, again })),
        )
      : h("p", { class: "card form-card muted", text: t("rules.none") }),
    ruleForm(ctx, teams, editing, { onSave, onCancel: () => again() }),
  );
  if (editing) container.querySelector(".rule-form input[name=name]")?.focus();
}

function ruleCard(ctx, teams, rule, index, count, { move, again }) {
  const enabled = checkbox(t("rules.enabled"), rule.enabled, {
    "aria-label": t("rules.enabledNamed", { name: rule.name }),
    onchange: async () => {
      const saved = await guard(api.updateRule(rule.id, { enabled: enabled.input.checked }));
      if (saved) toast(t("admin.saved"), "ok");
      else enabled.input.checked = !enabled.input.checked;
    },
  });
  const [remove, confirmBox] = deleteWithConfirm({
    label: t("rules.deleteNamed", { name: rule.name }),
    text: t("profile.delete"),
    question: t("rules.confirmDelete"),
    yes: t("rules.confirmYes"),
    onConfirm: async () => {
      if ((await guard(api.deleteRule(rule.id))) === undefined) return;
      toast(t("rules.deleted"), "ok");
      await again();
    },
  });
  const moveButton = (direction, delta, disabled) =>
    h("button", {
      type: "button",
      class: "btn btn-ghost btn-small",
      "data-move": direction,
      disabled,
      "aria-label": t(`rules.move.${direction}Named`, { name: rule.name }),
      text: direction === "up" ? "↑" : "↓",
      title: t(`rules.move.${direction}`),
      onclick: () => move(index, delta),
    });
  return h(
    "li",
    { class: "card rule-card" + (rule.enabled ? "" : " is-off"), "data-rule": String(rule.id) },
    h("span", { class: "rule-pos", "aria-hidden": "true", text: String(index + 1) }),
    h(
      "div",
      { class: "grow" },
      h("h2", { class: "card-title", text: rule.name }),
      h("p", { class: "muted rule-when", text: conditionsSummary(ctx, rule.conditions) }),
      h("p", { class: "rule-then", text: actionsSummary(teams, rule.actions) }),
    ),
    h(
      "div",
      { class: "rule-buttons" },
      enabled.el,
      moveButton("up", -1, index === 0),
      moveButton("down", 1, index === count - 1),
      h("button", {
        type: "button",
        class: "btn btn-ghost",
        "aria-label": t("board.editNamed", { name: rule.name }),
        text: t("admin.edit"),
        onclick: () => again(rule.id),
      }),
      remove,
      confirmBox,
    ),
  );
}

function conditionText(ctx, c) {
  switch (c.field) {
    case "keywords":
      return t("rules.sum.keywords", { list: c.keywords.join("、") });
    case "regex":
      return t("rules.sum.regex", { pattern: c.pattern });
    case "business_hours":
      return c.inside ? t("rules.cond.insideHours") : t("rules.cond.outsideHours");
    case "contact_attribute":
      return t("rules.sum.attribute", { name: c.name, value: String(c.equals) });
    case "topic":
      return t("rules.sum.topic", { list: c.topics.join("、") });
    case "inbox": {
      const names = c.inbox_ids.map((id) => ctx.inboxes.find((i) => i.id === id)?.name || `#${id}`);
      return t("rules.sum.inbox", { list: names.join("、") });
    }
    case "channel":
      return t("rules.sum.channel", { list: c.channels.map((ch) => t(`channel.${ch}`)).join("、") });
    default:
      return c.field;
  }
}

function conditionsSummary(ctx, conditions) {
  if (!conditions.items.length) return t("rules.sum.always");
  const joiner = conditions.match === "any" ? t("rules.sum.or") : t("rules.sum.and");
  return t("rules.sum.when", { list: conditions.items.map((c) => conditionText(ctx, c)).join(joiner) });
}

function actionsSummary(teams, actions) {
  const parts = [];
  if (actions.team_id) {
    const team = teams.find((tm) => tm.id === actions.team_id);
    parts.push(t("rules.sum.team", { team: team ? team.name : `#${actions.team_id}` }));
  }
  if (actions.tags.length) parts.push(t("rules.sum.tags", { list: actions.tags.join(", ") }));
  if (actions.priority) {
    parts.push(t("rules.sum.priority", { priority: t(`priority.${actions.priority}`) }));
  }
  if (actions.skills.length) parts.push(t("rules.sum.skills", { list: actions.skills.join(", ") }));
  return parts.length ? `→ ${parts.join(" · ")}` : t("rules.sum.nothing");
}
