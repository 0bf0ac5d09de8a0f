// Knowledge-base categories (a name per language, an order) and the bot's Q&A pairs (several
// phrasings of one question, one per line, and the answer). Admins and supervisors edit.

import { guard, h, labelled, mount, toast } from "../dom.js";
import { locale, t } from "../i18n.js";
import { formActions, formError, localizedText, selectOf, submitTo } from "./forms.js";
import { categoryName, isEditor, kbApi, kbDeleteButton } from "./kb-api.js";

export async function renderCategories(container, ctx, editingId = null) {
  const categories = await guard(kbApi.categories());
  if (!categories) return;
  const again = (id = null) => renderCategories(container, ctx, id);
  const editing = categories.find((c) => c.id === editingId) || null;
  const rows = categories.map((c) => {
    const [remove, confirmBox] = kbDeleteButton({
      label: t("kb.deleteNamed", { slug: c.slug }),
      question: t("kb.confirmDeleteCategory"),
      remove: () => kbApi.deleteCategory(c.id),
      after: () => again(),
    });
    return h(
      "li",
      { class: "card row-card", "data-slug": c.slug },
      h(
        "div",
        {},
        h("p", { class: "canned-head" }, h("strong", { text: categoryName(c, locale()) })),
        h("p", {
          class: "muted",
          text: `/${c.slug} · ${t("kb.articleCount", { n: c.articles })} · ${Object.values(c.names).join(" / ")}`,
        }),
      ),
      isEditor(ctx)
        ? h(
            "div",
            { class: "rule-buttons" },
            h("button", {
              type: "button",
              class: "btn btn-ghost",
              text: t("admin.edit"),
              "aria-label": t("kb.editNamed", { slug: c.slug }),
              onclick: () => again(c.id),
            }),
            remove,
            confirmBox,
          )
        : null,
    );
  });
  mount(
    container,
    rows.length
      ? h("ul", { class: "card-list", "aria-label": t("kb.categories") }, rows)
      : h("p", { class: "muted", text: t("kb.noCategories") }),
    isEditor(ctx) ? categoryForm(editing, again) : null,
  );
}

function categoryForm(category, again) {
  const slug = h("input", {
    required: true,
    maxlength: "80",
    pattern: "[a-z0-9]+(-[a-z0-9]+)*",
    value: category?.slug || "",
  });
  const position = h("input", {
    type: "number",
    min: "-100000",
    max: "100000",
    value: String(category?.position ?? 0),
  });
  const names = localizedText(t("kb.categoryName"), category?.names, { rows: 1, maxlength: "80" });
  const error = formError();
  const onsubmit = async (event) => {
    event.preventDefault();
    const body = { slug: slug.value.trim(), names: names.value(), position: Number(position.value) || 0 };
    const saved = await submitTo(
      error,
      category ? kbApi.updateCategory(category.id, body) : kbApi.createCategory(body),
    );
    if (!saved) return;
    toast(category ? t("admin.saved") : t("admin.created"), "ok");
    await again();
  };
  return h(
    "form",
    { class: "card form-card", onsubmit, "aria-labelledby": "kb-cat-title" },
    h("h2", { id: "kb-cat-title", text: category ? t("kb.editNamed", { slug: category.slug }) : t("kb.newCategory") }),
    h("div", { class: "form-grid" }, labelled(t("kb.slug"), slug, t("kb.slugHint")), labelled(t("kb.position"), position)),
    names.el,
    formActions({ editing: !!category, onCancel: () => again(), error }),
  );
}

export async function renderPairs(container, ctx, editingId = null, query = "") {
  const [pairs, page] = await Promise.all([
    guard(kbApi.pairs(query)),
    guard(kbApi.articles({ limit: 200 })),
  ]);
  if (!pairs || !page) return;
  const again = (id = null, q = query) => renderPairs(container, ctx, id, q);
  const editing = pairs.find((p) => p.id === editingId) || null;
  const lang = locale();
  const titles = new Map(
    page.items.map((a) => [a.id, a.titles[lang] || Object.values(a.titles)[0] || a.slug]),
  );
  const search = h("input", { type: "search", maxlength: "200", value: query });
  const rows = pairs.map((p) => {
    const [remove, confirmBox] = kbDeleteButton({
      label: t("kb.deletePair", { q: p.questions[0] }),
      question: t("kb.confirmDeletePair"),
      remove: () => kbApi.deletePair(p.id),
      after: () => again(),
    });
    return h(
      "li",
      { class: "card row-card kb-pair" },
      h(
        "div",
        {},
        h(
          "p",
          { class: "canned-head" },
          h("strong", { text: p.questions[0] }),
          " ",
          h("span", { class: "chip", text: p.locale }),
          p.enabled ? null : h("span", { class: "chip", text: t("kb.disabled") }),
        ),
        p.questions.length > 1
          ? h("p", { class: "muted", text: p.questions.slice(1).join(" / ") })
          : null,
        h("p", { class: "canned-content", text: p.answer }),
        p.article_id
          ? h("p", { class: "muted" }, t("kb.linkedArticle"), " ",
              h("a", { href: `#/kb/${p.article_id}`, text: titles.get(p.article_id) || `#${p.article_id}` }))
          : null,
      ),
      isEditor(ctx)
        ? h(
            "div",
            { class: "rule-buttons" },
            h("button", {
              type: "button",
              class: "btn btn-ghost",
              text: t("admin.edit"),
              "aria-label": t("kb.editPair", { q: p.questions[0] }),
              onclick: () => again(p.id),
            }),
            remove,
            confirmBox,
          )
        : null,
    );
  });
  mount(
    container,
    h(
      "form",
      {
        class: "kb-filters form-actions",
        role: "search",
        onsubmit: (event) => {
          event.preventDefault();
          again(null, search.value.trim());
        },
      },
      labelled(t("kb.searchPairs"), search),
      h("button", { type: "submit", class: "btn", text: t("kb.filter") }),
    ),
    rows.length
      ? h("ul", { class: "card-list", "aria-label": t("kb.qa") }, rows)
      : h("p", { class: "muted", text: t("kb.noPairs") }),
    isEditor(ctx) ? pairForm(editing, page.items, again) : null,
  );
}

function pairForm(pair, articles, again) {
  const lang = selectOf([["zh-TW", "繁體中文"], ["en", "English"]], pair?.locale || locale());
  const questions = h("textarea", { rows: "5", required: true });
  questions.value = (pair?.questions || []).join("\n");
  const answer = h("textarea", { rows: "4", required: true, maxlength: "4000" });
  answer.value = pair?.answer || "";
  const ui = locale();
  const article = selectOf(
    [["", t("kb.noArticle")], ...articles.map((a) => [String(a.id), a.titles[ui] || Object.values(a.titles)[0] || a.slug])],
    pair?.article_id ?? "",
  );
  const enabled = h("input", { type: "checkbox", checked: pair ? pair.enabled : true });
  const error = formError();
  const onsubmit = async (event) => {
    event.preventDefault();
    const body = {
      locale: lang.value,
      questions: questions.value.split("\n").map((q) => q.trim()).filter(Boolean),
      answer: answer.value,
      article_id: article.value ? Number(article.value) : null,
      enabled: enabled.checked,
    };
    const saved = await submitTo(error, pair ? kbApi.updatePair(pair.id, body) : kbApi.createPair(body));
    if (!saved) return;
    toast(pair ? t("admin.saved") : t("admin.created"), "ok");
    await again();
  };
  return h(
    "form",
    { class: "card form-card kb-pair-form", onsubmit, "aria-labelledby": "kb-pair-title" },
    h("h2", { id: "kb-pair-title", text: pair ? t("kb.editPair", { q: pair.questions[0] }) : t("kb.newPair") }),
    h("div", { class: "form-grid" }, labelled(t("kb.locale"), lang), labelled(t("kb.article"), article)),
    labelled(t("kb.questions"), questions, t("kb.questionsHint")),
    labelled(t("kb.answer"), answer),
    h("label", { class: "check" }, enabled, " ", t("kb.enabled")),
    formActions({ editing: !!pair, onCancel: () => again(), error }),
  );
}
