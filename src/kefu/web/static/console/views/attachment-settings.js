// Admin: one inbox's file settings — whether customers may send files, the size limit per file
// (bounded by the server's cap) and the allowed types (grouped: images, PDF, text, Office, ZIP).

import { api } from "../api.js";
import { guard, h, labelled, mount, toast } from "../dom.js";
import { t } from "../i18n.js";
import { formatSize } from "./attachments.js";
import { checkbox, formActions, formError, selectOf, submitTo } from "./forms.js";

const MB = 1024 * 1024;
// The types kefu knows (kefu/attachments/catalogue.py), by group, with a short label.
const GROUPS = [
  ["image", [["image/png", "PNG"], ["image/jpeg", "JPEG"], ["image/gif", "GIF"], ["image/webp", "WebP"]]],
  ["pdf", [["application/pdf", "PDF"]]],
  ["text", [["text/plain", "TXT"], ["text/csv", "CSV"]]],
  [
    "office",
    [
      ["application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word (.docx)"],
      ["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel (.xlsx)"],
      ["application/vnd.openxmlformats-officedocument.presentationml.presentation", "PowerPoint (.pptx)"],
      ["application/msword", "Word 97–2003 (.doc)"],
      ["application/vnd.ms-excel", "Excel 97–2003 (.xls)"],
      ["application/vnd.ms-powerpoint", "PowerPoint 97–2003 (.ppt)"],
      ["application/vnd.oasis.opendocument.text", "OpenDocument (.odt)"],
      ["application/vnd.oasis.opendocument.spreadsheet", "OpenDocument (.ods)"],
      ["application/vnd.oasis.opendocument.presentation", "OpenDocument (.odp)"],
    ],
  ],
  ["archive", [["application/zip", "ZIP"]]],
];

export async function renderAttachmentSettings(container, ctx, inboxId) {
  const inboxes = await guard(api.inboxes());
  if (!inboxes) return;
  const inbox = inboxes.find((i) => i.id === inboxId) || inboxes[0];
  if (!inbox) {
    mount(container, h("h1", { text: t("attachSettings.link") }), h("p", { text: t("routing.noInboxes") }));
    return;
  }
  const settings = await guard(api.attachmentSettings(inbox.id));
  if (!settings) return;
  const picker = selectOf(
    inboxes.map((i) => [String(i.id), i.name]),
    String(inbox.id),
    { id: "attach-inbox", onchange: () => (location.hash = `#/attachments/${picker.value}`) },
  );
  mount(
    container,
    h(
      "div",
      { class: "page-head" },
      h("h1", { text: t("attachSettings.title", { name: inbox.name }) }),
      h("div", { class: "inline-field" }, h("label", { for: "attach-inbox", text: t("conv.inbox") }), picker),
    ),
    settingsForm(container, ctx, inbox, settings),
  );
}

function settingsForm(container, ctx, inbox, settings) {
  const error = formError();
  const customers = checkbox(t("attachSettings.customerUploads"), settings.customer_uploads, {
    name: "customer_uploads",
  });
  const capMb = Math.floor((settings.hard_cap_bytes / MB) * 10) / 10;
  const maxMb = h("input", {
    type: "number",
    name: "max_mb",
    min: "0.1",
    max: String(capMb),
    step: "0.1",
    required: true,
    value: String(Math.round((settings.max_bytes / MB) * 10) / 10),
  });
  const chosen = new Set(settings.allowed_types);
  const boxes = [];
  const groups = GROUPS.map(([group, types]) =>
    h(
      "fieldset",
      { class: "members attach-types" },
      h("legend", { text: t(`attachGroup.${group}`) }),
      types
        .filter(([mime]) => settings.supported_types.includes(mime))
        .map(([mime, label]) => {
          const box = checkbox(label, chosen.has(mime), { value: mime, name: "allowed_types" });
          boxes.push(box);
          return box.el;
        }),
    ),
  );
  const onsubmit = async (event) => {
    event.preventDefault();
    const allowed = boxes.filter((b) => b.input.checked).map((b) => b.input.value);
    if (!allowed.length) return error.show(t("attachSettings.noTypes"));
    const body = {
      customer_uploads: customers.input.checked,
      max_bytes: Math.round(Number(maxMb.value) * MB),
      allowed_types: allowed,
    };
    const saved = await submitTo(error, api.updateAttachmentSettings(inbox.id, body));
    if (!saved) return;
    toast(t("admin.saved"), "ok");
    await renderAttachmentSettings(container, ctx, inbox.id);
  };
  return h(
    "form",
    { class: "card form-card", onsubmit, "aria-label": t("attachSettings.title", { name: inbox.name }) },
    customers.el,
    labelled(t("attachSettings.maxMb"), maxMb, t("attachSettings.cap", { limit: formatSize(settings.hard_cap_bytes), n: settings.max_files })),
    h("p", { class: "hint", text: t("attachSettings.typesHint") }),
    groups,
    formActions({ editing: false, error, submitLabel: t("admin.save") }),
  );
}
