// Agent assist in the open conversation: the knowledge-base articles and canned responses most
// relevant to the customer's last message (GET /conversations/{id}/assist), fetched when the
// conversation opens and again when the customer writes; one click puts a suggestion's text in
// the reply box. Server strings are only ever set as text; links open the help centre in a new
// tab. On wide screens it sits in the details sidebar, on narrower ones (where the sidebar is
// hidden) it folds into a strip above the reply box.

import { botApi } from "../api-bot.js";
import { h, mount } from "../dom.js";
import { locale, t } from "../i18n.js";
import { coalesce } from "../live.js";
import { botStyles } from "./bot-settings.js";
import { fillVariables } from "./canned-picker.js";

botStyles();

const NARROW = "(max-width: 1180px)"; // console.css hides the details sidebar below this

/** Only the help centre's own paths and http(s) addresses become links (never javascript:). */
export function safeHref(url) {
  if (typeof url !== "string" || !url) return null;
  if (url.startsWith("/") && !url.startsWith("//")) return url;
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
  } catch {
    return null;
  }
}

/** Put `text` in the reply box: after what the agent already wrote, on its own line. */
export function insertIntoComposer(composer, text) {
  const input = composer.input;
  if (!input || !text) return;
  const current = input.value.replace(/\s+$/, "");
  input.value = current ? `${current}\n${text}` : text;
  input.focus();
  input.setSelectionRange(input.value.length, input.value.length);
}

export class AssistPanel {
  /** `composer`: the thread's Composer; `context()` -> {conv, me} for canned variables. */
  constructor(ctx, composer, context) {
    this.ctx = ctx;
    this.composer = composer;
    this.context = context;
    this.conv = null;
    this.token = 0;
    this.data = null;
    this.language = null;
    this.userToggled = false; // the agent opened or closed it: moving it keeps their choice
    this.autoOpen = true; // what placing it last set
    this.summary = h("summary", { class: "assist-summary" });
    this.body = h("div", { class: "assist-body" });
    this.el = h(
      "details",
      {
        class: "assist",
        open: true,
        ontoggle: () => {
          if (this.el.open !== this.autoOpen) this.userToggled = true;
        },
      },
      this.summary,
      this.body,
    );
    this.strip = h("div", { class: "assist-strip" }); // above the composer (narrow screens)
    this.sideSlot = null;
    this.media = window.matchMedia(NARROW);
    this.media.addEventListener("change", () => this.place());
    this.refresh = coalesce(() => this.load(), 400);
    ctx.bus.on((frame) => this.frame(frame));
  }

  /** Add the panel to the details sidebar (when the screen is wide); returns `details`. */
  inDetails(details, conv) {
    this.sideSlot = details;
    this.show(conv);
    this.place();
    return details;
  }

  place() {
    const narrow = this.media.matches;
    const target = narrow || !this.sideSlot ? this.strip : this.sideSlot;
    if (this.el.parentNode !== target) {
      // In the sidebar: right under the conversation's facts, above followers and the customer.
      const facts = target === this.sideSlot ? target.querySelector(":scope > dl") : null;
      if (facts) facts.after(this.el);
      else target.append(this.el);
      if (!this.userToggled) this.el.open = this.autoOpen = !narrow;
    }
    this.strip.hidden = !this.conv || target !== this.strip;
  }

  /** The thread shows `conv` (opened or updated), or nothing (null). */
  show(conv) {
    const before = this.conv;
    this.conv = conv;
    if (!conv) {
      this.token += 1;
      this.refresh.cancel();
      this.data = null;
      this.userToggled = false;
      mount(this.summary);
      mount(this.body);
      this.strip.hidden = true;
      return;
    }
    if (!before || before.id !== conv.id || this.language !== locale()) {
      this.data = null;
      this.render();
      this.load();
    }
  }

  async load() {
    const conv = this.conv;
    if (!conv) return;
    const token = ++this.token;
    this.language = locale();
    let data;
    try {
      data = await botApi.assist(conv.id);
    } catch (error) {
      data = { failed: error };
    }
    if (token !== this.token || !this.conv || this.conv.id !== conv.id) return;
    this.data = data;
    this.render();
  }

  frame(frame) {
    if (!this.conv) return;
    if (frame.type === "resync") this.refresh();
    else if (frame.type === "message.created" && frame.conversation_id === this.conv.id) {
      if (frame.message && frame.message.kind === "incoming") this.refresh();
    }
  }

  render() {
    const data = this.data;
    const articles = (data && data.articles) || [];
    const canned = (data && data.canned) || [];
    const count = articles.length + canned.length;
    mount(
      this.summary,
      h("span", { class: "assist-title", text: t("assist.title") }),
      data && !data.failed ? h("span", { class: "chip assist-count", text: String(count) }) : null,
    );
    this.el.setAttribute("aria-label", t("assist.title"));
    if (!data) {
      mount(this.body, h("p", { class: "muted", text: t("assist.loading") }));
      return;
    }
    if (data.failed) {
      mount(this.body, h("p", { class: "muted", text: t("assist.unavailable") }));
      return;
    }
    const question = data.message_text || "";
    mount(
      this.body,
      question
        ? h(
            "p",
            { class: "assist-for muted" },
            t("assist.for"),
            " ",
            h("q", { class: "assist-question", text: question.slice(0, 200) }),
          )
        : h("p", { class: "muted", text: t("assist.noMessage") }),
      count ? null : h("p", { class: "muted assist-none", text: t("assist.none") }),
      articles.length
        ? h(
            "div",
            { class: "assist-group" },
            h("h3", { text: t("assist.articles") }),
            h("ul", { class: "assist-list" }, articles.map((a) => this.articleItem(a))),
          )
        : null,
      canned.length
        ? h(
            "div",
            { class: "assist-group" },
            h("h3", { text: t("assist.canned") }),
            h("ul", { class: "assist-list" }, canned.map((c) => this.cannedItem(c))),
          )
        : null,
    );
  }

  insertButton(label, text) {
    return h("button", {
      type: "button",
      class: "btn btn-ghost btn-small assist-insert",
      text: t("assist.insert"),
      "aria-label": t("assist.insertNamed", { title: label }),
      onclick: () => insertIntoComposer(this.composer, text),
    });
  }

  articleItem(article) {
    const href = safeHref(article.url);
    const title = article.title || t("assist.untitled");
    const text = article.insert_text || [article.snippet, href].filter(Boolean).join("\n");
    return h(
      "li",
      { class: "assist-item", "data-kind": "article", "data-id": String(article.article_id) },
      h(
        "p",
        { class: "assist-item-title" },
        href
          ? h("a", { href, target: "_blank", rel: "noopener noreferrer", text: title })
          : h("span", { text: title }),
      ),
      article.snippet ? h("p", { class: "assist-snippet", text: article.snippet }) : null,
      this.insertButton(title, text),
    );
  }

  cannedItem(canned) {
    const title = canned.title || `/${canned.shortcut || ""}`;
    const content = canned.content || "";
    const text = fillVariables(content, this.context());
    return h(
      "li",
      { class: "assist-item", "data-kind": "canned", "data-id": String(canned.canned_id) },
      h(
        "p",
        { class: "assist-item-title" },
        canned.shortcut ? h("span", { class: "canned-shortcut", text: `/${canned.shortcut}` }) : null,
        canned.shortcut ? " " : null,
        h("span", { text: title }),
      ),
      h("p", { class: "assist-snippet", text: content.slice(0, 160) }),
      this.insertButton(title, text),
    );
  }
}
