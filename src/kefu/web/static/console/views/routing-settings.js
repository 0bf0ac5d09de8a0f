// Admin: one inbox's routing settings — assignment, business hours, automatic replies (zh-TW and
// en), SLA targets per priority, the pre-chat form and topics (each routed to a team).

import { api } from "../api.js";
import { guard, h, labelled, mount, toast } from "../dom.js";
import { t } from "../i18n.js";
import { PRIORITIES } from "./details.js";
import {
  checkbox,
  formActions,
  formError,
  localizedText,
  numberOrNull,
  repeatable,
  selectOf,
  submitTo,
} from "./forms.js";
import { holidaysEditor, timezoneList, weeklyEditor } from "./hours.js";
import { SLA_KINDS } from "./sla.js";

const REPLIES = ["greeting", "queued", "queued_no_estimate", "outside_hours", "topic_question"];
// The hint names the placeholders literally: each one fills in as itself.
const PLACEHOLDERS = Object.fromEntries(
  ["queue_number", "position", "wait_minutes", "next_open"].map((name) => [name, `{${name}}`]),
);

export async function renderRoutingSettings(container, ctx, inboxId) {
  const [inboxes, teams] = await Promise.all([guard(api.inboxes()), guard(api.teams())]);
  if (!inboxes || !teams) return;
  const inbox = inboxes.find((i) => i.id === inboxId) || inboxes[0];
  if (!inbox) {
    mount(container, h("h1", { text: t("routing.title") }), h("p", { text: t("routing.noInboxes") }));
    return;
  }
  const settings = await guard(api.inboxRouting(inbox.id));
  if (!settings) return;
  const picker = selectOf(
    inboxes.map((i) => [String(i.id), i.name]),
    String(inbox.id),
    { id: "routing-inbox", onchange: () => (location.hash = `#/routing/${picker.value}`) },
  );
  mount(
    container,
    h(
      "div",
      { class: "page-head" },
      h("h1", { text: t("routing.titleFor", { name: inbox.name }) }),
      h(
        "div",
        { class: "inline-field" },
        h("label", { for: "routing-inbox", text: t("conv.inbox") }),
        picker,
      ),
    ),
    routingForm(container, ctx, inbox, settings, teams),
  );
}

function section(title, id, ...children) {
  return h(
    "section",
    { class: "form-section", "aria-labelledby": id },
    h("h2", { id, text: title }),
    children,
  );
}

function routingForm(container, ctx, inbox, settings, teams) {
  const error = formError();
  // Assignment
  const autoAssign = checkbox(t("routing.autoAssign"), settings.auto_assign, { name: "auto_assign" });
  const policy = selectOf(
    [
      ["balanced", t("routing.policy.balanced")],
      ["round_robin", t("routing.policy.round_robin")],
    ],
    settings.policy,
    { name: "policy" },
  );
  const maxPerAgent = h("input", {
    type: "number",
    name: "max_conversations_per_agent",
    min: "1",
    max: "100",
    required: true,
    value: String(settings.max_conversations_per_agent),
  });
  const onOffline = selectOf(
    [
      ["keep", t("routing.offline.keep")],
      ["requeue", t("routing.offline.requeue")],
    ],
    settings.on_agent_offline,
    { name: "on_agent_offline" },
  );
  const canTake = checkbox(t("routing.agentsCanTake"), settings.agents_can_take, {
    name: "agents_can_take",
  });

  // Business hours
  const hours = settings.business_hours;
  const hoursOn = checkbox(t("hours.enabled"), hours.enabled, { name: "business_hours.enabled" });
  const zones = h(
    "datalist",
    { id: "tz-list" },
    timezoneList().map((zone) => h("option", { value: zone })),
  );
  const timezone = h("input", {
    name: "timezone",
    list: "tz-list",
    required: true,
    maxlength: "64",
    value: hours.timezone,
    autocomplete: "off",
  });
  const weekly = weeklyEditor(hours.weekly);
  const holidays = holidaysEditor(hours.holidays);

  // Automatic replies
  const replyToggles = {
    greeting_enabled: checkbox(t("routing.reply.greetingOn"), settings.greeting_enabled),
    queued_reply_enabled: checkbox(t("routing.reply.queuedOn"), settings.queued_reply_enabled),
    outside_hours_reply_enabled: checkbox(
      t("routing.reply.outsideOn"),
      settings.outside_hours_reply_enabled,
    ),
  };
  const replies = Object.fromEntries(
    REPLIES.map((key) => [
      key,
      localizedText(t(`routing.reply.${key}`), settings.auto_replies[key], { name: key }),
    ]),
  );

  // SLA
  const sla = settings.sla;
  const slaOn = checkbox(t("sla.enabled"), sla.enabled, { name: "sla.enabled" });
  const slaHours = checkbox(t("sla.businessHours"), sla.business_hours, { name: "sla.business_hours" });
  const targets = {};
  const targetRows = PRIORITIES.map((priority) => {
    targets[priority] = {};
    return h(
      "tr",
      {},
      h("th", { scope: "row", text: t(`priority.${priority}`) }),
      SLA_KINDS.map((kind) => {
        const current = sla.targets[priority] ? sla.targets[priority][`${kind}_minutes`] : null;
        const input = h("input", {
          type: "number",
          min: "1",
          max: "525600",
          inputmode: "numeric",
          value: current ? String(current) : "",
          "aria-label": t("sla.targetLabel", {
            priority: t(`priority.${priority}`),
            kind: t(`sla.${kind}`),
          }),
        });
        targets[priority][kind] = input;
        return h("td", {}, input);
      }),
    );
  });

  // Pre-chat form and topics
  const pre = settings.prechat;
  const prechat = {
    enabled: checkbox(t("prechat.enabled"), pre.enabled),
    ask_name: checkbox(t("prechat.askName"), pre.ask_name),
    ask_email: checkbox(t("prechat.askEmail"), pre.ask_email),
    ask_phone: checkbox(t("prechat.askPhone"), pre.ask_phone),
    require_contact: checkbox(t("prechat.requireContact"), pre.require_contact),
  };
  const topics = repeatable({
    legend: t("topics.title"),
    addLabel: t("topics.add"),
    removeLabel: (n) => t("topics.remove", { n }),
    empty: t("topics.none"),
    items: settings.topics,
    blank: () => ({ key: "", label: { "zh-TW": "", en: "" }, team_id: null }),
    makeRow: (topic) => topicRow(topic, teams),
  });

  const onsubmit = async (event) => {
    event.preventDefault();
    const body = {
      ...settings,
      auto_assign: autoAssign.input.checked,
      policy: policy.value,
      max_conversations_per_agent: Number(maxPerAgent.value),
      on_agent_offline: onOffline.value,
      agents_can_take: canTake.input.checked,
      business_hours: {
        ...hours,
        enabled: hoursOn.input.checked,
        timezone: timezone.value.trim(),
        weekly: weekly.value(),
        holidays: holidays.value(),
      },
      auto_replies: Object.fromEntries(REPLIES.map((key) => [key, replies[key].value()])),
      sla: {
        ...sla,
        enabled: slaOn.input.checked,
        business_hours: slaHours.input.checked,
        targets: Object.fromEntries(
          PRIORITIES.map((priority) => [
            priority,
            Object.fromEntries(
              SLA_KINDS.map((kind) => [`${kind}_minutes`, numberOrNull(targets[priority][kind])]),
            ),
          ]),
        ),
      },
      prechat: Object.fromEntries(
        Object.entries(prechat).map(([key, box]) => [key, box.input.checked]),
      ),
      topics: topics.values(),
    };
    for (const [key, box] of Object.entries(replyToggles)) body[key] = box.input.checked;
    const saved = await submitTo(error, api.updateInboxRouting(inbox.id, body));
    if (!saved) return;
    toast(t("admin.saved"), "ok");
    await renderRoutingSettings(container, ctx, inbox.id);
  };

  return h(
    "form",
    {
      class: "card form-card routing-form",
      onsubmit,
      "aria-label": t("routing.titleFor", { name: inbox.name }),
    },
    section(
      t("routing.assignment"),
      "rs-assign",
      h("div", { class: "checks" }, autoAssign.el, canTake.el),
      h(
        "div",
        { class: "form-grid" },
        labelled(t("routing.policy"), policy, t("routing.policyHint")),
        labelled(t("routing.maxPerAgent"), maxPerAgent),
        labelled(t("routing.onOffline"), onOffline),
      ),
    ),
    section(
      t("hours.title"),
      "rs-hours",
      h("div", { class: "checks" }, hoursOn.el),
      h(
        "div",
        { class: "form-grid" },
        labelled(t("hours.timezone"), timezone, t("hours.timezoneHint")),
        zones,
      ),
      weekly.el,
      holidays.el,
    ),
    section(
      t("routing.replies"),
      "rs-replies",
      h("div", { class: "checks" }, Object.values(replyToggles).map((box) => box.el)),
      h("p", { class: "hint", text: t("routing.placeholders", PLACEHOLDERS) }),
      REPLIES.map((key) => replies[key].el),
    ),
    section(
      t("sla.title"),
      "rs-sla",
      h("div", { class: "checks" }, slaOn.el, slaHours.el),
      h(
        "div",
        { class: "table-card" },
        h(
          "table",
          { class: "table sla-targets" },
          h("caption", { class: "hint", text: t("sla.targetsCaption") }),
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              h("th", { scope: "col", text: t("conv.priority") }),
              SLA_KINDS.map((kind) => h("th", { scope: "col", text: t(`sla.${kind}`) })),
            ),
          ),
          h("tbody", {}, targetRows),
        ),
      ),
    ),
    section(
      t("prechat.title"),
      "rs-prechat",
      h("div", { class: "checks" }, Object.values(prechat).map((box) => box.el)),
      topics.el,
    ),
    formActions({ editing: true, error }),
  );
}

function topicRow(topic, teams) {
  const key = h("input", {
    value: topic.key,
    required: true,
    maxlength: "40",
    pattern: "[A-Za-z0-9_\\-]+",
    title: t("topics.keyHint"),
  });
  const zh = h("input", { value: topic.label["zh-TW"] || "", maxlength: "1000" });
  const en = h("input", { value: topic.label.en || "", maxlength: "1000" });
  const team = selectOf(
    [["", t("admin.noTeam")], ...teams.map((tm) => [String(tm.id), tm.name])],
    topic.team_id === null || topic.team_id === undefined ? "" : String(topic.team_id),
  );
  return {
    el: h(
      "div",
      { class: "topic-row form-grid" },
      labelled(t("topics.key"), key),
      labelled(t("topics.labelZh"), zh),
      labelled(t("topics.labelEn"), en),
      labelled(t("admin.team"), team),
    ),
    value: () => ({
      key: key.value.trim(),
      label: { "zh-TW": zh.value.trim(), en: en.value.trim() },
      team_id: team.value ? Number(team.value) : null,
    }),
  };
}
