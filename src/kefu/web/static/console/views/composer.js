// The reply box: Reply / Internal note toggle, Enter sends, Shift+Enter adds a line, and
// throttled typing frames (on at most every 3 s while typing, off after 5 s idle or on send).

import { h } from "../dom.js";
import { t } from "../i18n.js";

const TYPING_EVERY_MS = 3000;
const TYPING_IDLE_MS = 5000;

export class Composer {
  constructor({ onSend, onTyping }) {
    this.onSend = onSend;
    this.onTyping = onTyping;
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
      this.input,
      h(
        "div",
        { class: "composer-foot" },
        h("button", { type: "submit", class: "btn btn-primary", text: t("composer.send") }),
      ),
    );
    for (const addon of this.addons) addon.mount(this.el, this.input);
    return this.el;
  }

  setMode(isPrivate) {
    this.stopTyping();
    this.private = isPrivate;
    this.el.classList.toggle("is-note", isPrivate);
    for (const button of this.modes) {
      button.setAttribute("aria-pressed", String((button.dataset.mode === "note") === isPrivate));
    }
    this.input.placeholder = t(isPrivate ? "composer.notePlaceholder" : "composer.placeholder");
    this.input.focus();
  }

  keydown(event) {
    if (this.addons.some((addon) => addon.keydown(event))) return;
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      this.submit();
    }
  }

  submit() {
    const text = this.input.value.trim();
    if (!text) return;
    this.stopTyping();
    this.input.value = "";
    this.onSend(text, this.private);
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
