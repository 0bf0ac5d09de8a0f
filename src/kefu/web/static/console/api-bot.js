// REST calls of the FAQ bot's console screens: an inbox's bot settings, HTTP actions, agent
// assist, the learning loop (unanswered questions -> Q&A pairs) and the bot's daily figures.

import { request } from "./api.js";

const enc = encodeURIComponent;

/** "?from=…&to=…" from a {from, to} range of ISO dates (either may be empty). */
function range({ from = "", to = "" } = {}) {
  const q = new URLSearchParams();
  if (from) q.set("from", from);
  if (to) q.set("to", to);
  const text = q.toString();
  return text ? `?${text}` : "";
}

export const botApi = {
  settings: (inboxId) => request("GET", `/api/v1/inboxes/${enc(inboxId)}/bot`),
  saveSettings: (inboxId, body) => request("PUT", `/api/v1/inboxes/${enc(inboxId)}/bot`, body),
  actions: () => request("GET", "/api/v1/bot/actions"),
  createAction: (body) => request("POST", "/api/v1/bot/actions", body),
  updateAction: (id, body) => request("PATCH", `/api/v1/bot/actions/${enc(id)}`, body),
  deleteAction: (id) => request("DELETE", `/api/v1/bot/actions/${enc(id)}`),
  testAction: (id, body) => request("POST", `/api/v1/bot/actions/${enc(id)}/test`, body),
  assist: (conversationId) =>
    request("GET", `/api/v1/conversations/${enc(conversationId)}/assist`),
  unanswered: (dates) => request("GET", `/api/v1/bot/unanswered${range(dates)}`),
  metrics: (dates) => request("GET", `/api/v1/bot/metrics${range(dates)}`),
  createQa: (body) => request("POST", "/api/v1/kb/qa", body),
  publishedArticles: () => request("GET", "/api/v1/kb/articles?status=published&limit=200"),
};
