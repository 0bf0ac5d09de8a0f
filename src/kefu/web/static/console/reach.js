// Continuing with a customer on another channel they have (docs/contacts.md, "One customer,
// one history"): the channel inboxes where the contact can be written to, a small composer,
// and then the conversation there. Outside a provider's reply window (WhatsApp) the refusal
// says a template is needed and offers the template picker of the reply window (channels.js).

import { request } from "./api.js";
import { channelBadge, ReplyWindow } from "./channels.js";
import { h, labelled, mount, toast } from "./dom.js";
import { t } from "./i18n.js";
import { formError } from "./views/forms.js";

const enc = encodeURIComponent;
let formIds = 0;

export const reachApi = {
  channels: (contactId) => request("GET", `/api/v1/contacts/${enc(contactId)}/channels`),
  continueOn: (contactId, body) =>
    request("POST", `/api/v1/contacts/${enc(contactId)}/conversations`, body),
};

const channelName = (type) => t(`channel.${type}`);

/**
 * The "Continue on another channel" section of a customer panel; null when the contact has no
 * channel besides the one of the conversation on screen.
 *
 * `channels`: GET /contacts/{id}/channels; `currentInboxId`: the inbox of the conversation on
 * screen (left out); `conversations`: the contact's conversations as far as loaded (the newest
 * one in an inbox carries its templates when nothing is open there).
 */
export function reachSection({ contact, channels, currentInboxId, conversations = [] }) {
  const entries = (channels || []).filter((c) => c.inbox_id !== currentInboxId);
  if (!entries.length) return null;
  const n = ++formIds;
  const radios = entries.map((entry) =>
    h("input", {
      type: "radio",
      name: `reach-inbox-${n}`,
      value: String(entry.inbox_id),
      checked: entries.length === 1,
      "data-channel": entry.channel_type,
    }),
  );
  const options = entries.map((entry, i) =>
    h(
      "label",
      { class: "reach-option", "data-inbox": String(entry.inbox_id) },
      radios[i],
      channelBadge(entry.channel_type),
      h("span", { class: "reach-inbox", text: entry.inbox_name }),
      entry.external_id ? h("span", { class: "muted reach-id", text: entry.external_id }) : null,
      entry.open_conversation_id
        ? h("a", {
            class: "reach-open",
            href: `#/conversations/${entry.open_conversation_id}`,
            text: t("reach.openConversation", { id: entry.open_conversation_id }),
          })
        : null,
    ),
  );
  const text = h("textarea", {
    name: "reach-text",
    class: "reach-text",
    rows: "3",
    maxlength: "10000",
    required: true,
  });
  const subject = h("input", { name: "reach-subject", type: "text", maxlength: "500" });
  const subjectField = labelled(t("reach.subject"), subject);
  const send = h("button", { type: "submit", class: "btn btn-primary", text: t("reach.send") });
  const error = formError();
  const templateHost = h("div", { class: "reach-templates" });
  const chosen = () => {
    const i = radios.findIndex((r) => r.checked);
    return i < 0 ? null : entries[i];
  };
  const showSubject = () => {
    const entry = chosen();
    subjectField.hidden = !entry || entry.channel_type !== "email";
  };
  showSubject();

  const windowClosed = async (entry) => {
    const convId =
      entry.open_conversation_id ||
      (conversations.find((c) => c.inbox_id === entry.inbox_id) || {}).id;
    error.show(t("reach.windowClosed", { channel: channelName(entry.channel_type) }));
    if (!convId) return;
    // The reply window's own note and picker, for that inbox's conversation with the customer.
    const picker = new ReplyWindow({
      onSent: (message) => {
        location.hash = `#/conversations/${message.conversation_id}`;
      },
    });
    mount(templateHost, picker.el);
    await picker.load({ id: convId, inbox_id: entry.inbox_id }, entry.channel_type);
    if (picker.state && !picker.state.templates_supported) {
      error.show(t("reach.windowNoTemplates", { channel: channelName(entry.channel_type) }));
    }
  };

  const onsubmit = async (event) => {
    event.preventDefault();
    error.clear();
    mount(templateHost);
    const entry = chosen();
    if (!entry) return error.show(t("reach.pick"));
    const value = text.value.trim();
    if (!value) return;
    const body = { inbox_id: entry.inbox_id, text: value };
    if (entry.channel_type === "email" && subject.value.trim()) body.subject = subject.value.trim();
    send.disabled = true;
    send.textContent = t("reach.sending");
    try {
      const answer = await reachApi.continueOn(contact.id, body);
      text.value = "";
      toast(t("reach.sent", { channel: channelName(entry.channel_type) }), "ok");
      location.hash = `#/conversations/${answer.conversation.id}`;
    } catch (exc) {
      if (exc && exc.code === "channel_window_closed") await windowClosed(entry);
      else error.show(exc);
    } finally {
      send.disabled = false;
      send.textContent = t("reach.send");
    }
  };

  return h(
    "section",
    { class: "reach", "aria-labelledby": `reach-title-${n}` },
    h("h3", { id: `reach-title-${n}`, text: t("reach.title") }),
    h(
      "form",
      { class: "reach-form", onsubmit, onchange: showSubject },
      h(
        "fieldset",
        { class: "reach-channels" },
        h("legend", { class: "hint", text: t("reach.hint") }),
        options,
      ),
      subjectField,
      labelled(t("reach.message"), text),
      h("div", { class: "form-actions" }, send),
      error.el,
      templateHost,
    ),
  );
}
