// Followers of a conversation (participants): the details sidebar lists them, with Follow /
// Unfollow for yourself and, for supervisors, add / remove colleagues who can see it. The
// conversations you take part in are tracked for the list's "Participating" filter.

import { request } from "../api.js";
import { guard, h, mount } from "../dom.js";
import { t } from "../i18n.js";
import { whileMounted } from "../live.js";
import { assignableUsers } from "./details.js";

const enc = encodeURIComponent;
const url = (id) => `/api/v1/conversations/${enc(id)}/participants`;

export class Participation {
  constructor(ctx) {
    this.ctx = ctx;
    this.ids = new Set(); // conversations the signed-in agent takes part in (as far as known)
    this.lists = new Map(); // conversation id -> participants, as last fetched or announced
    this.off = ctx.bus.on((frame) => {
      if (frame.type === "conversation.participants") this.changed(frame.conversation_id, frame.participants);
      if (frame.type === "resync") this.lists.clear();
    });
  }

  stop() {
    this.off();
  }

  has(conversationId) {
    return this.ids.has(conversationId);
  }

  /** Conversations a "participating" page listed. */
  saw(conversations) {
    for (const conv of conversations) this.ids.add(conv.id);
  }

  changed(conversationId, participants) {
    this.lists.set(conversationId, participants);
    const mine = participants.some((p) => p.user.id === this.ctx.me.id);
    const before = this.ids.has(conversationId);
    if (mine) this.ids.add(conversationId);
    else this.ids.delete(conversationId);
    const list = this.ctx.list;
    if (mine !== before && list && list.filter.assignee === "participating") list.scheduleRefresh();
  }

  async load(conversationId) {
    if (this.lists.has(conversationId)) return this.lists.get(conversationId);
    try {
      const participants = await request("GET", url(conversationId));
      this.changed(conversationId, participants);
      return participants;
    } catch {
      return null;
    }
  }
}

/** The sidebar section: who follows the conversation, and the controls. */
export function participantsView(ctx, conv) {
  const el = h("section", { class: "participants", "aria-labelledby": "participants-title" });
  const tracker = ctx.participation;
  if (!tracker) return el;
  const isLead = ctx.me.role === "admin" || ctx.me.role === "supervisor";

  const apply = async (promise) => {
    const participants = await guard(promise);
    if (!participants) return;
    tracker.changed(conv.id, participants);
    render(participants);
  };

  function render(participants) {
    if (!participants) return;
    const ids = new Set(participants.map((p) => p.user.id));
    const items = participants.map((p) => {
      const you = p.user.id === ctx.me.id;
      return h(
        "li",
        { class: "participant" },
        h("span", { text: you ? t("participants.you", { name: p.user.name }) : p.user.name }),
        isLead && !you
          ? h("button", {
              type: "button",
              class: "btn btn-ghost btn-small",
              "aria-label": t("participants.remove", { name: p.user.name }),
              text: "×",
              onclick: () => apply(request("DELETE", `${url(conv.id)}/${enc(p.user.id)}`)),
            })
          : null,
      );
    });
    const candidates = isLead ? assignableUsers(ctx, conv).filter((u) => !ids.has(u.id)) : [];
    const choose = h(
      "select",
      { id: "participant-add" },
      h("option", { value: "" }, t("participants.choose")),
      candidates.map((u) => h("option", { value: String(u.id) }, u.name)),
    );
    mount(
      el,
      h("h3", { id: "participants-title", text: t("participants.title") }),
      items.length
        ? h("ul", { class: "participant-list" }, items)
        : h("p", { class: "muted", text: t("participants.none") }),
      candidates.length
        ? h(
            "div",
            { class: "participant-add" },
            h("label", { for: "participant-add", class: "sr-only", text: t("participants.choose") }),
            choose,
            h("button", {
              type: "button",
              class: "btn btn-ghost btn-small",
              text: t("participants.add"),
              onclick: () =>
                choose.value &&
                apply(request("POST", url(conv.id), { user_id: Number(choose.value) })),
            }),
          )
        : null,
    );
  }

  whileMounted(el, ctx.bus, (frame) => {
    if (frame.type === "conversation.participants" && frame.conversation_id === conv.id) {
      render(frame.participants);
    }
  });
  tracker.load(conv.id).then(render);
  return el;
}

/** Follow / Unfollow for the signed-in agent, in the conversation's header (every screen size). */
export function followButton(ctx, conv) {
  const tracker = ctx.participation;
  const button = h("button", { type: "button", class: "btn btn-ghost", "data-action": "follow" });
  if (!tracker) return null;
  const show = (participants) => {
    const following = !!participants && participants.some((p) => p.user.id === ctx.me.id);
    button.setAttribute("aria-pressed", String(following));
    button.textContent = t(following ? "participants.unfollow" : "participants.follow");
    button.onclick = async () => {
      const participants = await guard(
        following
          ? request("DELETE", `${url(conv.id)}/${enc(ctx.me.id)}`)
          : request("POST", url(conv.id), { user_id: ctx.me.id }),
      );
      if (participants) {
        tracker.changed(conv.id, participants);
        show(participants);
      }
    };
  };
  show(tracker.lists.get(conv.id));
  whileMounted(button, ctx.bus, (frame) => {
    if (frame.type === "conversation.participants" && frame.conversation_id === conv.id) {
      show(frame.participants);
    }
  });
  tracker.load(conv.id).then(show);
  return button;
}
