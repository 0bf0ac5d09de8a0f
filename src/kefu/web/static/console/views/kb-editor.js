// The article editor: slug, category, and a title + Markdown body per language; save, publish /
// unpublish, delete, and a preview rendered by the server (the help centre's own sanitised
// HTML, shown in a sandboxed frame: no script runs and nothing reaches the console's page).

import { guard, h, labelled, mount, toast } from "../dom.js";
import { LOCALES, locale, t } from "../i18n.js";
import { formActions, formError, selectOf, submitTo } from "./forms.js";
import { categoryName, isEditor, kbApi, kbDeleteButton } from "./kb-api.js";

export async function renderArticleEditor(container, ctx, articleId) {
  const [categories, article] = await Promise.all([
    guard(kbApi.categories()),
    articleId ? guard(kbApi.article(articleId)) : Promise.resolve(null),
  ]);
  if (!categories || (articleId && !article)) return;
  const editable = isEditor(ctx);
  const reopen = (id) => {
    if (String(id) === String(articleId)) renderArticleEditor(container, ctx, id);
    else location.hash = `#/kb/${id}`;
  };
  const slug = h("input", {
    name: "slug",
    required: true,
    maxlength: "120",
    pattern: "[a-z0-9]+(-[a-z0-9]+)*",
    value: article?.slug || "",
    disabled: !editable,
  });
  const category = selectOf(
    [["", t("kb.noCategory")], ...categories.map((c) => [String(c.id), categoryName(c, locale())])],
    article?.category_id ?? "",
    { name: "category", disabled: !editable },
  );
  const position = h("input", {
    name: "position",
    type: "number",
    min: "-100000",
    max: "100000",
    value: String(article?.position ?? 0),
    disabled: !editable,
  });
  const versions = LOCALES.map(([lang, langName]) => versionFields(lang, langName, article, editable));
  const error = formError();
  const onsubmit = async (event) => {
    event.preventDefault();
    const locales = {};
    for (const v of versions) {
      const title = v.title.value.trim();
      if (title) locales[v.lang] = { title, body: v.body.value };
      else if (article && article.locales[v.lang]) locales[v.lang] = null; // removed
    }
    const body = {
      slug: slug.value.trim(),
      category_id: category.value ? Number(category.value) : null,
      position: Number(position.value) || 0,
      locales,
    };
    const saved = await submitTo(
      error,
      article ? kbApi.updateArticle(article.id, body) : kbApi.createArticle(body),
    );
    if (!saved) return;
    toast(article ? t("admin.saved") : t("admin.created"), "ok");
    reopen(saved.id);
  };
  const statusLine = article
    ? h(
        "p",
        { class: "kb-status" },
        h("span", {
          class: article.status === "published" ? "chip chip-tag" : "chip",
          text: article.status === "published" ? t("kb.published") : t("kb.draft"),
        }),
        " ",
        article.status === "published"
          ? Object.entries(article.urls).map(([lang, url]) =>
              h("a", { href: url, target: "_blank", rel: "noopener", class: "btn btn-ghost" },
                t("kb.openInHelp", { lang })),
            )
          : h("span", { class: "muted", text: t("kb.draftHint") }),
      )
    : null;
  const lifecycle = article && editable ? lifecycleButtons(article, reopen) : null;
  mount(
    container,
    h("p", {}, h("a", { href: "#/kb", text: t("kb.back") })),
    h(
      "form",
      { class: "card form-card kb-editor", onsubmit, "aria-labelledby": "kb-editor-title" },
      h("h2", {
        id: "kb-editor-title",
        text: article ? t("kb.editArticle", { slug: article.slug }) : t("kb.newArticle"),
      }),
      statusLine,
      h(
        "div",
        { class: "form-grid" },
        labelled(t("kb.slug"), slug, t("kb.slugHint")),
        labelled(t("kb.category"), category),
        labelled(t("kb.position"), position),
      ),
      versions.map((v) => v.el),
      editable ? formActions({ editing: !!article, error }) : null,
    ),
    lifecycle,
  );
}

function versionFields(lang, langName, article, editable) {
  const existing = article?.locales[lang];
  const title = h("input", {
    maxlength: "200",
    value: existing?.title || "",
    disabled: !editable,
    name: `title.${lang}`,
  });
  const body = h("textarea", {
    rows: "12",
    maxlength: "50000",
    disabled: !editable,
    name: `body.${lang}`,
    lang,
  });
  body.value = existing?.body || "";
  const frame = h("iframe", {
    sandbox: "",
    class: "kb-preview card",
    title: t("kb.previewOf", { lang: langName }),
    width: "100%",
    height: "320",
    hidden: true,
  });
  const preview = h("button", {
    type: "button",
    class: "btn btn-ghost",
    text: t("kb.preview"),
    "aria-label": t("kb.previewOf", { lang: langName }),
    onclick: async () => {
      const out = await guard(kbApi.preview(body.value));
      if (!out) return;
      // The server's sanitised HTML, in a frame with an empty sandbox (no script, own origin;
      // the console's CSP applies inside it too, so it has the browser's default styles).
      frame.srcdoc = `<!doctype html><html lang="${lang}"><meta charset="utf-8">` + out.html;
      frame.hidden = false;
    },
  });
  const el = h(
    "fieldset",
    { class: "kb-version", lang },
    h("legend", { text: langName }),
    labelled(t("kb.articleTitle"), title, t("kb.titleHint")),
    labelled(t("kb.body"), body, t("kb.bodyHint")),
    h("div", { class: "form-actions" }, preview),
    frame,
  );
  return { lang, title, body, el };
}

function lifecycleButtons(article, reopen) {
  const published = article.status === "published";
  const [remove, confirmBox] = kbDeleteButton({
    label: t("kb.deleteNamed", { slug: article.slug }),
    question: t("kb.confirmDelete"),
    remove: () => kbApi.deleteArticle(article.id),
    after: () => {
      location.hash = "#/kb";
    },
  });
  return h(
    "div",
    { class: "form-actions kb-lifecycle" },
    h("button", {
      type: "button",
      class: published ? "btn" : "btn btn-primary",
      text: published ? t("kb.unpublish") : t("kb.publish"),
      onclick: async () => {
        const done = await guard(
          published ? kbApi.unpublish(article.id) : kbApi.publish(article.id),
        );
        if (!done) return;
        toast(published ? t("kb.unpublished") : t("kb.publishedToast"), "ok");
        reopen(article.id);
      },
    }),
    remove,
    confirmBox,
  );
}
