// Channel inboxes in the console (email, LINE, WhatsApp, Messenger, Telegram): the admin's
// channel settings (config fields, write-only secrets, the webhook URL to paste), the channel
// badge, delivery states with Retry on agents' messages, email display (subject, sanitised
// HTML in a sandboxed frame, files not kept), and the reply window with its template picker.

import { request } from "./api.js";
import { clockTime, guard, h, labelled, mount, toast } from "./dom.js";
import { t } from "./i18n.js";
import { Hub } from "./live.js";

const enc = encodeURIComponent;

export const CHANNEL_TYPES = ["web", "email", "line", "whatsapp", "messenger", "telegram"];

// Per channel type, the admin's fields: `config` goes to channel_config, `secrets` to
// channel_secrets (write-only). Mirrors each adapter's config_model / secrets_model
// (src/kefu/channels/<type>/); api_base and other test/advanced settings are left at their
// defaults (an edit keeps whatever the inbox has). kind: text | number | bool | tls.
const f = (name, { required = false, kind = "text", placeholder = null } = {}) => ({
  name,
  required,
  kind,
  placeholder,
});
export const CHANNEL_FIELDS = {
  web: { config: [], secrets: [] },
  email: {
    config: [
      f("address", { required: true, placeholder: "support@shop.example.com" }),
      f("from_name"),
      f("smtp_host", { placeholder: "smtp.example.com" }),
      f("smtp_port", { kind: "number", placeholder: "587" }),
      f("smtp_tls", { kind: "tls" }),
      f("smtp_username"),
      f("imap_host", { placeholder: "imap.example.com" }),
      f("imap_port", { kind: "number", placeholder: "993" }),
      f("imap_tls", { kind: "tls" }),
      f("imap_username"),
      f("imap_folder", { placeholder: "INBOX" }),
    ],
    secrets: [f("smtp_password"), f("imap_password")],
  },
  line: {
    config: [],
    secrets: [f("channel_secret", { required: true }), f("channel_access_token", { required: true })],
  },
  whatsapp: {
    config: [f("phone_number_id", { required: true }), f("waba_id", { required: true })],
    secrets: [
      f("access_token", { required: true }),
      f("app_secret", { required: true }),
      f("verify_token", { required: true }),
    ],
  },
  messenger: {
    config: [f("page_id", { required: true }), f("human_agent_tag", { kind: "bool" })],
    secrets: [
      f("page_access_token", { required: true }),
      f("app_secret", { required: true }),
      f("verify_token", { required: true }),
    ],
  },
  telegram: {
    config: [],
    secrets: [f("bot_token", { required: true }), f("webhook_secret")],
  },
};

export const channelApi = {
  channel: (id) => request("GET", `/api/v1/conversations/${enc(id)}/channel`),
  templates: (inboxId) => request("GET", `/api/v1/inboxes/${enc(inboxId)}/templates`),
  sendTemplate: (id, body) => request("POST", `/api/v1/conversations/${enc(id)}/templates`, body),
  retry: (id, messageId) =>
    request("POST", `/api/v1/conversations/${enc(id)}/messages/${enc(messageId)}/retry`),
};

/** Messages changed outside the socket (a retry's answer): the open thread replaces them. */
export const messageUpdates = new Hub();

// --- the channel badge ---------------------------------------------------------------------

export function channelTypeOf(ctx, conv) {
  const inbox = (ctx.inboxes || []).find((i) => i.id === conv.inbox_id);
  return inbox ? inbox.channel_type || "web" : "web";
}

/** A short label of a conversation's channel; nothing for the website (the default). */
export function channelBadge(type) {
  if (!type || type === "web") return null;
  const name = t(`channel.${type}`);
  return h("span", {
    class: "channel-badge",
    "data-channel": type,
    title: t("channel.badge", { name }),
    "aria-label": t("channel.badge", { name }),
    text: name,
  });
}

// --- admin: channel settings of an inbox ----------------------------------------------------

export function channelTypeSelect(onchange) {
  const select = h(
    "select",
    { name: "channel_type", onchange: () => onchange(select.value) },
    CHANNEL_TYPES.map((type) => h("option", { value: type }, t(`channel.${type}`))),
  );
  return select;
}

function configInput(field, value) {
  const attrs = { name: `config.${field.name}`, "data-config": field.name };
  if (field.kind === "bool") {
    return h("input", { ...attrs, type: "checkbox", checked: !!value });
  }
  if (field.kind === "tls") {
    return h(
      "select",
      attrs,
      h("option", { value: "" }, "—"),
      ["starttls", "tls", "none"].map((mode) =>
        h("option", { value: mode, selected: value === mode }, t(`channel.tls.${mode}`)),
      ),
    );
  }
  return h("input", {
    ...attrs,
    type: field.kind === "number" ? "number" : "text",
    required: field.required,
    placeholder: field.placeholder,
    value: value === undefined || value === null ? "" : String(value),
  });
}

function fieldLabel(field) {
  const label = t(`channel.field.${field.name}`);
  return field.required ? t("channel.required", { label }) : label;
}

/**
 * The channel's config and secret inputs for `type` (an existing `inbox` when editing: its
 * config values filled in, its secrets shown as set / not set with an input to replace them).
 * `values()` -> {channel_config, channel_secrets} for the API.
 */
export function channelFields(type, inbox = null) {
  const spec = CHANNEL_FIELDS[type] || { config: [], secrets: [] };
  const current = (inbox && inbox.channel_config) || {};
  const setNames = new Set((inbox && inbox.channel_secrets_set) || []);
  const configInputs = spec.config.map((field) => [field, configInput(field, current[field.name])]);
  const secretInputs = spec.secrets.map((field) => {
    const isSet = setNames.has(field.name);
    const input = h("input", {
      type: "password",
      name: `secret.${field.name}`,
      "data-secret": field.name,
      autocomplete: "new-password",
      // A new inbox needs its required secrets; a set one is only replaced when typed.
      required: field.required && !isSet,
      placeholder: isSet ? t("channel.secretReplace") : "",
    });
    return [field, input, isSet];
  });
  const el =
    type === "web"
      ? null
      : h(
          "fieldset",
          { class: "channel-fields", "data-channel": type },
          h("legend", { text: `${t("channel.settings")}: ${t(`channel.${type}`)}` }),
          configInputs.length
            ? h(
                "div",
                { class: "form-grid" },
                configInputs.map(([field, input]) =>
                  field.kind === "bool"
                    ? h("label", { class: "check" }, input, " ", fieldLabel(field))
                    : labelled(fieldLabel(field), input),
                ),
              )
            : null,
          secretInputs.length ? h("h3", { class: "channel-sub", text: t("channel.secrets") }) : null,
          h(
            "div",
            { class: "form-grid" },
            secretInputs.map(([field, input, isSet]) =>
              h(
                "div",
                { class: "field secret-field" },
                h("label", { for: (input.id = `secret-${field.name}`), text: fieldLabel(field) }),
                h("span", {
                  class: "secret-state" + (isSet ? " is-set" : ""),
                  "data-secret-state": field.name,
                  text: isSet ? t("channel.secretSet") : t("channel.secretNotSet"),
                }),
                input,
              ),
            ),
          ),
        );
  const values = () => {
    const config = { ...current };
    for (const [field, input] of configInputs) {
      if (field.kind === "bool") config[field.name] = input.checked;
      else if (input.value.trim() === "") delete config[field.name]; // the adapter's default
      else if (field.kind === "number") config[field.name] = Number(input.value);
      else config[field.name] = input.value.trim();
    }
    const secrets = {};
    for (const [field, input] of secretInputs) {
      if (input.value !== "") secrets[field.name] = input.value; // absent: kept as it is
    }
    return { channel_config: config, channel_secrets: secrets };
  };
  return { el, values };
}

/** Where to paste what: the webhook URL with a Copy button and a one-line setup hint. */
export function webhookBox(inbox) {
  const type = inbox.channel_type;
  if (!type || type === "web") return null;
  const hint = h("p", { class: "hint", text: t(`channel.hint.${type}`) });
  if (!inbox.webhook_url) {
    return h("div", { class: "card webhook-box" }, h("p", { text: t("channel.noWebhook") }), hint);
  }
  const url = h("input", {
    id: `webhook-url-${inbox.id}`,
    class: "code webhook-url",
    readOnly: true,
    value: inbox.webhook_url,
  });
  const copy = async () => {
    url.focus();
    url.select();
    try {
      await navigator.clipboard.writeText(inbox.webhook_url);
    } catch {
      document.execCommand("copy"); // fallback: the text is selected for a manual copy too
    }
    toast(t("admin.copied"), "ok");
  };
  return h(
    "div",
    { class: "card webhook-box" },
    labelled(t("channel.webhook"), url),
    h("button", {
      type: "button",
      class: "btn btn-primary",
      "aria-label": t("channel.copyWebhook"),
      text: t("admin.copy"),
      onclick: copy,
    }),
    hint,
  );
}

// --- messages: delivery states, retry, email display ------------------------------------------

const DELIVERY_MARK = {
  queued: "⏱",
  sent: "✓",
  delivered: "✓✓",
  read: "✓✓",
  failed: "⚠",
  skipped: "–",
};

/** An outgoing channel message's state (and Retry when it failed or was not sent). */
export function deliveryView(message) {
  const status = message.delivery_status;
  const label = t(`delivery.${status}`);
  const reason = message.delivery_error || "";
  const nodes = [
    h("span", {
      class: `msg-state delivery delivery-${status}`,
      "data-delivery": status,
      title: reason || label,
      text: `${DELIVERY_MARK[status] || ""} ${label}`.trim(),
    }),
  ];
  if (status === "failed" || status === "skipped") {
    const button = h("button", {
      type: "button",
      class: "btn btn-ghost btn-small retry-delivery",
      text: t("delivery.retry"),
      onclick: async () => {
        button.disabled = true;
        button.textContent = t("delivery.retrying");
        const fresh = await guard(channelApi.retry(message.conversation_id, message.id));
        if (fresh) messageUpdates.emit(fresh);
        else {
          button.disabled = false;
          button.textContent = t("delivery.retry");
        }
      },
    });
    nodes.push(button);
  }
  return nodes;
}

/** The provider's reason for a failure, readable under the bubble (the tooltip repeats it). */
export function deliveryErrorLine(message) {
  if (message.delivery_status !== "failed" || !message.delivery_error) return null;
  return h("p", {
    class: "delivery-error",
    text: t("delivery.failedBecause", { reason: message.delivery_error }),
  });
}

/** What a channel message carried beyond its text: an email's HTML, files not kept. */
export function channelExtras(message) {
  const payload = message.channel_payload;
  if (!payload) return null;
  const nodes = [];
  for (const item of payload.refused_media || []) {
    nodes.push(
      h("p", {
        class: "media-note",
        text: t("media.refused", { name: item.file_name || "?", reason: item.reason || "" }),
      }),
    );
  }
  if (payload.media_error) {
    nodes.push(h("p", { class: "media-note", text: t("media.error", { reason: payload.media_error }) }));
  }
  if (payload.pending_media) {
    nodes.push(h("p", { class: "media-note media-pending", text: t("media.pending") }));
  }
  if (typeof payload.html === "string" && payload.html) nodes.push(formattedToggle(payload.html));
  return nodes.length ? h("div", { class: "channel-extras" }, nodes) : null;
}

/**
 * The email's sanitised HTML, only on request, in a frame that runs nothing: `sandbox` without
 * allow-scripts (nor allow-same-origin: an opaque origin), the markup given as srcdoc.
 */
function formattedToggle(html) {
  let frame = null;
  const button = h("button", {
    type: "button",
    class: "btn btn-ghost btn-small email-toggle",
    "aria-expanded": "false",
    text: t("email.showFormatted"),
  });
  const host = h("div", { class: "email-html" });
  button.addEventListener("click", () => {
    const bubble = button.closest(".bubble");
    const text = bubble ? bubble.querySelector(".msg-text") : null;
    if (frame) {
      frame.remove();
      frame = null;
      if (text) text.hidden = false;
      button.textContent = t("email.showFormatted");
      button.setAttribute("aria-expanded", "false");
      return;
    }
    frame = h("iframe", {
      class: "email-frame",
      sandbox: "",
      referrerpolicy: "no-referrer",
      title: t("email.formatted"),
    });
    frame.srcdoc = html;
    host.append(frame);
    if (text) text.hidden = true;
    button.textContent = t("email.showText");
    button.setAttribute("aria-expanded", "true");
  });
  return h("div", { class: "email-format" }, button, host);
}

/** An email conversation's subject, for the thread's header. */
export function subjectLine(conv) {
  if (!conv.subject) return null;
  return h("p", { class: "conv-subject", text: t("email.subject", { subject: conv.subject }) });
}

// --- the reply window and templates -----------------------------------------------------------

const MAX_TIMER_MS = 2 ** 31 - 1;

function fillTemplate(body, params) {
  return body.replace(/\{\{(\d+)\}\}/g, (all, n) => {
    const value = params[Number(n) - 1];
    return value ? value : all;
  });
}

/**
 * Above the composer, for channels with a customer-service window (WhatsApp, Messenger): when it
 * closes, or that it is closed and — where the provider has templates — a template picker.
 */
export class ReplyWindow {
  constructor({ onSent }) {
    this.onSent = onSent; // (message) => the thread shows the template message
    this.el = h("div", { class: "reply-window", hidden: true });
    this.conv = null;
    this.state = null;
    this.timer = null;
    this.token = 0;
  }

  /** A conversation was opened (or the customer wrote: the window may have reopened). */
  async load(conv, channelType) {
    this.token += 1;
    const token = this.token;
    clearTimeout(this.timer);
    this.conv = conv;
    this.state = null;
    if (!conv || !channelType || channelType === "web") return this.render();
    let state;
    try {
      state = await channelApi.channel(conv.id);
    } catch {
      return this.render(); // the composer still works; a refused send explains itself
    }
    if (token !== this.token) return;
    this.state = state;
    if (state.window_closes_at && state.window_open) {
      const wait = new Date(state.window_closes_at).getTime() - Date.now();
      this.timer = setTimeout(() => this.load(this.conv, channelType), Math.min(MAX_TIMER_MS, wait + 500));
    }
    this.render();
  }

  clear() {
    this.token += 1;
    clearTimeout(this.timer);
    this.conv = null;
    this.state = null;
    this.render();
  }

  render() {
    const state = this.state;
    if (!state || !state.window_closes_at) {
      this.el.hidden = true;
      mount(this.el);
      return;
    }
    this.el.hidden = false;
    this.el.classList.toggle("is-closed", !state.window_open);
    if (state.window_open) {
      mount(
        this.el,
        h("p", {
          class: "window-note",
          text: t("window.closesAt", { time: clockTime(state.window_closes_at) }),
        }),
      );
      return;
    }
    const note = h("p", {
      class: "window-note window-closed",
      role: "status",
      text: state.templates_supported ? t("window.closed") : t("window.closedNoTemplates"),
    });
    const open = state.templates_supported
      ? h("button", {
          type: "button",
          class: "btn btn-small template-open",
          text: t("window.templates"),
          onclick: () => this.showPicker(),
        })
      : null;
    this.pickerHost = h("div", { class: "template-host" });
    mount(this.el, note, open, this.pickerHost);
  }

  async showPicker() {
    const conv = this.conv;
    if (!conv) return;
    mount(this.pickerHost, h("p", { class: "hint", text: t("window.loading") }));
    const templates = await guard(channelApi.templates(conv.inbox_id));
    if (!templates || this.conv !== conv) return;
    if (!templates.length) {
      mount(this.pickerHost, h("p", { class: "hint", text: t("window.noTemplates") }));
      return;
    }
    const select = h(
      "select",
      { class: "template-select" },
      templates.map((tpl, i) => h("option", { value: String(i) }, `${tpl.name} (${tpl.language})`)),
    );
    const params = h("div", { class: "template-params" });
    const preview = h("p", { class: "template-preview", "aria-live": "polite" });
    let inputs = [];
    const current = () => templates[Number(select.value)];
    const update = () => {
      const values = inputs.map((input) => input.value.trim());
      preview.textContent = fillTemplate(current().body_text, values);
    };
    const fields = () => {
      inputs = Array.from({ length: current().parameter_count }, (_, i) =>
        h("input", { class: "template-param", required: true, maxlength: "1000", oninput: update }),
      );
      mount(params, inputs.map((input, i) => labelled(t("window.parameter", { n: i + 1 }), input)));
      update();
    };
    select.addEventListener("change", fields);
    const onsubmit = async (event) => {
      event.preventDefault();
      const tpl = current();
      const parameters = inputs.map((input) => input.value.trim());
      const body = {
        name: tpl.name,
        language: tpl.language,
        parameters,
        text: fillTemplate(tpl.body_text, parameters),
      };
      const message = await guard(channelApi.sendTemplate(conv.id, body));
      if (!message) return;
      toast(t("window.sent"), "ok");
      mount(this.pickerHost);
      this.onSent(message);
    };
    mount(
      this.pickerHost,
      h(
        "form",
        { class: "template-form", onsubmit },
        labelled(t("window.template"), select),
        params,
        h("div", { class: "field" }, h("span", { class: "hint", text: t("window.preview") }), preview),
        h("button", { type: "submit", class: "btn btn-primary", text: t("window.send") }),
      ),
    );
    fields();
  }
}
