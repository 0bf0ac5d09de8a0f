// Contacts, the CRM view: a filtered list, and a contact's profile — edit form (with custom
// attributes), website identities, notes, every conversation across inboxes (as far as the agent
// may see them), the change history, and, for supervisors and admins, merging another contact in.

import { request } from "../api.js";
import { clockTime, contactName, guard, h, labelled, mount, relativeTime, toast } from "../dom.js";
import { t } from "../i18n.js";
import { coalesce, whileMounted } from "../live.js";
import { attributeChanges, attributeField, attributesApi } from "./attributes.js";
import { formError, submitTo } from "./forms.js";
import { pendingSuggestions } from "../suggestions.js";

const enc = encodeURIComponent;
const SEARCH_DELAY_MS = 250;

export const contactsApi = {
  list: ({ q = "", beforeId = null, limit = 50 } = {}) => {
    const params = new URLSearchParams({ limit: String(limit) });
    if (q) params.set("q", q);
    if (beforeId) params.set("before_id", String(beforeId));
    return request("GET", `/api/v1/contacts?${params}`);
  },
  get: (id) => request("GET", `/api/v1/contacts/${enc(id)}`),
  update: (id, body) => request("PATCH", `/api/v1/contacts/${enc(id)}`, body),
  conversations: (id, beforeId = null) =>
    request(
      "GET",
      `/api/v1/contacts/${enc(id)}/conversations${beforeId ? `?before_id=${enc(beforeId)}` : ""}`,
    ),
  notes: (id) => request("GET", `/api/v1/contacts/${enc(id)}/notes`),
  addNote: (id, text) => request("POST", `/api/v1/contacts/${enc(id)}/notes`, { text }),
  deleteNote: (id, noteId) => request("DELETE", `/api/v1/contacts/${enc(id)}/notes/${enc(noteId)}`),
  activity: (id) => request("GET", `/api/v1/contacts/${enc(id)}/activity`),
  merge: (id, otherId) => request("POST", `/api/v1/contacts/${enc(id)}/merge`, { other_id: otherId }),
};

// The console has one stylesheet per feature area; this one is added once, by the module.
if (!document.querySelector("link[data-css=contacts]")) {
  document.head.append(
    h("link", { rel: "stylesheet", href: "/static/console/contacts.css", "data-css": "contacts" }),
  );
}

const isLead = (ctx) => ctx.me.role === "admin" || ctx.me.role === "supervisor";

/**
 * The contact's picture: an <img> only for an http(s) URL (the server accepts nothing else,
 * and this checks again), never sending a referrer; initials otherwise or if it fails to load.
 */
export function avatar(contact, size = "") {
  const initials = h("span", {
    class: `avatar ${size}`,
    "aria-hidden": "true",
    text: contactName(contact).slice(0, 1),
  });
  const url = contact.avatar_url || "";
  if (!/^https?:\/\/[^\s]+$/i.test(url)) return initials;
  const img = h("img", {
    class: `avatar avatar-img ${size}`,
    src: url,
    alt: "",
    referrerpolicy: "no-referrer",
    loading: "lazy",
  });
  img.addEventListener("error", () => img.replaceWith(initials));
  return img;
}

function verifiedBadge(contact) {
  return contact.verified
    ? h("span", {
        class: "pill pill-verified",
        title: t("contacts.verifiedHint"),
        text: t("contacts.verified"),
      })
    : null;
}

export async function renderContacts(container, ctx, arg) {
  if (arg) await renderProfile(container, ctx, Number(arg));
  else await renderList(container, ctx);
}

// --- the list ---------------------------------------------------------------------------------

async function renderList(container, ctx) {
  const list = h("ul", { class: "contact-list", "aria-labelledby": "contacts-title" });
  const status = h("p", { class: "list-status", "aria-live": "polite" });
  const more = h("button", { type: "button", class: "btn btn-ghost", text: t("contacts.more") });
  more.hidden = true;
  const search = h("input", {
    id: "contact-search",
    type: "search",
    placeholder: t("contacts.search"),
    maxlength: "200",
    autocomplete: "off",
  });
  let next = null;
  let asked = 0;
  const load = async (append) => {
    const mine = ++asked;
    const page = await guard(contactsApi.list({ q: search.value.trim(), beforeId: append ? next : null }));
    if (!page || mine !== asked) return;
    if (!append) list.replaceChildren();
    list.append(...page.items.map((c) => contactRow(c)));
    next = page.next_before_id;
    more.hidden = !next;
    status.textContent = list.children.length ? "" : t("contacts.empty");
  };
  let timer = null;
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => load(false), SEARCH_DELAY_MS);
  });
  more.addEventListener("click", () => load(true));
  const suggestions = isLead(ctx) ? pendingSuggestions(ctx) : null; // suggestions.js
  mount(
    container,
    h(
      "div",
      { class: "page-head" },
      h("h1", { id: "contacts-title", text: t("contacts.title") }),
      h(
        "div",
        { class: "inline-field contact-search" },
        h("label", { for: "contact-search", class: "sr-only", text: t("contacts.searchLabel") }),
        search,
      ),
    ),
    suggestions ? suggestions.el : null,
    status,
    list,
    more,
  );
  const refresh = coalesce(() => load(false), 500);
  const off = whileMounted(list, ctx.bus, (frame) => {
    if (frame.type === "contact.merged" && suggestions) suggestions.reload();
    if (frame.type === "contact.updated" || frame.type === "contact.merged") refresh();
  });
  ctx.onLeave(off);
  await load(false);
}

function contactRow(contact) {
  const details = [contact.email, contact.phone, contact.company].filter(Boolean).join(" · ");
  return h(
    "li",
    {},
    h(
      "a",
      { class: "contact-row", href: `#/contacts/${contact.id}`, "data-contact": String(contact.id) },
      avatar(contact),
      h(
        "span",
        { class: "contact-row-body" },
        h("span", { class: "contact-row-name" }, contactName(contact), " ", verifiedBadge(contact)),
        h("span", { class: "muted contact-row-details", text: details }),
      ),
      h("span", { class: "conv-time", text: relativeTime(contact.last_seen_at || contact.created_at) }),
    ),
  );
}

// --- the profile ------------------------------------------------------------------------------

async function renderProfile(container, ctx, id) {
  const [contact, defs] = await Promise.all([
    guard(contactsApi.get(id)),
    attributesApi.definitions("contact").catch(() => []),
  ]);
  if (!contact) {
    mount(container, backLink(), h("p", { class: "muted", text: t("contacts.empty") }));
    return;
  }
  if (contact.id !== id) {
    // A merged-away contact: show (and address) the survivor.
    history.replaceState(null, "", `#/contacts/${contact.id}`);
  }
  const view = new ProfileView(container, ctx, contact, defs);
  view.render();
  const off = whileMounted(view.root, ctx.bus, (frame) => view.onFrame(frame));
  ctx.onLeave(off);
}

function backLink() {
  return h("a", { class: "back-link", href: "#/contacts", text: `← ${t("contacts.back")}` });
}

class ProfileView {
  constructor(container, ctx, contact, defs) {
    this.container = container;
    this.ctx = ctx;
    this.contact = contact;
    this.defs = defs;
    this.dirty = false;
    this.root = h("div", { class: "contact-page", "data-contact": String(contact.id) });
    this.head = h("div", { class: "contact-head" });
    this.formSlot = h("section", { class: "card c-form", "aria-labelledby": "cp-title" });
    this.timeline = h("section", { class: "card c-timeline", "aria-labelledby": "ct-title" });
    this.notes = h("section", { class: "card c-notes", "aria-labelledby": "cn-title" });
    this.history = h("section", { class: "card c-history", "aria-labelledby": "ch-title" });
    this.refreshSide = coalesce(() => this.loadSide(), 300);
  }

  render() {
    mount(this.container, this.root);
    mount(
      this.root,
      backLink(),
      this.head,
      h(
        "div",
        { class: "contact-grid" },
        h("div", { class: "contact-col" }, this.formSlot, this.history),
        h("div", { class: "contact-col" }, this.timeline, this.notes),
      ),
    );
    this.renderHead();
    this.renderForm();
    this.loadSide();
  }

  renderHead() {
    const c = this.contact;
    mount(
      this.head,
      avatar(c, "avatar-lg"),
      h(
        "div",
        { class: "grow" },
        h("h1", { class: "contact-title" }, contactName(c), " ", verifiedBadge(c)),
        h("p", {
          class: "muted",
          text: [c.email, c.phone, c.company].filter(Boolean).join(" · "),
        }),
      ),
      isLead(this.ctx)
        ? h("button", {
            type: "button",
            class: "btn btn-ghost",
            "data-action": "merge",
            "aria-haspopup": "dialog",
            text: t("contacts.merge"),
            onclick: (event) => openMerge(this, event.currentTarget),
          })
        : null,
    );
  }

  renderForm() {
    const c = this.contact;
    const input = (name, type, max) =>
      h("input", { name, type, maxlength: String(max), value: c[name] || "", autocomplete: "off" });
    const fields = {
      name: input("name", "text", 200),
      email: input("email", "email", 254),
      phone: input("phone", "tel", 50),
      company: input("company", "text", 200),
      avatar_url: input("avatar_url", "url", 500),
    };
    const attrs = this.defs.map((def) => attributeField(def, (c.attributes || {})[def.key], "contact-attr"));
    const error = formError();
    const onsubmit = async (event) => {
      event.preventDefault();
      const body = {};
      for (const [name, el] of Object.entries(fields)) {
        const value = el.value.trim();
        if (value !== (c[name] || "")) body[name] = value;
      }
      const changes = attributeChanges(attrs, c.attributes || {});
      if (Object.keys(changes).length) body.attributes = changes;
      if (!Object.keys(body).length) return;
      const saved = await submitTo(error, contactsApi.update(c.id, body));
      if (!saved) return;
      this.dirty = false;
      this.contact = saved;
      toast(t("contacts.saved"), "ok");
      this.renderHead();
      this.renderForm();
      this.refreshSide();
    };
    const identities = (c.identities || []).filter((i) => i.external_id);
    mount(
      this.formSlot,
      h("h2", { id: "cp-title", text: t("contacts.profile") }),
      h(
        "form",
        { class: "contact-form", onsubmit, oninput: () => (this.dirty = true) },
        labelled(t("contacts.name"), fields.name),
        labelled(t("contacts.email"), fields.email),
        labelled(t("contacts.phone"), fields.phone),
        labelled(t("contacts.company"), fields.company),
        labelled(t("contacts.avatar"), fields.avatar_url),
        attrs.length
          ? h(
              "fieldset",
              { class: "attr-set" },
              h("legend", { text: t("contacts.attributes") }),
              attrs.map((a) => a.el),
            )
          : null,
        h(
          "div",
          { class: "form-actions" },
          h("button", { type: "submit", class: "btn btn-primary", text: t("contacts.save") }),
          error.el,
        ),
      ),
      identities.length
        ? h(
            "div",
            { class: "identities" },
            h("h3", { text: t("contacts.identities") }),
            h(
              "ul",
              { class: "chips" },
              identities.map((i) => h("li", { class: "chip", text: i.external_id })),
            ),
          )
        : null,
    );
  }

  async loadSide() {
    const id = this.contact.id;
    const [page, notes, trail] = await Promise.all([
      guard(contactsApi.conversations(id)),
      guard(contactsApi.notes(id)),
      guard(contactsApi.activity(id)),
    ]);
    if (id !== this.contact.id) return;
    if (page) this.renderTimeline(page.items, page.next_before_id, false);
    if (notes) this.renderNotes(notes);
    if (trail) this.renderHistory(trail);
  }

  renderTimeline(items, next, append) {
    let list = this.timeline.querySelector(".timeline");
    if (!append || !list) {
      list = h("ol", { class: "timeline" });
      mount(
        this.timeline,
        h("h2", { id: "ct-title", text: t("contacts.timeline") }),
        h("p", { class: "muted", text: t("contacts.timelineHint") }),
        list,
      );
    }
    list.append(...items.map((conv) => this.timelineItem(conv)));
    if (!list.children.length) {
      list.replaceWith(h("p", { class: "muted", text: t("contacts.noConversations") }));
    }
    this.timeline.querySelector(".timeline-more")?.remove();
    if (next) {
      this.timeline.append(
        h("button", {
          type: "button",
          class: "btn btn-ghost timeline-more",
          text: t("contacts.more"),
          onclick: async () => {
            const more = await guard(contactsApi.conversations(this.contact.id, next));
            if (more) this.renderTimeline(more.items, more.next_before_id, true);
          },
        }),
      );
    }
  }

  timelineItem(conv) {
    const inbox = this.ctx.inboxes.find((i) => i.id === conv.inbox_id);
    return h(
      "li",
      { class: "timeline-item", "data-conversation": String(conv.id) },
      h(
        "a",
        { href: `#/conversations/${conv.id}`, class: "timeline-link" },
        h(
          "span",
          { class: "timeline-top" },
          h("span", { class: "timeline-title", text: t("contacts.conversation", { id: conv.id }) }),
          h("span", { class: `pill status-${conv.status}`, text: t(`status.${conv.status}`) }),
          inbox ? h("span", { class: "chip", text: inbox.name }) : null,
          h("span", { class: "conv-time", text: clockTime(conv.created_at) }),
        ),
        h("span", { class: "timeline-preview", text: conv.last_message_preview || "—" }),
      ),
    );
  }

  renderNotes(notes) {
    const text = h("textarea", {
      name: "note",
      rows: "3",
      maxlength: "5000",
      required: true,
      placeholder: t("contacts.notePlaceholder"),
    });
    const error = formError();
    const onsubmit = async (event) => {
      event.preventDefault();
      const value = text.value.trim();
      if (!value) return;
      const note = await submitTo(error, contactsApi.addNote(this.contact.id, value));
      if (!note) return;
      text.value = "";
      this.renderNotes([note, ...notes]);
      this.refreshSide();
    };
    const mayDelete = (note) =>
      isLead(this.ctx) || (note.author && note.author.id === this.ctx.me.id);
    mount(
      this.notes,
      h("h2", { id: "cn-title", text: t("contacts.notes") }),
      h(
        "form",
        { class: "note-form", onsubmit },
        labelled(t("contacts.noteLabel"), text),
        h(
          "div",
          { class: "form-actions" },
          h("button", { type: "submit", class: "btn btn-primary", text: t("contacts.addNote") }),
          error.el,
        ),
      ),
      notes.length
        ? h(
            "ul",
            { class: "note-list" },
            notes.map((note) => {
              const author = note.author ? note.author.name : t("contacts.someone");
              return h(
                "li",
                { class: "note-item" },
                h("p", { class: "note-text", text: note.text }),
                h(
                  "p",
                  { class: "muted note-meta" },
                  `${author} · ${clockTime(note.created_at)}`,
                  mayDelete(note)
                    ? h("button", {
                        type: "button",
                        class: "btn btn-ghost btn-danger btn-small",
                        "aria-label": t("contacts.deleteNote", { name: author }),
                        text: t("form.remove"),
                        onclick: async () => {
                          const done = await guard(contactsApi.deleteNote(this.contact.id, note.id));
                          if (done === undefined) return;
                          this.refreshSide();
                        },
                      })
                    : null,
                ),
              );
            }),
          )
        : h("p", { class: "muted", text: t("contacts.noNotes") }),
    );
  }

  renderHistory(trail) {
    mount(
      this.history,
      h("h2", { id: "ch-title", text: t("contacts.history") }),
      trail.length
        ? h(
            "ul",
            { class: "history-list" },
            trail.map((entry) =>
              h(
                "li",
                {},
                h("span", { text: historyText(entry) }),
                " ",
                h("span", { class: "muted", text: clockTime(entry.created_at) }),
              ),
            ),
          )
        : h("p", { class: "muted", text: t("contacts.noHistory") }),
    );
  }

  async reload() {
    const fresh = await guard(contactsApi.get(this.contact.id));
    if (!fresh) return;
    this.contact = fresh;
    this.renderHead();
    if (!this.dirty) this.renderForm();
    this.refreshSide();
  }

  onFrame(frame) {
    const id = this.contact.id;
    if (frame.type === "contact.updated" && frame.contact.id === id) this.reload();
    else if (frame.type === "contact.merged" && frame.merged_id === id) {
      location.hash = `#/contacts/${frame.contact_id}`;
    } else if (frame.type === "contact.merged" && frame.contact_id === id) this.reload();
    else if (frame.type === "conversation.updated" && frame.conversation.contact.id === id) {
      this.refreshSide();
    }
  }
}

function historyText(entry) {
  const by = entry.actor ? entry.actor.name : t("contacts.system");
  const d = entry.details || {};
  switch (entry.action) {
    case "updated": {
      const fields = Object.keys(d.changes || {}).map((f) =>
        f.startsWith("attributes.") ? f.slice(11) : t(`contacts.${f === "avatar_url" ? "avatarShort" : f}`),
      );
      return t("contacts.act.updated", { by, fields: fields.join(", ") });
    }
    case "merged": {
      const name = d.merged_name || t("visitor", { id: d.merged_id });
      if (d.reason === "identified") return t("contacts.act.mergedOnLogin", { name });
      return t("contacts.act.merged", { by, name });
    }
    case "identified":
      return t("contacts.act.identified", { id: d.external_id || "" });
    case "note_deleted":
      return t("contacts.act.note_deleted", { by });
    default:
      return entry.action;
  }
}

// --- merge ------------------------------------------------------------------------------------

function openMerge(view, opener) {
  const target = view.contact;
  const search = h("input", {
    id: "merge-search",
    type: "search",
    maxlength: "200",
    autocomplete: "off",
    placeholder: t("contacts.search"),
  });
  const results = h("ul", { class: "merge-results", "aria-live": "polite" });
  const error = formError();
  const dialog = h("dialog", { class: "dialog", "aria-labelledby": "merge-title" });
  let asked = 0;
  const find = async () => {
    const mine = ++asked;
    const page = await guard(contactsApi.list({ q: search.value.trim(), limit: 20 }));
    if (!page || mine !== asked) return;
    const others = page.items.filter((c) => c.id !== target.id);
    mount(
      results,
      others.length
        ? others.map((c) =>
            h(
              "li",
              { class: "merge-result" },
              avatar(c),
              h(
                "span",
                { class: "grow" },
                h("span", { class: "contact-row-name", text: contactName(c) }),
                h("span", {
                  class: "muted contact-row-details",
                  text: [c.email, c.phone, c.company].filter(Boolean).join(" · "),
                }),
              ),
              h("button", {
                type: "button",
                class: "btn btn-primary btn-small",
                "data-merge": String(c.id),
                "aria-label": t("contacts.mergePick", { name: contactName(c) }),
                text: t("contacts.mergeShort"),
                onclick: () => merge(c),
              }),
            ),
          )
        : h("li", { class: "muted", text: t("contacts.mergeNone") }),
    );
  };
  const merge = async (other) => {
    const survivor = await submitTo(error, contactsApi.merge(target.id, other.id));
    if (!survivor) return;
    toast(t("contacts.merged"), "ok");
    dialog.close();
    view.contact = survivor;
    view.render();
  };
  let timer = null;
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(find, SEARCH_DELAY_MS);
  });
  dialog.append(
    h(
      "form",
      {
        class: "dialog-form",
        onsubmit: (event) => {
          event.preventDefault(); // Enter in the search box searches at once
          find();
        },
      },
      h("h2", { id: "merge-title", text: t("contacts.mergeTitle", { name: contactName(target) }) }),
      h("p", { class: "muted", text: t("contacts.mergeHint") }),
      labelled(t("contacts.mergeSearch"), search),
      results,
      h(
        "div",
        { class: "form-actions" },
        h("button", {
          type: "button",
          class: "btn btn-ghost",
          text: t("contacts.cancel"),
          onclick: () => dialog.close(),
        }),
        error.el,
      ),
    ),
  );
  dialog.addEventListener("close", () => {
    dialog.remove();
    (opener && opener.isConnected ? opener : document.getElementById("main"))?.focus();
  });
  document.body.append(dialog);
  dialog.showModal();
  find();
}
