// Admin: one inbox's FAQ bot — on/off, its name and welcome text (zh-TW and en side by side), the
// confidence threshold, the welcome menu of quick replies, extra handoff phrases, what happens
// after hours, and the optional generative answers with a write-only API key.

import { botApi } from "../api-bot.js";
import { api } from "../api.js";
import { guard, h, labelled, mount, toast } from "../dom.js";
import { t } from "../i18n.js";
import {
  checkbox,
  formActions,
  formError,
  joinList,
  localizedText,
  repeatable,
  selectOf,
  splitList,
  submitTo,
} from "./forms.js";

// The console's bot pages share one stylesheet, added once by whichever module loads first.
export function botStyles() {
  if (document.querySelector("link[data-css=bot]")) return;
  document.head.append(
    h("link", { rel: "stylesheet", href: "/static/console/bot.css", "data-css": "bot" }),
  );
}
botStyles();

const MENU_KINDS = ["question", "article", "action", "handoff"];

/** The bot pages' tabs (settings and actions for admins; learning and figures for leads). */
export function botTabs(ctx, current) {
  const admin = ctx.me.role === "admin";
  const pages = [
    ["bot", t("bot.tab.settings"), admin],
    ["bot-actions", t("bot.tab.actions"), admin],
    ["bot-learning", t("bot.tab.learning"), true],
    ["bot-metrics", t("bot.tab.metrics"), true],
  ].filter(([, , allowed]) => allowed);
  return h(
    "nav",
    { class: "bot-tabs", "aria-label": t("bot.tabs") },
    pages.map(([page, label]) =>
      h("a", {
        href: `#/${page}`,
        class: "bot-tab",
        "aria-current": page === current ? "page" : null,
        text: label,
      }),
    ),
  );
}

export function section(title, id, ...children) {
  return h(
    "section",
    { class: "form-section", "aria-labelledby": id },
    h("h2", { id, text: title }),
    children,
  );
}

export async function renderBotSettings(container, ctx, inboxId) {
  const inboxes = await guard(api.inboxes());
  if (!inboxes) return;
  const inbox = inboxes.find((i) => i.id === inboxId) || inboxes[0];
  if (!inbox) {
    mount(container, botTabs(ctx, "bot"), h("h1", { text: t("bot.title") }));
    container.append(h("p", { text: t("bot.noInboxes") }));
    return;
  }
  const [settings, actions] = await Promise.all([
    guard(botApi.settings(inbox.id)),
    botApi.actions().catch(() => []), // only for the menu's suggestions
  ]);
  if (!settings) return;
  const picker = selectOf(
    inboxes.map((i) => [String(i.id), i.name]),
    String(inbox.id),
    { id: "bot-inbox", onchange: () => (location.hash = `#/bot/${picker.value}`) },
  );
  mount(
    container,
    botTabs(ctx, "bot"),
    h(
      "div",
      { class: "page-head" },
      h("h1", { text: t("bot.titleFor", { name: inbox.name }) }),
      h(
        "div",
        { class: "inline-field" },
        h("label", { for: "bot-inbox", text: t("conv.inbox") }),
        picker,
      ),
    ),
    botForm(container, ctx, inbox, settings, actions || []),
  );
}

/** Whether the stored settings hold an API key (the key itself never comes back). */
function keyIsSet(settings) {
  return !!settings.generative_api_key_set;
}

/** The write-only API key: "set" / "not set", Replace (a new value) and Clear. */
function secretField({ label, isSet, name }) {
  let mode = "keep"; // keep | replace | clear
  const input = h("input", {
    type: "password",
    name,
    autocomplete: "new-password",
    maxlength: "500",
    hidden: true,
    "aria-label": label,
  });
  const state = h("span", { class: "secret-state", role: "status" });
  const replace = h("button", { type: "button", class: "btn btn-ghost btn-small" });
  const clear = h("button", {
    type: "button",
    class: "btn btn-ghost btn-danger btn-small",
    text: t("bot.secret.clear"),
  });
  const draw = () => {
    input.hidden = mode !== "replace";
    state.textContent =
      mode === "clear"
        ? t("bot.secret.willClear")
        : mode === "replace"
          ? t("bot.secret.new")
          : isSet
            ? t("bot.secret.set")
            : t("bot.secret.notSet");
    state.dataset.state = mode === "keep" ? (isSet ? "set" : "unset") : mode;
    replace.textContent = mode === "replace" ? t("admin.cancel") : isSet ? t("bot.secret.replace") : t("bot.secret.enter");
    clear.hidden = !isSet || mode === "clear";
  };
  replace.onclick = () => {
    mode = mode === "replace" ? "keep" : "replace";
    input.value = "";
    draw();
    if (mode === "replace") input.focus();
  };
  clear.onclick = () => {
    mode = "clear";
    input.value = "";
    draw();
  };
  draw();
  return {
    el: h(
      "div",
      { class: "field secret-field" },
      h("span", { class: "secret-label", text: label }),
      h("div", { class: "secret-row" }, state, replace, clear),
      input,
    ),
    /** undefined: keep; null: clear; a string: the new value. */
    value: () => (mode === "clear" ? null : mode === "replace" && input.value ? input.value : undefined),
  };
}

function menuRow(item) {
  const zh = h("input", { value: item.label["zh-TW"] || "", maxlength: "1000" });
  const en = h("input", { value: item.label.en || "", maxlength: "1000" });
  const kind = selectOf(
    MENU_KINDS.map((k) => [k, t(`bot.menu.kind.${k}`)]),
    item.kind || "question",
  );
  const value = h("input", {
    value: item.value || "",
    maxlength: "200",
    list: "bot-action-keys",
  });
  const valueField = labelled(t("bot.menu.value"), value, t("bot.menu.valueHint"));
  const sync = () => {
    valueField.hidden = kind.value === "handoff";
    value.setAttribute("list", kind.value === "action" ? "bot-action-keys" : "");
  };
  kind.addEventListener("change", sync);
  sync();
  return {
    el: h(
      "div",
      { class: "menu-row form-grid" },
      labelled(t("bot.menu.labelZh"), zh),
      labelled(t("bot.menu.labelEn"), en),
      labelled(t("bot.menu.kind"), kind),
      valueField,
    ),
    value: () => ({
      label: { "zh-TW": zh.value.trim(), en: en.value.trim() },
      kind: kind.value,
      value: kind.value === "handoff" ? "" : value.value.trim(),
    }),
  };
}

function botForm(container, ctx, inbox, settings, actions) {
  const error = formError();
  const enabled = checkbox(t("bot.enabled"), settings.enabled, { name: "enabled" });
  const name = localizedText(t("bot.name"), settings.name, { rows: 1, maxlength: "1000", name: "name" });
  const threshold = h("input", {
    type: "number",
    name: "threshold",
    min: "0",
    max: "1",
    step: "0.01",
    required: true,
    inputmode: "decimal",
    value: String(settings.threshold),
  });
  const idleHours = h("input", {
    type: "number",
    name: "idle_resolve_hours",
    min: "0",
    max: "720",
    step: "1",
    required: true,
    inputmode: "numeric",
    value: String(settings.idle_resolve_hours ?? 24),
  });
  const welcome = localizedText(t("bot.welcome"), settings.welcome, { rows: 3, name: "welcome" });
  const keyList = h(
    "datalist",
    { id: "bot-action-keys" },
    actions.map((a) => h("option", { value: a.key })),
  );
  const menu = repeatable({
    legend: t("bot.menu.title"),
    addLabel: t("bot.menu.add"),
    removeLabel: (n) => t("bot.menu.remove", { n }),
    empty: t("bot.menu.none"),
    items: settings.menu,
    blank: () => ({ label: { "zh-TW": "", en: "" }, kind: "question", value: "" }),
    makeRow: (item) => menuRow(item),
  });
  const keywords = h("textarea", { name: "handoff_keywords", rows: "2", maxlength: "3000" });
  keywords.value = joinList(settings.handoff_keywords);
  const afterHours = checkbox(t("bot.afterHours"), settings.after_hours_collection, {
    name: "after_hours_collection",
  });

  const gen = settings.generative || {};
  const genOn = checkbox(t("bot.gen.enabled"), gen.enabled, { name: "generative.enabled" });
  const baseUrl = h("input", {
    type: "url",
    name: "generative.base_url",
    maxlength: "500",
    placeholder: "https://api.openai.com/v1",
    value: gen.base_url || "",
  });
  const model = h("input", { name: "generative.model", maxlength: "100", value: gen.model || "" });
  const genTimeout = h("input", {
    type: "number",
    name: "generative.timeout_seconds",
    min: "1",
    max: "60",
    step: "1",
    value: String(gen.timeout_seconds ?? 15),
  });
  const apiKey = secretField({
    label: t("bot.gen.apiKey"),
    isSet: keyIsSet(settings),
    name: "generative.api_key",
  });

  const onsubmit = async (event) => {
    event.preventDefault();
    const generative = {
      ...gen,
      enabled: genOn.input.checked,
      base_url: baseUrl.value.trim(),
      model: model.value.trim(),
      timeout_seconds: Number(genTimeout.value),
    };
    const body = {
      ...settings,
      enabled: enabled.input.checked,
      name: name.value(),
      threshold: Number(threshold.value),
      idle_resolve_hours: Number(idleHours.value),
      welcome: welcome.value(),
      menu: menu.values(),
      handoff_keywords: splitList(keywords.value),
      after_hours_collection: afterHours.input.checked,
      generative,
    };
    delete body.generative_api_key_set; // read-only
    // The key is write-only: null keeps the stored one, "" removes it, a value replaces it.
    const key = apiKey.value();
    body.generative_api_key = key === undefined ? null : key === null ? "" : key;
    const saved = await submitTo(error, botApi.saveSettings(inbox.id, body));
    if (!saved) return;
    // The form is rebuilt from what was stored before "saved" shows: nothing typed into the
    // old form in between can be lost.
    await renderBotSettings(container, ctx, inbox.id);
    toast(t("admin.saved"), "ok");
  };

  return h(
    "form",
    {
      class: "card form-card bot-form",
      onsubmit,
      "aria-label": t("bot.titleFor", { name: inbox.name }),
    },
    section(
      t("bot.general"),
      "bot-general",
      h("div", { class: "checks" }, enabled.el, afterHours.el),
      h("p", { class: "hint", text: t("bot.afterHoursHint") }),
      name.el,
      h(
        "div",
        { class: "form-grid" },
        labelled(t("bot.threshold"), threshold, t("bot.thresholdHint")),
        labelled(t("bot.idleHours"), idleHours, t("bot.idleHoursHint")),
      ),
    ),
    section(
      t("bot.welcomeTitle"),
      "bot-welcome",
      welcome.el,
      keyList,
      menu.el,
    ),
    section(
      t("bot.handoffSection"),
      "bot-handoff",
      labelled(t("bot.keywords"), keywords, t("bot.keywordsHint")),
    ),
    section(
      t("bot.gen.title"),
      "bot-gen",
      h("p", { class: "hint", text: t("bot.gen.hint") }),
      h("div", { class: "checks" }, genOn.el),
      h(
        "div",
        { class: "form-grid" },
        labelled(t("bot.gen.baseUrl"), baseUrl),
        labelled(t("bot.gen.model"), model),
        labelled(t("bot.gen.timeout"), genTimeout),
      ),
      apiKey.el,
    ),
    formActions({ editing: true, error }),
  );
}
