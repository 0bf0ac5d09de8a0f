// Export one conversation as a self-contained HTML file (a download), internal notes only when
// the agent asks for them.

import { h } from "../dom.js";
import { t } from "../i18n.js";
import { checkbox } from "./forms.js";

export function exportUrl(conversationId, withNotes) {
  const q = withNotes ? "?include_notes=true" : "";
  return `/api/v1/conversations/${encodeURIComponent(conversationId)}/transcript${q}`;
}

export function openExportDialog(conv) {
  const opener = document.activeElement;
  const notes = checkbox(t("export.notes"), false, { name: "include_notes" });
  const link = h("a", {
    class: "btn btn-primary",
    href: exportUrl(conv.id, false),
    download: `conversation-${conv.id}.html`,
    text: t("export.download"),
  });
  notes.input.addEventListener("change", () => {
    link.href = exportUrl(conv.id, notes.input.checked);
  });
  const dialog = h("dialog", { class: "dialog", "aria-labelledby": "export-title" });
  const close = () => dialog.close();
  link.addEventListener("click", () => setTimeout(close, 0));
  dialog.append(
    h(
      "div",
      { class: "dialog-form" },
      h("h2", { id: "export-title", text: t("export.title") }),
      h("p", { class: "hint", text: t("export.hint") }),
      notes.el,
      h(
        "div",
        { class: "form-actions" },
        link,
        h("button", { type: "button", class: "btn btn-ghost", text: t("admin.cancel"), onclick: close }),
      ),
    ),
  );
  dialog.addEventListener("close", () => {
    dialog.remove();
    (opener && opener.isConnected ? opener : document.getElementById("main"))?.focus();
  });
  document.body.append(dialog);
  dialog.showModal();
}
