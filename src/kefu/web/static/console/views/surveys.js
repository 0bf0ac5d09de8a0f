// Surveys in the console: the activity lines a customer's answer leaves, the rating in the
// conversation's side panel, and the inbox's survey settings (admins).

import { request } from "../api.js";
import { clockTime, guard, h, toast } from "../dom.js";
import { t } from "../i18n.js";
import { checkbox, formActions, formError, submitTo } from "./forms.js";

const enc = encodeURIComponent;

export const surveyApi = {
  responses: (conversationId) =>
    request("GET", `/api/v1/conversations/${enc(conversationId)}/survey-responses`),
  settings: (inboxId) => request("GET", `/api/v1/inboxes/${enc(inboxId)}/surveys`),
  saveSettings: (inboxId, body) => request("PUT", `/api/v1/inboxes/${enc(inboxId)}/surveys`, body),
};

/** Activity lines of this part: survey answers and transcript requests (null: not ours). */
export function surveyActivityText(activity) {
  if (activity.type === "transcript_requested") return t("activity.transcriptRequested");
  if (activity.type !== "survey_answered") return null;
  const key = (activity.survey === "nps" ? "activity.nps" : "activity.csat") + (activity.changed ? "Changed" : "");
  return t(key, { score: activity.score, scale: activity.scale });
}

function stars(score, scale) {
  return scale === 5 ? "★".repeat(score) + "☆".repeat(5 - score) : "";
}

/** The side panel's "Satisfaction" section for `responses` (newest first). */
export function ratingView(responses, conv) {
  const latest = responses.filter((r) => r.resolved_at === conv.resolved_at);
  const earlier = responses.filter((r) => r.resolved_at !== conv.resolved_at);
  const item = (r) => {
    const scale = r.kind === "nps" ? 10 : 5;
    return h(
      "li",
      { class: "rating", "data-kind": r.kind },
      h("span", { class: "rating-kind", text: t(`survey.${r.kind}`) }),
      h("span", { class: "rating-stars", "aria-hidden": "true", text: stars(r.score, scale) }),
      h("strong", { class: "rating-score", text: t("survey.score", { score: r.score, scale }) }),
      r.comment ? h("q", { class: "rating-comment", text: r.comment }) : null,
      h(
        "span",
        { class: "rating-meta" },
        r.agent ? `${r.agent.name} · ` : "",
        h("time", { datetime: r.answered_at, text: clockTime(r.answered_at) }),
      ),
    );
  };
  return h(
    "section",
    { class: "followup-section survey-panel", "aria-labelledby": "survey-title" },
    h("h3", { id: "survey-title", text: t("survey.title") }),
    latest.length
      ? h("ul", { class: "ratings" }, latest.map(item))
      : h("p", { class: "muted", text: t("survey.none") }),
    earlier.length
      ? [h("p", { class: "hint", text: t("survey.earlier") }), h("ul", { class: "ratings" }, earlier.map(item))]
      : null,
  );
}

/** Admins: the inbox's survey settings, saved on their own (below the inbox form). */
export function surveySettingsCard(inbox) {
  const error = formError();
  const csat = checkbox(t("survey.csatEnabled"), true, { name: "csat_enabled" });
  const nps = checkbox(t("survey.npsEnabled"), false, { name: "nps_enabled" });
  const card = h(
    "form",
    {
      class: "card form-card survey-settings",
      "aria-labelledby": "survey-settings-title",
      onsubmit: async (event) => {
        event.preventDefault();
        const body = { csat_enabled: csat.input.checked, nps_enabled: nps.input.checked };
        if (await submitTo(error, surveyApi.saveSettings(inbox.id, body))) toast(t("survey.saved"), "ok");
      },
    },
    h("h2", { id: "survey-settings-title", text: t("survey.settingsFor", { name: inbox.name }) }),
    csat.el,
    nps.el,
    h("p", { class: "hint", text: t("survey.settingsHint") }),
    formActions({ editing: false, error, submitLabel: t("admin.save") }),
  );
  guard(surveyApi.settings(inbox.id)).then((settings) => {
    if (!settings) return;
    csat.input.checked = settings.csat_enabled;
    nps.input.checked = settings.nps_enabled;
  });
  return card;
}
