// The routing-rule editor: a name, whether it is on, "all" / "any" of a list of conditions
// (keywords, regular expression, inbox, channel, contact attribute, business hours, topic), and
// what it does (team, tags, priority, required skills).

import { h, labelled } from "../dom.js";
import { t } from "../i18n.js";
import { PRIORITIES } from "./details.js";
import {
  checkbox,
  checkGroup,
  formActions,
  formError,
  joinList,
  repeatable,
  selectOf,
  splitList,
} from "./forms.js";

const CONDITION_FIELDS = [
  "keywords",
  "regex",
  "business_hours",
  "contact_attribute",
  "topic",
  "inbox",
  "channel",
];
const CHANNELS = ["web", "email", "line", "whatsapp", "messenger", "telegram"];

function blankCondition(field) {
  switch (field) {
    case "regex":
      return { field, pattern: "" };
    case "business_hours":
      return { field, inside: false };
    case "contact_attribute":
      return { field, name: "", equals: "" };
    case "topic":
      return { field, topics: [] };
    case "inbox":
      return { field, inbox_ids: [] };
    case "channel":
      return { field, channels: ["web"] };
    default:
      return { field: "keywords", keywords: [] };
  }
}

/** A text field (with a hint) whose value is turned into the condition by `toCondition`. */
function textCondition(label, hint, attrs, toCondition) {
  const input = h("input", { required: true, ...attrs });
  return { input, el: labelled(label, input, hint), value: () => toCondition(input.value) };
}

/** The inputs of one condition, by field; value() -> the condition's JSON. */
function conditionInputs(condition, ctx) {
  switch (condition.field) {
    case "regex": {
      const field = textCondition(
        t("rules.cond.pattern"),
        t("rules.cond.patternHint"),
        { name: "pattern", maxlength: "500", class: "code", value: condition.pattern },
        (pattern) => ({ field: "regex", pattern }),
      );
      // Caught here with the browser's own message; the server checks it again (Python syntax).
      const check = () => {
        try {
          new RegExp(field.input.value);
          field.input.setCustomValidity("");
        } catch {
          field.input.setCustomValidity(t("rules.cond.badPattern"));
        }
      };
      field.input.addEventListener("input", check);
      check();
      return field;
    }
    case "business_hours": {
      const select = selectOf(
        [
          ["true", t("rules.cond.insideHours")],
          ["false", t("rules.cond.outsideHours")],
        ],
        String(!!condition.inside),
        { name: "inside" },
      );
      return {
        el: labelled(t("rules.cond.when"), select),
        value: () => ({ field: "business_hours", inside: select.value === "true" }),
      };
    }
    case "contact_attribute": {
      const name = h("input", {
        name: "attribute",
        required: true,
        maxlength: "100",
        value: condition.name,
      });
      const equals = h("input", {
        name: "equals",
        required: true,
        maxlength: "200",
        value: String(condition.equals ?? ""),
      });
      return {
        el: h(
          "div",
          { class: "form-grid" },
          labelled(t("rules.cond.attribute"), name),
          labelled(t("rules.cond.equals"), equals),
        ),
        value: () => ({
          field: "contact_attribute",
          name: name.value.trim(),
          equals: equals.value.trim(),
        }),
      };
    }
    case "topic":
      return textCondition(
        t("rules.cond.topics"),
        t("rules.cond.topicsHint"),
        { name: "topics", value: joinList(condition.topics) },
        (text) => ({ field: "topic", topics: splitList(text) }),
      );
    case "inbox": {
      const inboxes = ctx.inboxes.map((i) => [i.id, i.name]);
      const group = checkGroup(t("rules.cond.inboxes"), inboxes, condition.inbox_ids, Number);
      return { el: group.el, value: () => ({ field: "inbox", inbox_ids: group.value() }) };
    }
    case "channel": {
      const channels = CHANNELS.map((c) => [c, t(`channel.${c}`)]);
      const group = checkGroup(t("rules.cond.channels"), channels, condition.channels);
      return { el: group.el, value: () => ({ field: "channel", channels: group.value() }) };
    }
    default:
      return textCondition(
        t("rules.cond.keywords"),
        t("rules.cond.keywordsHint"),
        { name: "keywords", value: joinList(condition.keywords) },
        (text) => ({ field: "keywords", keywords: splitList(text) }),
      );
  }
}

/** One condition row: its kind (select) and the inputs for that kind, swapped on change. */
function conditionRow(condition, index, ctx) {
  const kind = selectOf(
    CONDITION_FIELDS.map((f) => [f, t(`rules.field.${f}`)]),
    condition.field,
    { name: "field", class: "cond-field" },
  );
  let inputs = conditionInputs(condition, ctx);
  const holder = h("div", { class: "cond-inputs" }, inputs.el);
  kind.addEventListener("change", () => {
    inputs = conditionInputs(blankCondition(kind.value), ctx);
    holder.replaceChildren(inputs.el);
  });
  return {
    el: h(
      "div",
      { class: "condition" },
      labelled(t("rules.conditionN", { n: index + 1 }), kind),
      holder,
    ),
    value: () => inputs.value(),
  };
}

/**
 * The form for a new rule (`rule` null) or an existing one. `onSave(body, error)` sends it and
 * returns a truthy value on success; `onCancel` leaves editing.
 */
export function ruleForm(ctx, teams, rule, { onSave, onCancel }) {
  const error = formError();
  const name = h("input", {
    name: "name",
    required: true,
    maxlength: "100",
    value: rule ? rule.name : "",
  });
  const enabled = checkbox(t("rules.enabled"), rule ? rule.enabled : true, { name: "enabled" });
  const conditions = rule ? rule.conditions : { match: "all", items: [] };
  const match = selectOf(
    [
      ["all", t("rules.matchAll")],
      ["any", t("rules.matchAny")],
    ],
    conditions.match,
    { name: "match" },
  );
  const items = repeatable({
    legend: t("rules.conditions"),
    addLabel: t("rules.addCondition"),
    removeLabel: (n) => t("rules.removeCondition", { n }),
    empty: t("rules.noConditions"),
    items: conditions.items,
    blank: () => blankCondition("keywords"),
    makeRow: (condition, index) => conditionRow(condition, index, ctx),
  });
  const actions = rule ? rule.actions : { team_id: null, tags: [], priority: null, skills: [] };
  const team = selectOf(
    [["", t("rules.noTeam")], ...teams.map((tm) => [String(tm.id), tm.name])],
    actions.team_id === null ? "" : String(actions.team_id),
    { name: "team" },
  );
  const tags = h("input", { name: "tags", value: joinList(actions.tags) });
  const priority = selectOf(
    [["", t("rules.keepPriority")], ...PRIORITIES.map((p) => [p, t(`priority.${p}`)])],
    actions.priority || "",
    { name: "priority" },
  );
  const skills = h("input", { name: "skills", value: joinList(actions.skills) });

  const onsubmit = async (event) => {
    event.preventDefault();
    const conditionItems = items.values();
    const empty = conditionItems.findIndex((c) =>
      ["keywords", "topics", "inbox_ids", "channels"].some((key) => key in c && !c[key].length),
    );
    if (empty >= 0) {
      error.show(t("rules.condEmpty", { n: empty + 1 }));
      return;
    }
    const body = {
      name: name.value.trim(),
      enabled: enabled.input.checked,
      conditions: { match: match.value, items: conditionItems },
      actions: {
        team_id: team.value ? Number(team.value) : null,
        tags: splitList(tags.value),
        priority: priority.value || null,
        skills: splitList(skills.value),
      },
    };
    await onSave(body, error);
  };
  const title = rule ? `${t("admin.edit")}: ${rule.name}` : t("rules.new");
  return h(
    "form",
    { class: "card form-card rule-form", onsubmit, "aria-labelledby": "rule-form-title" },
    h("h2", { id: "rule-form-title", text: title }),
    h(
      "div",
      { class: "form-grid" },
      labelled(t("admin.name"), name),
      labelled(t("rules.match"), match),
    ),
    h("div", { class: "checks" }, enabled.el),
    items.el,
    h(
      "fieldset",
      { class: "rule-actions" },
      h("legend", { text: t("rules.then") }),
      h(
        "div",
        { class: "form-grid" },
        labelled(t("rules.team"), team),
        labelled(t("rules.tags"), tags, t("form.commaHint")),
        labelled(t("rules.priority"), priority),
        labelled(t("rules.skills"), skills, t("form.commaHint")),
      ),
    ),
    formActions({ editing: !!rule, onCancel, error }),
  );
}
