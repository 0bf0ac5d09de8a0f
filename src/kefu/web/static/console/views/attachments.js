// Files in the console: the composer's tray (attach button, paste or drop of files, upload with
// progress, readable refusals), files in the thread (images previewed, a click opens them full
// size; other files as download links with name and size) and the list's "[圖片]" / "[檔案]"
// preview label. The console loads files with its session cookie (same origin): no token in URLs.

import { api, ApiError, csrf } from "../api.js";
import { errorText, h, mount, uuid } from "../dom.js";
import { locale, t } from "../i18n.js";
import { icon } from "../icons.js";

const MAX_FILES = 5;

export function formatSize(bytes) {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  return `${Math.max(1, Math.ceil(bytes / 1024))} KB`;
}

/** The files of one message: images inline (a link to the full size), others to download. */
export function attachmentsView(message) {
  return (message.attachments || []).map((a) => {
    if (a.kind === "image") {
      return h(
        "a",
        {
          class: "attachment attachment-image",
          href: a.url,
          target: "_blank",
          rel: "noopener",
          "aria-label": t("attach.openFull", { name: a.file_name }),
        },
        h("img", {
          src: a.url,
          alt: a.file_name,
          loading: "lazy",
          width: a.width ? String(a.width) : null,
          height: a.height ? String(a.height) : null,
        }),
      );
    }
    return h(
      "a",
      {
        class: "attachment attachment-file",
        href: `${a.url}?download=1`,
        download: a.file_name,
        "aria-label": t("attach.download", { name: a.file_name, size: formatSize(a.size) }),
      },
      h("span", { class: "file-name", text: a.file_name }),
      h("span", { class: "file-size", text: formatSize(a.size) }),
    );
  });
}

/** The list's preview line: "[圖片] text" / "[檔案] report.pdf" / the text. */
export function previewText(conv) {
  const kind = conv.last_message_attachment;
  const text = conv.last_message_preview || "";
  if (!kind) return text;
  return text ? `${t(`preview.${kind}`)} ${text}` : t(`preview.${kind}`);
}

/** What a new message makes of the list's preview (as the server computes it). */
export function previewOf(message) {
  const files = message.attachments || [];
  if (!files.length) return { last_message_preview: message.text, last_message_attachment: null };
  const others = files.filter((a) => a.kind !== "image");
  return {
    last_message_preview: message.text || others.map((a) => a.file_name).join(", "),
    last_message_attachment: others.length ? "file" : "image",
  };
}

function upload(url, form, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("Accept-Language", locale());
    if (csrf()) xhr.setRequestHeader("X-CSRF-Token", csrf());
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    xhr.onload = () => {
      let data = null;
      try {
        data = JSON.parse(xhr.responseText);
      } catch {
        data = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) return resolve(data);
      const err = (data && data.error) || {};
      reject(new ApiError(xhr.status, err.code || `http_${xhr.status}`, err.message || t("err.generic")));
    };
    xhr.onerror = () => reject(new ApiError(0, "network", t("err.network")));
    xhr.send(form);
  });
}

const limits = new Map(); // inbox id -> its attachment settings (size limit), fetched once

/**
 * The composer's files: chosen with the button, pasted or dropped; sent with the text as one
 * message (multipart) when the composer submits. `conversation()` is the open conversation,
 * `onSent(message)` receives the server's message (the socket's copy is deduplicated by seq).
 */
export class AttachmentTray {
  constructor({ conversation, onSent }) {
    this.conversation = conversation;
    this.onSent = onSent;
    this.files = [];
    this.busy = false;
  }

  view() {
    this.files = [];
    this.busy = false;
    this.input = h("input", {
      type: "file",
      multiple: true,
      hidden: true,
      class: "attach-input",
      onchange: () => {
        this.add([...this.input.files]);
        this.input.value = "";
      },
    });
    this.button = h(
      "button",
      {
        type: "button",
        class: "btn btn-ghost attach-button",
        "aria-label": t("attach.button"),
        title: t("attach.button"),
        onclick: () => this.input.click(),
      },
      icon("paperclip", 18),
    );
    this.chips = h("ul", { class: "attach-chips", "aria-label": t("attach.chosen") });
    this.progress = h("progress", { class: "attach-progress", max: "1", value: "0", hidden: true });
    this.error = h("p", { class: "attach-error", role: "alert", hidden: true });
    this.el = h("div", { class: "attach-tray" }, this.button, this.input, this.chips, this.progress, this.error);
    return this.el;
  }

  /** Paste (images from the clipboard) and drop (any files) on the composer. */
  attachTo(form, textarea) {
    textarea.addEventListener("paste", (event) => {
      const files = [...(event.clipboardData?.files || [])];
      if (!files.length) return;
      event.preventDefault();
      this.add(files);
    });
    const hasFiles = (event) => [...(event.dataTransfer?.types || [])].includes("Files");
    form.addEventListener("dragover", (event) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      form.classList.add("is-drop");
    });
    form.addEventListener("dragleave", () => form.classList.remove("is-drop"));
    form.addEventListener("drop", (event) => {
      form.classList.remove("is-drop");
      if (!hasFiles(event)) return;
      event.preventDefault();
      this.add([...event.dataTransfer.files]);
    });
  }

  async limit() {
    const conv = this.conversation();
    if (!conv) return null;
    if (!limits.has(conv.inbox_id)) {
      try {
        limits.set(conv.inbox_id, await api.attachmentSettings(conv.inbox_id));
      } catch {
        return null; // the server checks anyway
      }
    }
    return limits.get(conv.inbox_id);
  }

  async add(files) {
    if (this.busy || !files.length) return;
    this.showError("");
    const settings = await this.limit();
    const accepted = [];
    for (const file of files) {
      if (settings && file.size > settings.max_bytes) {
        this.showError(t("attach.tooLarge", { name: file.name, limit: formatSize(settings.max_bytes) }));
      } else accepted.push(file);
    }
    const room = MAX_FILES - this.files.length;
    if (accepted.length > room) this.showError(t("attach.tooMany", { n: MAX_FILES }));
    this.files.push(...accepted.slice(0, Math.max(0, room)));
    this.renderChips();
  }

  remove(file) {
    this.files = this.files.filter((f) => f !== file);
    this.renderChips();
  }

  renderChips() {
    mount(
      this.chips,
      this.files.map((file) =>
        h(
          "li",
          { class: "attach-chip" },
          h("span", { class: "file-name", text: file.name }),
          h("span", { class: "file-size", text: formatSize(file.size) }),
          h("button", {
            type: "button",
            class: "chip-remove",
            "aria-label": t("attach.remove", { name: file.name }),
            text: "×",
            disabled: this.busy,
            onclick: () => this.remove(file),
          }),
        ),
      ),
    );
  }

  showError(text) {
    this.error.textContent = text;
    this.error.hidden = !text;
  }

  /** Upload the files with `text`; true when the message was sent. */
  async send(text, isPrivate) {
    const conv = this.conversation();
    if (!conv || this.busy || !this.files.length) return false;
    const form = new FormData();
    for (const file of this.files) form.append("files", file, file.name);
    if (text) form.append("text", text);
    form.append("kind", isPrivate ? "note" : "reply");
    form.append("client_msg_id", uuid());
    this.busy = true;
    this.button.disabled = true;
    this.showError("");
    this.progress.hidden = false;
    this.progress.value = 0;
    this.progress.setAttribute("aria-label", t("attach.uploading"));
    this.renderChips();
    try {
      const message = await upload(`/api/v1/conversations/${encodeURIComponent(conv.id)}/attachments`, form, (p) => {
        this.progress.value = p;
      });
      this.files = [];
      this.onSent(message);
      return true;
    } catch (error) {
      this.showError(errorText(error)); // the server's reason: too large, type refused, …
      return false;
    } finally {
      this.busy = false;
      this.button.disabled = false;
      this.progress.hidden = true;
      this.renderChips();
    }
  }
}
