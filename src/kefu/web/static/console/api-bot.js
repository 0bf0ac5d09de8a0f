// REST calls of the FAQ bot's console screens: an inbox's bot settings, HTTP actions, agent
// assist, the learning loop (unanswered questions -> Q&A pairs) and the bot's daily figures.

import { request } from "./api.js";

const enc = encodeURIComponent;

/** The browser's time zone (the figures' days are local days). */
export function timeZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

/** Local midnight of an ISO date ("2026-11-25"), as an instant; `days` later if given. */
function midnight(isoDate, days = 0) {
  const [y, m, d] = isoDate.split("-").map(Number);
  return new Date(y, m - 1, d + days).toISOString();
}

/** The unanswered report's window: instants from the first day's start to the last day's end. */
function instants({ from = "", to = "", inboxId = "" } = {}) {
  const q = new URLSearchParams();
  if (inboxId) q.set("inbox_id", inboxId);
  if (from) q.set("since", midnight(from));
  if (to) q.set("until", midnight(to, 1));
  return q;
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
  unanswered: (dates) => request("GET", `/api/v1/bot/unanswered?${instants(dates)}`),
  metrics: ({ from = "", to = "", inboxId = "" } = {}) => {
    const q = new URLSearchParams({ tz: timeZone() });
    if (inboxId) q.set("inbox_id", inboxId);
    if (from) q.set("since", from);
    if (to) q.set("until", to);
    return request("GET", `/api/v1/bot/metrics?${q}`);
  },
  createQa: (body) => request("POST", "/api/v1/kb/qa", body),
  // A group dealt with (its Q&A pair made, or dismissed): out of the report for good.
  reviewed: (turnIds) =>
    request("POST", "/api/v1/bot/unanswered/reviewed", { turn_ids: turnIds }),
  publishedArticles: () => request("GET", "/api/v1/kb/articles?status=published&limit=200"),
};
