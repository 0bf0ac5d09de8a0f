// The Knowledge base page: articles (list with filters, editor), categories and the bot's Q&A
// pairs. Admins and supervisors edit; agents read. #/kb, #/kb/new, #/kb/<id>, #/kb/categories,
// #/kb/qa. Everything from the server is shown as text.

import { guard, h, labelled, mount } from "../dom.js";
import { locale, t } from "../i18n.js";
import { selectOf } from "./forms.js";
import { renderCategories, renderPairs } from "./kb-admin.js";
import { renderArticleEditor } from "./kb-editor.js";
import { categoryName, isEditor, kbApi } from "./kb-api.js";

const PAGE_SIZE = 50;

export async function renderKb(container, ctx, arg = null) {
  const tab = arg === "categories" || arg === "qa" ? arg : "articles";
  const body = h("div", { class: "kb-body" });
  mount(
    container,
    h("h1", { text: t("kb.title") }),
    h("p", { class: "muted page-intro", text: isEditor(ctx) ? t("kb.intro") : t("kb.introRead") }),
    h(
      "nav",
      { class: "tabs kb-tabs", "aria-label": t("kb.sections") },
      [
        ["articles", "#/kb", t("kb.articles")],
        ["categories", "#/kb/categories", t("kb.categories")],
        ["qa", "#/kb/qa", t("kb.qa")],
      ].map(([key, href, label]) =>
        h("a", {
          href,
          class: "btn btn-ghost tab",
          "aria-current": key === tab ? "page" : null,
          text: label,
        }),
      ),
    ),
    body,
  );
  if (tab === "categories") return renderCategories(body, ctx);
  if (tab === "qa") return renderPairs(body, ctx);
  if (arg === "new" || /^\d+$/.test(arg || "")) {
    return renderArticleEditor(body, ctx, arg === "new" ? null : Number(arg));
  }
  return renderArticles(body, ctx);
}

const filters = { status: "", category_id: "", locale: "", q: "", offset: 0 };

async function renderArticles(container, ctx) {
  const categories = await guard(kbApi.categories());
  if (!categories) return;
  const results = h("div", { class: "kb-results" });
  const status = selectOf(
    [["", t("kb.anyStatus")], ["published", t("kb.published")], ["draft", t("kb.draft")]],
    filters.status,
  );
  const category = selectOf(
    [["", t("kb.anyCategory")], ...categories.map((c) => [String(c.id), categoryName(c, locale())])],
    filters.category_id,
  );
  const lang = selectOf(
    [["", t("kb.anyLocale")], ["zh-TW", "繁體中文"], ["en", "English"]],
    filters.locale,
  );
  const q = h("input", { type: "search", maxlength: "200", value: filters.q });
  const reload = async () => {
    Object.assign(filters, {
      status: status.value,
      category_id: category.value,
      locale: lang.value,
      q: q.value.trim(),
    });
    await listArticles(results, ctx, categories);
  };
  const onchange = () => {
    filters.offset = 0;
    reload();
  };
  for (const control of [status, category, lang]) control.addEventListener("change", onchange);
  mount(
    container,
    h(
      "form",
      {
        class: "card form-card kb-filters",
        role: "search",
        onsubmit: (event) => {
          event.preventDefault();
          onchange();
        },
      },
      h(
        "div",
        { class: "form-grid" },
        labelled(t("kb.search"), q),
        labelled(t("kb.status"), status),
        labelled(t("kb.category"), category),
        labelled(t("kb.locale"), lang),
      ),
      h(
        "div",
        { class: "form-actions" },
        h("button", { type: "submit", class: "btn", text: t("kb.filter") }),
        isEditor(ctx)
          ? h("a", { href: "#/kb/new", class: "btn btn-primary", text: t("kb.newArticle") })
          : null,
      ),
    ),
    results,
  );
  await reload();
}

async function listArticles(container, ctx, categories) {
  const page = await guard(kbApi.articles({ ...filters, limit: PAGE_SIZE }));
  if (!page) return;
  const byId = new Map(categories.map((c) => [c.id, c]));
  const lang = locale();
  const rows = page.items.map((a) => {
    const title = a.titles[lang] || a.titles[lang === "en" ? "zh-TW" : "en"] || a.slug;
    const cat = byId.get(a.category_id);
    return h(
      "li",
      { class: "card row-card kb-article", "data-slug": a.slug },
      h(
        "div",
        {},
        h(
          "p",
          { class: "canned-head" },
          h("a", { href: `#/kb/${a.id}`, text: title }),
          " ",
          h("span", {
            class: a.status === "published" ? "chip chip-tag" : "chip",
            text: a.status === "published" ? t("kb.published") : t("kb.draft"),
          }),
          Object.keys(a.titles).map((l) => h("span", { class: "chip", text: l })),
        ),
        h("p", {
          class: "muted",
          text: [
            cat ? categoryName(cat, lang) : t("kb.noCategory"),
            `/${a.slug}`,
            t("kb.stats", { views: a.views, yes: a.helpful_yes, no: a.helpful_no }),
          ].join(" · "),
        }),
      ),
    );
  });
  const pager = h(
    "div",
    { class: "form-actions" },
    h("span", {
      class: "muted",
      text: t("kb.showing", {
        from: page.total ? filters.offset + 1 : 0,
        to: filters.offset + page.items.length,
        total: page.total,
      }),
    }),
    filters.offset > 0
      ? h("button", {
          type: "button",
          class: "btn btn-ghost",
          text: t("kb.previous"),
          onclick: () => {
            filters.offset = Math.max(0, filters.offset - PAGE_SIZE);
            listArticles(container, ctx, categories);
          },
        })
      : null,
    filters.offset + page.items.length < page.total
      ? h("button", {
          type: "button",
          class: "btn btn-ghost",
          text: t("kb.next"),
          onclick: () => {
            filters.offset += PAGE_SIZE;
            listArticles(container, ctx, categories);
          },
        })
      : null,
  );
  mount(
    container,
    rows.length
      ? h("ul", { class: "card-list", "aria-label": t("kb.articles") }, rows)
      : h("p", { class: "muted", text: t("kb.noArticles") }),
    pager,
  );
}
