// Admin: the bot's HTTP actions (order status at the company's own system, say) — the list, the
// create / edit form (the signing secret is write-only), and a Test box that runs an action with a
// value and shows the filled answer or why it failed.

import { botApi } from "../api-bot.js";
import { guard, h, labelled, mount, toast } from "../dom.js";
import { locale, t } from "../i18n.js";
import {
  checkbox,
  deleteWithConfirm,
  formActions,
  formError,
  localizedText,
  submitTo,
} from "./forms.js";
import { botStyles, botTabs, section } from "./bot-settings.js";

botStyles();

export async function renderBotActions(container, ctx, editingId = null) {
  const actions = await guard(botApi.actions());
  if (!actions) return;
  const again = (id = null) => renderBotActions(container, ctx, id);
  const editing = editingId === "new" ? "new" : actions.find((a) => a.id === editingId) || null;
  mount(
    container,
    botTabs(ctx, "bot-actions"),
    h(
      "div",
      { class: "page-head" },
      h("h1", { text: t("bot.actions.title") }),
      editing
        ? null
        : h("button", {
            type: "button",
            class: "btn btn-primary",
            "data-action": "new-bot-action",
            text: t("bot.actions.new"),
            onclick: () => again("new"),
          }),
    ),
    h("p", { class: "muted page-intro", text: t("bot.actions.intro") }),
    actions.length
      ? h("ul", { class: "card-list" }, actions.map((a) => actionCard(a, again)))
      : h("p", { class: "muted", text: t("bot.actions.none") }),
    editing ? actionForm(editing === "new" ? null : editing, again) : null,
  );
  if (editing) container.querySelector(".bot-action-form input")?.focus();
}

const pick = (texts) => (texts && (texts[document.documentElement.lang] || texts.en || texts["zh-TW"])) || "";

function actionCard(action, again) {
  const [remove, confirmBox] = deleteWithConfirm({
    label: t("bot.actions.deleteNamed", { key: action.key }),
    text: t("canned.delete"),
    question: t("bot.actions.confirmDelete"),
    yes: t("canned.confirmYes"),
    onConfirm: async () => {
      if ((await guard(botApi.deleteAction(action.id))) === undefined) return;
      toast(t("bot.actions.deleted"), "ok");
      await again();
    },
  });
  return h(
    "li",
    { class: "card row-card bot-action-card", "data-key": action.key },
    h(
      "div",
      { class: "grow" },
      h(
        "h2",
        { class: "card-title" },
        pick(action.names) || action.key,
        " ",
        h("code", { class: "chip", text: action.key }),
        action.enabled === false ? h("span", { class: "chip", text: t("bot.actions.off") }) : null,
      ),
      h("p", { class: "muted bot-action-url", text: action.url }),
      action.triggers && action.triggers.length
        ? h("p", { class: "muted", text: t("bot.actions.triggersList", { list: action.triggers.join(", ") }) })
        : null,
      testBox(action),
    ),
    h(
      "div",
      { class: "rule-buttons" },
      h("button", {
        type: "button",
        class: "btn btn-ghost",
        "aria-label": t("bot.actions.editNamed", { key: action.key }),
        text: t("admin.edit"),
        onclick: () => again(action.id),
      }),
      remove,
      confirmBox,
    ),
  );
}

/** Run the action with a value: the filled answer, the not-found text, or the error. */
function testBox(action) {
  const input = h("input", {
    maxlength: "64",
    autocomplete: "off",
    "aria-label": t("bot.actions.testValueFor", { key: action.key }),
    placeholder: t("bot.actions.testValue"),
  });
  const out = h("p", { class: "bot-test-result", role: "status", "aria-live": "polite" });
  const run = async (event) => {
    event.preventDefault();
    out.textContent = t("bot.actions.testing");
    out.dataset.result = "busy";
    let result;
    try {
      result = await botApi.testAction(action.id, { value: input.value.trim(), locale: locale() });
    } catch (error) {
      out.textContent = t("bot.actions.testError", { message: error.message || t("err.generic") });
      out.dataset.result = "error";
      return;
    }
    const state = result.ok ? (result.not_found ? "not_found" : "ok") : "error";
    out.dataset.result = state;
    if (state === "error") {
      out.textContent = t("bot.actions.testError", { message: result.error || t("err.generic") });
    } else {
      const label = state === "ok" ? t("bot.actions.testAnswer") : t("bot.actions.testNotFound");
      out.textContent = `${label} ${result.text || ""}`;
    }
  };
  return h(
    "form",
    { class: "bot-test", onsubmit: run, "aria-label": t("bot.actions.testFor", { key: action.key }) },
    input,
    h("button", { type: "submit", class: "btn btn-ghost btn-small", text: t("bot.actions.test") }),
    out,
  );
}

function actionForm(action, again) {
  const error = formError();
  const a = action || {
    key: "",
    names: { "zh-TW": "", en: "" },
    triggers: [],
    prompts: { "zh-TW": "", en: "" },
    param_pattern: "[A-Za-z0-9-]{4,20}",
    url: "",
    timeout_seconds: 5,
    answer_templates: { "zh-TW": "", en: "" },
    not_found_templates: { "zh-TW": "", en: "" },
    enabled: true,
  };
  const key = h("input", {
    name: "key",
    value: a.key,
    required: true,
    maxlength: "40",
    pattern: "[a-z0-9_\\-]+",
    title: t("bot.actions.keyHint"),
  });
  const names = localizedText(t("bot.actions.name"), a.names, { rows: 1, maxlength: "200", name: "names" });
  const triggers = h("textarea", { name: "triggers", rows: "3", maxlength: "4000" });
  triggers.value = (a.triggers || []).join("\n");
  const prompts = localizedText(t("bot.actions.prompt"), a.prompts, { rows: 2, name: "prompts" });
  const pattern = h("input", {
    name: "param_pattern",
    value: a.param_pattern,
    required: true,
    maxlength: "200",
    spellcheck: "false",
  });
  const url = h("input", {
    type: "url",
    name: "url",
    value: a.url,
    required: true,
    maxlength: "500",
    placeholder: "https://shop.example.com/kefu/order-status",
  });
  const timeout = h("input", {
    type: "number",
    name: "timeout_seconds",
    min: "1",
    max: "10",
    step: "0.5",
    required: true,
    value: String(a.timeout_seconds ?? 5),
  });
  const secretSet = !!(action && action.secret_set);
  let secretMode = "keep";
  const secret = h("input", {
    type: "password",
    name: "secret",
    autocomplete: "new-password",
    minlength: "16",
    maxlength: "200",
    placeholder: secretSet ? t("bot.secret.keepPlaceholder") : "",
  });
  const clearSecret = secretSet
    ? checkbox(t("bot.actions.clearSecret"), false, {
        name: "clear_secret",
        onchange: (event) => {
          secretMode = event.target.checked ? "clear" : "keep";
          secret.disabled = event.target.checked;
        },
      })
    : null;
  const answers = localizedText(t("bot.actions.answer"), a.answer_templates, {
    rows: 3,
    maxlength: "2000",
    name: "answer_templates",
  });
  const notFound = localizedText(t("bot.actions.notFound"), a.not_found_templates, {
    rows: 2,
    maxlength: "2000",
    name: "not_found_templates",
  });
  const enabled = checkbox(t("bot.actions.enabled"), a.enabled !== false, { name: "enabled" });

  const onsubmit = async (event) => {
    event.preventDefault();
    const body = {
      key: key.value.trim(),
      names: names.value(),
      triggers: [...new Set(triggers.value.split("\n").map((line) => line.trim()).filter(Boolean))],
      prompts: prompts.value(),
      param_pattern: pattern.value,
      url: url.value.trim(),
      timeout_seconds: Number(timeout.value),
      answer_templates: answers.value(),
      not_found_templates: notFound.value(),
      enabled: enabled.input.checked,
    };
    if (secretMode === "clear") body.secret = null;
    else if (secret.value) body.secret = secret.value;
    const saved = await submitTo(
      error,
      action ? botApi.updateAction(action.id, body) : botApi.createAction(body),
    );
    if (!saved) return;
    toast(t("admin.saved"), "ok");
    await again();
  };

  const title = action ? t("bot.actions.editTitle", { key: action.key }) : t("bot.actions.newTitle");
  return h(
    "form",
    { class: "card form-card bot-action-form", onsubmit, "aria-label": title },
    h("h2", { text: title }),
    section(
      t("bot.actions.what"),
      "ba-what",
      h("div", { class: "checks" }, enabled.el),
      h("div", { class: "form-grid" }, labelled(t("bot.actions.key"), key, t("bot.actions.keyHint"))),
      names.el,
      labelled(t("bot.actions.triggers"), triggers, t("bot.actions.triggersHint")),
      prompts.el,
      labelled(t("bot.actions.pattern"), pattern, t("bot.actions.patternHint")),
    ),
    section(
      t("bot.actions.call"),
      "ba-call",
      h(
        "div",
        { class: "form-grid" },
        labelled(t("bot.actions.url"), url, t("bot.actions.urlHint")),
        labelled(t("bot.actions.timeout"), timeout),
      ),
      labelled(
        t("bot.actions.secret"),
        secret,
        secretSet ? t("bot.actions.secretSetHint") : t("bot.actions.secretHint"),
      ),
      clearSecret ? clearSecret.el : null,
    ),
    section(
      t("bot.actions.answers"),
      "ba-answers",
      h("p", { class: "hint", text: t("bot.actions.templateHint") }),
      answers.el,
      notFound.el,
    ),
    formActions({ editing: true, onCancel: () => again(), error, submitLabel: action ? null : t("admin.create") }),
  );
}
