// Admins and supervisors: the learning loop — questions the bot could not answer (or that ended
// in "talk to a person"), grouped by similarity, for a date range; each group can become a Q&A
// pair in one step (its questions prefilled, one per line, and an answer), after which it shows
// as done.

import { botApi } from "../api-bot.js";
import { clockTime, guard, h, labelled, mount, toast } from "../dom.js";
import { has, LOCALES, t } from "../i18n.js";
import { formActions, formError, selectOf, submitTo } from "./forms.js";
import { botStyles, botTabs } from "./bot-settings.js";

botStyles();

const DAY_MS = 86_400_000;
const isoDate = (date) => {
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 10);
};

/** From / To date inputs (the last 30 days by default), an inbox filter and a Show button. */
export function dateRange(ctx, onChange, { from = null, to = null } = {}) {
  const today = new Date();
  const fromInput = h("input", {
    type: "date",
    name: "from",
    required: true,
    value: from || isoDate(new Date(today.getTime() - 29 * DAY_MS)),
  });
  const toInput = h("input", { type: "date", name: "to", required: true, value: to || isoDate(today) });
  const inbox = selectOf(
    [["", t("queue.allInboxes")], ...ctx.inboxes.map((i) => [String(i.id), i.name])],
    "",
    { name: "inbox_id" },
  );
  const value = () => ({ from: fromInput.value, to: toInput.value, inboxId: inbox.value });
  const el = h(
    "form",
    {
      class: "bot-range",
      "aria-label": t("bot.range"),
      onsubmit: (event) => {
        event.preventDefault();
        onChange(value());
      },
    },
    labelled(t("bot.range.from"), fromInput),
    labelled(t("bot.range.to"), toInput),
    labelled(t("conv.inbox"), inbox),
    h("button", { type: "submit", class: "btn btn-ghost", text: t("bot.range.show") }),
  );
  return { el, value };
}

export function reasonLabel(reason) {
  return has(`bot.reason.${reason}`) ? t(`bot.reason.${reason}`) : reason;
}

export async function renderBotLearning(container, ctx) {
  const results = h("div", { class: "bot-learning-results", "aria-live": "polite" });
  let articles = null; // the optional article of a new Q&A pair: loaded once, on first use
  const loadArticles = async () => {
    if (articles === null) {
      try {
        const page = await botApi.publishedArticles();
        articles = Array.isArray(page) ? page : page.items || [];
      } catch {
        articles = [];
      }
    }
    return articles;
  };
  const show = async (dates) => {
    mount(results, h("p", { class: "muted", text: t("list.loading") }));
    const data = await guard(botApi.unanswered(dates));
    if (!data) {
      mount(results);
      return;
    }
    const groups = data.groups || [];
    mount(
      results,
      groups.length
        ? h(
            "ol",
            { class: "card-list bot-groups" },
            groups.map((group) => groupCard(group, loadArticles)),
          )
        : h("p", { class: "muted bot-groups-empty", text: t("bot.learning.none") }),
    );
  };
  const range = dateRange(ctx, show);
  mount(
    container,
    botTabs(ctx, "bot-learning"),
    h("h1", { text: t("bot.learning.title") }),
    h("p", { class: "muted page-intro", text: t("bot.learning.intro") }),
    range.el,
    results,
  );
  await show(range.value());
}

function groupCard(group, loadArticles) {
  const suggested = group.suggested_qa || { locale: null, questions: [] };
  const examples = group.examples || [];
  const representative = group.representative || suggested.questions[0] || "";
  const questions = suggested.questions.length ? suggested.questions : [representative];
  const count = group.count;
  const locales = Object.keys(group.locales || {});
  const reasons = Object.entries(group.reasons || {}).filter(([, n]) => n);
  const formSlot = h("div", { class: "bot-qa-slot" });
  const status = h("p", { class: "bot-group-done", role: "status", hidden: !group.done });
  status.textContent = group.done ? t("bot.learning.done") : "";
  const card = h(
    "li",
    { class: "card bot-group" + (group.done ? " is-done" : ""), "data-count": String(count) },
    h(
      "div",
      { class: "bot-group-head" },
      h("h2", { class: "card-title bot-group-question", text: representative }),
      h("span", { class: "chip", text: t("bot.learning.count", { n: count }) }),
      locales.map((code) => h("span", { class: "chip", text: code })),
    ),
    reasons.length
      ? h(
          "p",
          { class: "muted bot-group-reasons" },
          reasons.map(([reason, n]) => `${reasonLabel(reason)}: ${n}`).join(" · "),
        )
      : null,
    examples.length
      ? h(
          "ul",
          { class: "bot-examples", "aria-label": t("bot.learning.examples") },
          examples.slice(0, 5).map((example) =>
            h(
              "li",
              {},
              example.conversation_id
                ? h("a", {
                    href: `#/conversations/${encodeURIComponent(example.conversation_id)}`,
                    text: example.question || t("bot.learning.conversation", { id: example.conversation_id }),
                  })
                : h("span", { text: example.question }),
              example.reason ? h("span", { class: "chip", text: reasonLabel(example.reason) }) : null,
              example.created_at ? h("span", { class: "muted", text: ` ${clockTime(example.created_at)}` }) : null,
            ),
          ),
        )
      : null,
    status,
    formSlot,
  );
  const open = h("button", {
    type: "button",
    class: "btn btn-ghost bot-create-qa",
    text: t("bot.learning.create"),
    "aria-expanded": "false",
    hidden: !!group.done,
    onclick: async () => {
      if (formSlot.firstChild) {
        mount(formSlot);
        open.setAttribute("aria-expanded", "false");
        return;
      }
      open.setAttribute("aria-expanded", "true");
      const articles = await loadArticles();
      mount(
        formSlot,
        qaForm(suggested.locale, questions, articles, {
          cancel: () => {
            mount(formSlot);
            open.setAttribute("aria-expanded", "false");
            open.focus();
          },
          created: async () => {
            mount(formSlot);
            await markReviewed(group); // before "done" shows: the report is already updated
            finish(t("bot.learning.done"));
          },
        }),
      );
      formSlot.querySelector("textarea")?.focus();
    },
  });
  const dismiss = h("button", {
    type: "button",
    class: "btn btn-ghost bot-dismiss",
    text: t("bot.learning.dismiss"),
    hidden: !!group.done,
    onclick: async () => {
      if (await markReviewed(group)) finish(t("bot.learning.dismissed"));
    },
  });
  // The group is dealt with: no more buttons, a status line says how.
  const finish = (text) => {
    open.hidden = dismiss.hidden = true;
    card.classList.add("is-done");
    status.textContent = text;
    status.hidden = false;
  };
  card.querySelector(".bot-group-head").append(open, dismiss);
  return card;
}

/** Take the group's questions out of the report (they reappear only if asked again). */
async function markReviewed(group) {
  if (!group.turn_ids || !group.turn_ids.length) return true;
  return !!(await guard(botApi.reviewed(group.turn_ids)));
}

function qaForm(suggestedLocale, questions, articles, { cancel, created }) {
  const error = formError();
  const lines = h("textarea", { name: "questions", rows: String(Math.min(8, questions.length + 1)), maxlength: "6000", required: true });
  lines.value = questions.join("\n");
  const answer = h("textarea", { name: "answer", rows: "4", maxlength: "4000", required: true });
  const lang = selectOf(
    LOCALES.map(([code, name]) => [code, name]),
    suggestedLocale || document.documentElement.lang || "zh-TW",
    { name: "locale" },
  );
  const article = articles.length
    ? selectOf(
        [
          ["", t("bot.learning.noArticle")],
          ...articles.map((a) => [String(a.id), (a.titles && (a.titles[lang.value] || a.titles.en || a.titles["zh-TW"])) || a.slug]),
        ],
        "",
        { name: "article_id" },
      )
    : null;
  const onsubmit = async (event) => {
    event.preventDefault();
    const body = {
      locale: lang.value,
      questions: [...new Set(lines.value.split("\n").map((q) => q.trim()).filter(Boolean))],
      answer: answer.value.trim(),
      article_id: article && article.value ? Number(article.value) : null,
    };
    if (!body.questions.length) return error.show(t("bot.learning.needQuestion"));
    if (!body.answer) return error.show(t("bot.learning.needAnswer"));
    const saved = await submitTo(error, botApi.createQa(body));
    if (!saved) return;
    toast(t("bot.learning.created"), "ok");
    created(saved);
  };
  return h(
    "form",
    { class: "form-card bot-qa-form", onsubmit, "aria-label": t("bot.learning.create") },
    labelled(t("bot.learning.questions"), lines, t("bot.learning.questionsHint")),
    labelled(t("bot.learning.answer"), answer),
    h(
      "div",
      { class: "form-grid" },
      labelled(t("bot.learning.locale"), lang),
      article ? labelled(t("bot.learning.article"), article) : null,
    ),
    formActions({ editing: true, onCancel: cancel, error, submitLabel: t("bot.learning.save") }),
  );
}
