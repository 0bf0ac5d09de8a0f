// REST calls of the workflow screens: snooze, tags, bulk actions, canned responses.

import { request } from "./api.js";

const enc = encodeURIComponent;

export const workflowApi = {
  snooze: (id, until) => request("POST", `/api/v1/conversations/${enc(id)}/snooze`, { until }),
  changeTags: (id, { add = [], remove = [] }) =>
    request("POST", `/api/v1/conversations/${enc(id)}/tags`, { add, remove }),
  bulk: (ids, action) =>
    request("POST", "/api/v1/conversations/bulk", { conversation_ids: ids, action }),
  tags: () => request("GET", "/api/v1/tags"),
  createTag: (body) => request("POST", "/api/v1/tags", body),
  updateTag: (id, body) => request("PATCH", `/api/v1/tags/${enc(id)}`, body),
  deleteTag: (id) => request("DELETE", `/api/v1/tags/${enc(id)}`),
  canned: () => request("GET", "/api/v1/canned-responses"),
  createCanned: (body) => request("POST", "/api/v1/canned-responses", body),
  updateCanned: (id, body) => request("PATCH", `/api/v1/canned-responses/${enc(id)}`, body),
  deleteCanned: (id) => request("DELETE", `/api/v1/canned-responses/${enc(id)}`),
};
