// The knowledge-base API (docs/kb.md), for the console's Knowledge base page.

import { request } from "../api.js";
import { guard, toast } from "../dom.js";
import { t } from "../i18n.js";
import { deleteWithConfirm } from "./forms.js";

const enc = encodeURIComponent;
const KB = "/api/v1/kb";

export const kbApi = {
  categories: () => request("GET", `${KB}/categories`),
  createCategory: (body) => request("POST", `${KB}/categories`, body),
  updateCategory: (id, body) => request("PATCH", `${KB}/categories/${enc(id)}`, body),
  deleteCategory: (id) => request("DELETE", `${KB}/categories/${enc(id)}`),
  articles: (filters) => {
    const q = new URLSearchParams();
    for (const [key, value] of Object.entries(filters)) if (value) q.set(key, value);
    return request("GET", `${KB}/articles?${q}`);
  },
  article: (id) => request("GET", `${KB}/articles/${enc(id)}`),
  createArticle: (body) => request("POST", `${KB}/articles`, body),
  updateArticle: (id, body) => request("PATCH", `${KB}/articles/${enc(id)}`, body),
  publish: (id) => request("POST", `${KB}/articles/${enc(id)}/publish`),
  unpublish: (id) => request("POST", `${KB}/articles/${enc(id)}/unpublish`),
  deleteArticle: (id) => request("DELETE", `${KB}/articles/${enc(id)}`),
  preview: (body) => request("POST", `${KB}/preview`, { body }),
  pairs: (q = "") => request("GET", `${KB}/qa${q ? `?q=${enc(q)}` : ""}`),
  createPair: (body) => request("POST", `${KB}/qa`, body),
  updatePair: (id, body) => request("PATCH", `${KB}/qa/${enc(id)}`, body),
  deletePair: (id) => request("DELETE", `${KB}/qa/${enc(id)}`),
};

export const isEditor = (ctx) => ctx.me.role === "admin" || ctx.me.role === "supervisor";

/** A category's name in the console's language, else the other one, else its slug. */
export function categoryName(category, lang) {
  const names = category.names || {};
  return names[lang] || names[lang === "en" ? "zh-TW" : "en"] || category.slug;
}

/** A KB delete button with its confirmation: `remove()` deletes, then `after()` runs. */
export function kbDeleteButton({ label, question, remove, after }) {
  return deleteWithConfirm({
    label,
    text: t("kb.delete"),
    question,
    yes: t("kb.confirmYes"),
    onConfirm: async () => {
      if ((await guard(remove())) === undefined) return;
      toast(t("kb.deleted"), "ok");
      await after();
    },
  });
}
