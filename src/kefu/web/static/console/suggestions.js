// Merge suggestions (docs/contacts.md, "One customer, one history"): pairs of contacts that
// kefu.channels.matching found sharing a phone number or email nobody verified. Everyone who
// may see both contacts sees the suggestion; supervisors and admins merge or dismiss it (the
// server checks too). Shown in a conversation's customer panel and, for leads, on the contacts
// page.

import { request } from "./api.js";
import { contactName, guard, h, mount, relativeTime, toast } from "./dom.js";
import { t } from "./i18n.js";

const enc = encodeURIComponent;

export const suggestionApi = {
  pending: () => request("GET", "/api/v1/merge-suggestions?status=pending"),
  forContact: (contactId) =>
    request("GET", `/api/v1/contacts/${enc(contactId)}/merge-suggestions?status=pending`),
  accept: (id) => request("POST", `/api/v1/merge-suggestions/${enc(id)}/accept`),
  dismiss: (id) => request("POST", `/api/v1/merge-suggestions/${enc(id)}/dismiss`),
};

export const mayMerge = (ctx) => !!ctx.me && (ctx.me.role === "admin" || ctx.me.role === "supervisor");

/** "Same phone number: +886*****5678" (the value as the API masks it). */
function matchedLine(suggestion) {
  return h("p", {
    class: "suggest-match",
    text: t("suggest.matched", {
      reason: t(`suggest.reason.${suggestion.reason}`),
      value: suggestion.matched_value,
    }),
  });
}

/**
 * Merge and Dismiss for one suggestion (leads only). `onDecided(answer, accepted)` receives the
 * server's answer: after a merge, `answer.contact` is the surviving contact.
 */
function decisionButtons(suggestion, labels, onDecided) {
  const decide = async (button, accepted) => {
    const group = button.parentElement;
    for (const b of group.querySelectorAll("button")) b.disabled = true;
    const call = accepted ? suggestionApi.accept : suggestionApi.dismiss;
    const answer = await guard(call(suggestion.id));
    if (!answer) {
      for (const b of group.querySelectorAll("button")) b.disabled = false;
      return;
    }
    toast(t(accepted ? "suggest.merged" : "suggest.dismissed"), "ok");
    onDecided(answer, accepted);
  };
  return h(
    "div",
    { class: "suggest-actions" },
    h("button", {
      type: "button",
      class: "btn btn-primary btn-small",
      "data-action": "merge-suggestion",
      "aria-label": labels.merge,
      text: t("suggest.merge"),
      onclick: (event) => decide(event.currentTarget, true),
    }),
    h("button", {
      type: "button",
      class: "btn btn-ghost btn-small",
      "data-action": "dismiss-suggestion",
      "aria-label": labels.dismiss,
      text: t("suggest.dismiss"),
      onclick: (event) => decide(event.currentTarget, false),
    }),
  );
}

/**
 * The pending suggestions about one contact, for its panel: "Possibly the same customer", the
 * other contact, the matched value and why; null when there are none.
 */
export function contactSuggestions(ctx, suggestions, onDecided) {
  if (!suggestions || !suggestions.length) return null;
  return h(
    "section",
    { class: "suggestions", "aria-labelledby": "suggest-title" },
    h("h3", { id: "suggest-title", text: t("suggest.title") }),
    h(
      "ul",
      { class: "suggest-list" },
      suggestions.map((s) => {
        const name = contactName(s.other_contact);
        return h(
          "li",
          { class: "suggestion", "data-suggestion": String(s.id) },
          h("a", {
            class: "suggest-other",
            href: `#/contacts/${s.other_contact.id}`,
            text: name,
          }),
          matchedLine(s),
          mayMerge(ctx)
            ? decisionButtons(
                s,
                {
                  merge: t("suggest.mergeLabel", { name }),
                  dismiss: t("suggest.dismissLabel", { name }),
                },
                onDecided,
              )
            : h("p", { class: "hint", text: t("suggest.leadsDecide") }),
        );
      }),
    ),
  );
}

/**
 * Every pending suggestion the lead may see, for the contacts page: a section that loads
 * itself and stays hidden while there is nothing to decide.
 */
export function pendingSuggestions(ctx) {
  const list = h("ul", { class: "suggest-list suggest-all" });
  const section = h(
    "section",
    { class: "card suggest-card", "aria-labelledby": "suggest-all-title", hidden: true },
    h("h2", { id: "suggest-all-title", text: t("suggest.listTitle") }),
    h("p", { class: "hint", text: t("suggest.listHint") }),
    list,
  );
  const load = async () => {
    let items;
    try {
      items = await suggestionApi.pending();
    } catch {
      return; // the contacts list still works; the section stays as it was
    }
    section.hidden = !items.length;
    mount(
      list,
      items.map((s) => {
        const a = contactName(s.contact);
        const b = contactName(s.other_contact);
        return h(
          "li",
          { class: "suggestion", "data-suggestion": String(s.id) },
          h(
            "p",
            { class: "suggest-pair", "aria-label": t("suggest.pairLabel", { a, b }) },
            h("a", { href: `#/contacts/${s.contact.id}`, text: a }),
            h("span", { class: "suggest-and", "aria-hidden": "true", text: " ⇄ " }),
            h("a", { href: `#/contacts/${s.other_contact.id}`, text: b }),
          ),
          matchedLine(s),
          h("p", { class: "hint", text: t("suggest.proposed", { time: relativeTime(s.created_at) }) }),
          decisionButtons(
            s,
            { merge: t("suggest.mergePair", { a, b }), dismiss: t("suggest.dismissPair", { a, b }) },
            () => load(),
          ),
        );
      }),
    );
  };
  load();
  return { el: section, reload: load };
}
