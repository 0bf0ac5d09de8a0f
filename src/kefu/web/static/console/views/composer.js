// The reply box: Reply / Internal note toggle, Enter sends, Shift+Enter adds a line, and
// throttled typing frames (on at most every 3 s while typing, off after 5 s idle or on send).

import { h } from "../dom.js";
import { t } from "../i18n.js";
import { MentionPicker } from "./mentions.js";

const TYPING_EVERY_MS = 3000;
const TYPING_IDLE_MS = 5000;

export class Composer {
  constructor({ onSend, onTyping, mentions = null, self = () => null, tray = null }) {
    this.onSend = onSend;
    this.onTyping = onTyping;
    this.mentions = mentions; // () => the conversation's @mention candidates (notes only)
    this.self = self; // the signed-in agent's id (not offered for mentions)
    this.tray = tray; // files (views/attachments.js)
    this.private = false;
    this.typingSentAt = 0;
    this.typingOn = false;
    this.idleTimer = null;
    // Add-ons (the "/" canned-response picker): mount(form, input), input(), keydown(event)
    // -> true when they handled the key, blur().
    this.addons = [];
  }

  view() {
    this.modes = ["reply", "note"].map((mode) =>
      h("button", {
        type: "button",
        class: "mode",
        "data-mode": mode,
        "aria-pressed": String((mode === "note") === this.private),
        text: t(`composer.${mode}`),
        onclick: () => this.setMode(mode === "note"),
      }),
    );
    this.input = h("textarea", {
      id: "composer-input",
      rows: "3",
      placeholder: t(this.private ? "composer.notePlaceholder" : "composer.placeholder"),
      onkeydown: (event) => this.keydown(event),
      oninput: () => {
        this.typing();
        for (const addon of this.addons) addon.input();
      },
      onblur: () => {
        this.stopTyping();
        for (const addon of this.addons) addon.blur();
      },
    });
    this.picker = this.mentions
      ? new MentionPicker(this.input, this.mentions, () => this.private, this.self)
      : null;
    this.el = h(
      "form",
      {
        class: "composer" + (this.private ? " is-note" : ""),
        onsubmit: (event) => {
          event.preventDefault();
          this.submit();
        },
      },
      h("div", { class: "modes", role: "group", "aria-label": t("composer.mode") }, this.modes),
      h("label", { for: "composer-input", class: "sr-only", text: t("composer.label") }),
      this.picker ? this.picker.el : null,
      this.input,
      h(
        "div",
        { class: "composer-foot" },
        this.tray ? this.tray.view() : null,
        h("button", { type: "submit", class: "btn btn-primary", text: t("composer.send") }),
      ),
    );
    if (this.tray) this.tray.attachTo(this.el, this.input);
    for (const addon of this.addons) addon.mount(this.el, this.input);
    return this.el;
  }

  /** In an inbox where only the assignee answers customers, others write internal notes. */
  setReplyAllowed(allowed) {
    if (!this.el) return;
    const reply = this.modes.find((button) => button.dataset.mode === "reply");
    reply.disabled = !allowed;
    reply.title = allowed ? "" : t("composer.assigneeOnly");
    if (!allowed && !this.private) this.setMode(true, { focus: false });
  }

  setMode(isPrivate, { focus = true } = {}) {
    this.stopTyping();
    this.private = isPrivate;
    this.el.classList.toggle("is-note", isPrivate);
    for (const button of this.modes) {
      button.setAttribute("aria-pressed", String((button.dataset.mode === "note") === isPrivate));
    }
    this.input.placeholder = t(isPrivate ? "composer.notePlaceholder" : "composer.placeholder");
    if (focus) this.input.focus();
  }

  keydown(event) {
    if (this.picker && this.picker.keydown(event)) return;
    if (this.addons.some((addon) => addon.keydown(event))) return;
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      this.submit();
    }
  }

  submit() {
    const text = this.input.value.trim();
    if (this.tray && this.tray.files.length) return this.sendFiles(text);
    if (!text) return;
    this.stopTyping();
    this.input.value = "";
    const mentions = this.picker && this.private ? this.picker.collect(text) : [];
    if (this.picker) this.picker.reset();
    this.onSend(text, this.private, mentions);
    this.input.focus();
  }

  /** Files (and the text with them) go as one message over HTTP; the text comes back on failure. */
  async sendFiles(text) {
    this.stopTyping();
    this.input.value = "";
    const sent = await this.tray.send(text, this.private);
    if (!sent && !this.input.value) this.input.value = text;
    this.input.focus();
  }

  typing() {
    const now = Date.now();
    if (!this.typingOn || now - this.typingSentAt > TYPING_EVERY_MS) {
      this.typingOn = true;
      this.typingSentAt = now;
      this.onTyping(true, this.private);
    }
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.stopTyping(), TYPING_IDLE_MS);
  }

  stopTyping() {
    clearTimeout(this.idleTimer);
    if (!this.typingOn) return;
    this.typingOn = false;
    this.onTyping(false, this.private);
  }
}
