// Admin: inboxes — create / edit (name, greeting, colour, allowed origins, team, members), the
// embed snippet with a Copy button, and a link to each inbox's routing settings.

import { api } from "../api.js";
import { guard, h, labelled, mount, toast } from "../dom.js";
import { t } from "../i18n.js";
import { formActions, selectOf } from "./forms.js";
import { identitySettings } from "./identity-settings.js";
import { memberPicker } from "./members.js";
import { surveySettingsCard } from "./surveys.js";
import { channelBadge, channelFields, channelTypeSelect, webhookBox } from "../channels.js";

export async function renderInboxes(container, ctx, editingId = null) {
  const [inboxes, users, teams] = await Promise.all([
    guard(api.inboxes()),
    guard(api.users()),
    guard(api.teams()),
  ]);
  if (!inboxes || !users || !teams) return;
  ctx.inboxes = inboxes;
  const editing = inboxes.find((inbox) => inbox.id === editingId) || null;
  const snippetHost = h("div", { class: "snippet-host" });
  mount(
    container,
    h("h1", { text: t("admin.inboxes") }),
    h(
      "ul",
      { class: "card-list" },
      inboxes.map((inbox) =>
        h(
          "li",
          { class: "card row-card", "data-inbox": String(inbox.id) },
          h("span", { class: "swatch", "data-color": inbox.color, "aria-hidden": "true" }),
          h(
            "div",
            { class: "grow" },
            h("h2", { class: "card-title" }, inbox.name, " ", channelBadge(inbox.channel_type)),
            h("p", { class: "muted", text: inbox.allowed_origins.join(" ") || "—" }),
          ),
          h("button", {
            type: "button",
            class: "btn btn-ghost",
            "aria-label": `${t("admin.embed")}: ${inbox.name}`,
            text: t("admin.embed"),
            onclick: () => showSnippet(snippetHost, inbox),
          }),
          h("a", {
            class: "btn btn-ghost",
            href: `#/routing/${inbox.id}`,
            "aria-label": `${t("routing.title")}: ${inbox.name}`,
            text: t("routing.title"),
          }),
          h("a", {
            class: "btn btn-ghost",
            href: `#/attachments/${inbox.id}`,
            "aria-label": `${t("attachSettings.link")}: ${inbox.name}`,
            text: t("attachSettings.link"),
          }),
          h("button", {
            type: "button",
            class: "btn btn-ghost",
            "aria-label": `${t("admin.edit")}: ${inbox.name}`,
            text: t("admin.edit"),
            onclick: () => renderInboxes(container, ctx, inbox.id),
          }),
        ),
      ),
    ),
    snippetHost,
    inboxForm(container, ctx, users, teams, editing),
    editing ? surveySettingsCard(editing) : null,
  );
  // The CSP forbids inline styles in markup; colours are set through the CSSOM instead.
  for (const swatch of container.querySelectorAll(".swatch")) {
    swatch.style.backgroundColor = swatch.dataset.color;
  }
}

async function showSnippet(host, inbox) {
  const embed = await guard(api.embed(inbox.id));
  if (!embed) return;
  const area = h("textarea", {
    id: "embed-snippet",
    class: "code",
    rows: "3",
    readOnly: true,
    value: embed.snippet,
  });
  const copy = async () => {
    area.focus();
    area.select();
    try {
      await navigator.clipboard.writeText(embed.snippet);
    } catch {
      document.execCommand("copy"); // fallback: the text is selected for a manual copy too
    }
    toast(t("admin.copied"), "ok");
  };
  mount(
    host,
    h(
      "div",
      { class: "card snippet" },
      labelled(`${t("admin.embed")}: ${inbox.name}`, area),
      h("button", { type: "button", class: "btn btn-primary", text: t("admin.copy"), onclick: copy }),
      identitySettings(inbox, embed.snippet),
    ),
  );
  area.select();
}

function inboxForm(container, ctx, users, teams, inbox) {
  const name = h("input", { name: "name", required: true, maxlength: "100", value: inbox?.name || "" });
  const greeting = h("textarea", { name: "greeting", rows: "2", maxlength: "1000" });
  greeting.value = inbox?.greeting || "";
  const color = h("input", { name: "color", type: "color", value: inbox?.color || "#1f6feb" });
  const origins = h("textarea", {
    name: "allowed_origins",
    rows: "3",
    placeholder: "https://shop.example.com",
  });
  origins.value = (inbox?.allowed_origins || []).join("\n");
  const team = h(
    "select",
    { name: "team" },
    h("option", { value: "" }, t("admin.noTeam")),
    teams.map((tm) =>
      h("option", { value: String(tm.id), selected: inbox?.team_id === tm.id }, tm.name),
    ),
  );
  // Who sees and answers what (only when editing: a new inbox starts open to all its members).
  const visibility = selectOf(
    [
      ["all", t("admin.visibilityAll")],
      ["own", t("admin.visibilityOwn")],
    ],
    inbox?.agent_visibility || "all",
    { name: "agent_visibility" },
  );
  const replies = selectOf(
    [
      ["anyone", t("admin.replyAnyone")],
      ["assignee", t("admin.replyAssignee")],
    ],
    inbox?.reply_permission || "anyone",
    { name: "reply_permission" },
  );
  // The channel (chosen when creating; channels.js): its settings and write-only secrets.
  let channelType = inbox ? inbox.channel_type || "web" : "web";
  let channel = channelFields(channelType, inbox);
  const channelHost = h("div", { class: "channel-host" }, channel.el);
  const typeSelect = inbox
    ? null
    : channelTypeSelect((type) => {
        channelType = type;
        channel = channelFields(type, null);
        mount(channelHost, channel.el);
        originsField.hidden = type !== "web";
      });
  const originsField = labelled(t("admin.origins"), origins);
  originsField.hidden = channelType !== "web";
  const members = memberPicker(
    t("admin.members"),
    users.filter((u) => u.is_active),
    inbox ? inbox.member_ids : [],
  );
  const onsubmit = async (event) => {
    event.preventDefault();
    const body = {
      name: name.value.trim(),
      greeting: greeting.value,
      color: color.value,
      allowed_origins: origins.value
        .split("\n")
        .map((line) => line.trim())
        .filter(Boolean),
      team_id: team.value ? Number(team.value) : null,
      member_ids: members.value(),
    };
    if (channelType !== "web") Object.assign(body, channel.values());
    if (!inbox && channelType !== "web") body.channel_type = channelType;
    if (inbox) {
      body.agent_visibility = visibility.value;
      body.reply_permission = replies.value;
    }
    const saved = await guard(inbox ? api.updateInbox(inbox.id, body) : api.createInbox(body));
    if (!saved) return;
    toast(inbox ? t("admin.saved") : t("admin.created"), "ok");
    // A new channel inbox opens for editing: its webhook URL is what the admin needs next.
    await renderInboxes(container, ctx, !inbox && channelType !== "web" ? saved.id : null);
  };
  const title = inbox ? `${t("admin.edit")}: ${inbox.name}` : t("admin.newInbox");
  return h(
    "form",
    { class: "card form-card", onsubmit, "aria-labelledby": "inbox-form-title" },
    h("h2", { id: "inbox-form-title", text: title }),
    inbox ? webhookBox(inbox) : null,
    h(
      "div",
      { class: "form-grid" },
      typeSelect ? labelled(t("channel.type"), typeSelect) : null,
      labelled(t("admin.name"), name),
      labelled(t("admin.team"), team),
      labelled(t("admin.greeting"), greeting),
      originsField,
      labelled(t("admin.color"), color),
      inbox ? labelled(t("admin.visibility"), visibility) : null,
      inbox ? labelled(t("admin.replies"), replies) : null,
    ),
    channelHost,
    members.el,
    formActions({ editing: !!inbox, onCancel: () => renderInboxes(container, ctx) }),
  );
}
