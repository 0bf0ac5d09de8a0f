// REST client: same-origin fetch with the session cookie, the CSRF header on writes, and the UI
// language in Accept-Language so server error messages come back localised.

import { locale, t } from "./i18n.js";

export class ApiError extends Error {
  constructor(status, code, message, retryAfter = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

let csrfToken = null;
let onUnauthorised = () => {};

export function setCsrf(token) {
  csrfToken = token;
}

/** The CSRF token, for requests made without `request` (uploads with progress). */
export function csrf() {
  return csrfToken;
}

/** Called when a request comes back 401 (session expired elsewhere). */
export function setUnauthorisedHandler(fn) {
  onUnauthorised = fn;
}

export async function request(method, path, body = undefined, { quiet401 = false } = {}) {
  const headers = { Accept: "application/json", "Accept-Language": locale() };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "network", t("err.network"));
  }
  if (response.status === 204) return null;
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const err = (data && data.error) || {};
    const retry = Number(response.headers.get("retry-after")) || null;
    const error = new ApiError(
      response.status,
      err.code || "http_" + response.status,
      err.message || t("err.generic"),
      retry,
    );
    if (response.status === 401 && !quiet401) onUnauthorised(error);
    throw error;
  }
  return data;
}

const enc = encodeURIComponent;

export const api = {
  login: (email, password) =>
    request("POST", "/api/v1/auth/login", { email, password }, { quiet401: true }),
  logout: () => request("POST", "/api/v1/auth/logout"),
  me: () => request("GET", "/api/v1/auth/me", undefined, { quiet401: true }),
  conversations: ({ assignee, status, cursor, tag }) => {
    const q = new URLSearchParams({ assignee, status });
    if (cursor) q.set("cursor", cursor);
    if (tag) q.set("tag", tag);
    return request("GET", `/api/v1/conversations?${q}`);
  },
  conversation: (id) => request("GET", `/api/v1/conversations/${enc(id)}`),
  messages: (id, beforeSeq = null) => {
    const q = beforeSeq ? `?before_seq=${enc(beforeSeq)}` : "";
    return request("GET", `/api/v1/conversations/${enc(id)}/messages${q}`);
  },
  sendMessage: (id, body) => request("POST", `/api/v1/conversations/${enc(id)}/messages`, body),
  assign: (id, assigneeId) =>
    request("POST", `/api/v1/conversations/${enc(id)}/assign`, { assignee_id: assigneeId }),
  setStatus: (id, status) => request("POST", `/api/v1/conversations/${enc(id)}/status`, { status }),
  markRead: (id, seq) => request("POST", `/api/v1/conversations/${enc(id)}/read`, { seq }),
  users: () => request("GET", "/api/v1/users"),
  createUser: (body) => request("POST", "/api/v1/users", body),
  updateUser: (id, body) => request("PATCH", `/api/v1/users/${enc(id)}`, body),
  teams: () => request("GET", "/api/v1/teams"),
  createTeam: (body) => request("POST", "/api/v1/teams", body),
  updateTeam: (id, body) => request("PATCH", `/api/v1/teams/${enc(id)}`, body),
  inboxes: () => request("GET", "/api/v1/inboxes"),
  createInbox: (body) => request("POST", "/api/v1/inboxes", body),
  updateInbox: (id, body) => request("PATCH", `/api/v1/inboxes/${enc(id)}`, body),
  embed: (id) => request("GET", `/api/v1/inboxes/${enc(id)}/embed`),
  // --- routing: presence, capacity, the queue, take / transfer / priority ---
  agentStatuses: () => request("GET", "/api/v1/agents/status"),
  setPresence: (userId, presence) =>
    request("PUT", `/api/v1/agents/${enc(userId)}/presence`, { presence }),
  setAgentRouting: (userId, body) => request("PUT", `/api/v1/agents/${enc(userId)}/routing`, body),
  queue: (inboxId = null) =>
    request("GET", inboxId ? `/api/v1/queue?inbox_id=${enc(inboxId)}` : "/api/v1/queue"),
  take: (id) => request("POST", `/api/v1/conversations/${enc(id)}/take`),
  transfer: (id, body) => request("POST", `/api/v1/conversations/${enc(id)}/transfer`, body),
  setPriority: (id, priority) =>
    request("POST", `/api/v1/conversations/${enc(id)}/priority`, { priority }),
  inboxRouting: (id) => request("GET", `/api/v1/inboxes/${enc(id)}/routing`),
  updateInboxRouting: (id, body) => request("PUT", `/api/v1/inboxes/${enc(id)}/routing`, body),
  rules: () => request("GET", "/api/v1/routing/rules"),
  createRule: (body) => request("POST", "/api/v1/routing/rules", body),
  updateRule: (id, body) => request("PATCH", `/api/v1/routing/rules/${enc(id)}`, body),
  deleteRule: (id) => request("DELETE", `/api/v1/routing/rules/${enc(id)}`),
  reorderRules: (ruleIds) => request("PUT", "/api/v1/routing/rules-order", { rule_ids: ruleIds }),
  slaBreaches: () => request("GET", "/api/v1/sla/breaches"),
  // --- attachments (uploads go through views/attachments.js, for their progress) ---
  attachmentSettings: (id) => request("GET", `/api/v1/inboxes/${enc(id)}/attachment-settings`),
  updateAttachmentSettings: (id, body) =>
    request("PUT", `/api/v1/inboxes/${enc(id)}/attachment-settings`, body),
  tokens: () => request("GET", "/api/v1/me/tokens"),
  createToken: (name) => request("POST", "/api/v1/me/tokens", { name }),
  deleteToken: (id) => request("DELETE", `/api/v1/me/tokens/${enc(id)}`),
};
