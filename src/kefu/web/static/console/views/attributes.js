// Custom attributes: the admin page that defines them (contacts or conversations; text, number,
// date, list), the form fields that edit their values, and the conversation side panel's
// section. Values are checked again by the server (a 422 names the field).

import { request } from "../api.js";
import { guard, h, labelled, mount, toast } from "../dom.js";
import { t } from "../i18n.js";
import { formActions, formError, selectOf, submitTo } from "./forms.js";

const enc = encodeURIComponent;
const TYPES = ["text", "number", "date", "list"];
const SCOPES = ["contact", "conversation"];

const CACHE_MS = 30_000;
let cached = { at: 0, promise: null };

export const attributesApi = {
  definitions: (scope = null) =>
    request("GET", `/api/v1/attribute-definitions${scope ? `?scope=${enc(scope)}` : ""}`),
  /** The conversation definitions, fetched at most every 30 s (the side panel redraws often). */
  conversationDefinitions: () => {
    if (!cached.promise || Date.now() - cached.at > CACHE_MS) {
      cached = { at: Date.now(), promise: attributesApi.definitions("conversation") };
      cached.promise.catch(() => (cached = { at: 0, promise: null }));
    }
    return cached.promise;
  },
  create: (body) => request("POST", "/api/v1/attribute-definitions", body),
  update: (id, body) => request("PATCH", `/api/v1/attribute-definitions/${enc(id)}`, body),
  remove: (id) => request("DELETE", `/api/v1/attribute-definitions/${enc(id)}`),
  setOnConversation: (id, attributes) =>
    request("PATCH", `/api/v1/conversations/${enc(id)}/attributes`, { attributes }),
};

/** An input for one definition's value: {el (labelled field), read() -> value or null}. */
export function attributeField(def, value, idPrefix = "attr") {
  const id = `${idPrefix}-${def.key}`;
  let input;
  if (def.type === "list") {
    input = selectOf(
      [["", t("attrs.unset")], ...def.options.map((o) => [o, o])],
      value ?? "",
      { id, name: def.key },
    );
  } else {
    input = h("input", {
      id,
      name: def.key,
      type: def.type === "number" ? "number" : def.type === "date" ? "date" : "text",
      step: def.type === "number" ? "any" : null,
      maxlength: def.type === "text" ? "1000" : null,
      value: value === null || value === undefined ? "" : String(value),
    });
  }
  const read = () => {
    const raw = input.value.trim();
    if (raw === "") return null;
    return def.type === "number" ? Number(raw) : raw;
  };
  return { el: labelled(def.label, input), read, def };
}

/** The changes between the stored values and the fields (unchanged keys are left out). */
export function attributeChanges(fields, stored) {
  const changes = {};
  for (const field of fields) {
    const now = field.read();
    const before = stored[field.def.key] ?? null;
    if (now !== before) changes[field.def.key] = now;
  }
  return changes;
}

/** The conversation side panel's section: its attribute values, editable in place. */
export async function conversationAttributes(slot, conv) {
  const defs = await attributesApi.conversationDefinitions().catch(() => null);
  if (!defs || !defs.length || !slot.isConnected) return;
  const stored = { ...(conv.attributes || {}) };
  const fields = defs.map((def) => attributeField(def, stored[def.key], `cattr-${conv.id}`));
  const error = formError();
  const onsubmit = async (event) => {
    event.preventDefault();
    const changes = attributeChanges(fields, stored);
    if (!Object.keys(changes).length) return;
    const updated = await submitTo(error, attributesApi.setOnConversation(conv.id, changes));
    if (!updated) return;
    Object.assign(stored, changes);
    for (const [key, value] of Object.entries(changes)) if (value === null) delete stored[key];
    toast(t("attrs.saved"), "ok");
  };
  mount(
    slot,
    h(
      "form",
      { class: "attr-form", onsubmit, "aria-labelledby": `cattr-title-${conv.id}` },
      h("h3", { id: `cattr-title-${conv.id}`, text: t("contacts.attributes") }),
      fields.map((f) => f.el),
      h(
        "div",
        { class: "form-actions" },
        h("button", { type: "submit", class: "btn btn-ghost btn-small", text: t("attrs.save") }),
        error.el,
      ),
    ),
  );
}

/** An activity line about attributes or a contact merge, in the conversation's messages. */
export function contactActivityText(activity) {
  if (activity.type === "attributes_changed") {
    const changes = Object.entries(activity.changes || {})
      .map(([key, value]) => `${key} = ${value === null ? t("attrs.unset") : value}`)
      .join(", ");
    return t("activity.attributesChanged", { by: activity.by || t("activity.system"), changes });
  }
  if (activity.type === "merge_resolved") {
    return t("activity.mergeResolved", { id: activity.continued_in });
  }
  const name = (text, id) => text || t("visitor", { id });
  return t("activity.contactMerged", {
    from: name(activity.from, activity.from_id),
    into: name(activity.into, activity.into_id),
  });
}

// --- the admin page ---------------------------------------------------------------------------

export async function renderAttributes(container, ctx, editingId = null) {
  const defs = await guard(attributesApi.definitions());
  if (!defs) return;
  const editing = defs.find((d) => d.id === editingId) || null;
  const rows = SCOPES.map((scope) => {
    const mine = defs.filter((d) => d.scope === scope);
    return h(
      "section",
      { class: "attr-scope", "aria-labelledby": `scope-${scope}` },
      h("h2", { id: `scope-${scope}`, text: t(`attrs.scope.${scope}`) }),
      mine.length
        ? h(
            "ul",
            { class: "card-list" },
            mine.map((def) =>
              h(
                "li",
                { class: "card row-card", "data-attribute": def.key },
                h(
                  "div",
                  { class: "grow" },
                  h("h3", { class: "card-title", text: def.label }),
                  h("p", {
                    class: "muted",
                    text: [def.key, t(`attrs.type.${def.type}`), def.options.join(", ")]
                      .filter(Boolean)
                      .join(" · "),
                  }),
                ),
                h("button", {
                  type: "button",
                  class: "btn btn-ghost",
                  "aria-label": t("attrs.edit", { name: def.label }),
                  text: t("admin.edit"),
                  onclick: () => renderAttributes(container, ctx, def.id),
                }),
                h("button", {
                  type: "button",
                  class: "btn btn-ghost btn-danger",
                  "aria-label": t("attrs.delete", { name: def.label }),
                  text: t("form.remove"),
                  onclick: async () => {
                    if (!confirm(t("attrs.confirmDelete", { name: def.label }))) return;
                    if ((await guard(attributesApi.remove(def.id))) === undefined) return;
                    toast(t("attrs.deleted"), "ok");
                    renderAttributes(container, ctx);
                  },
                }),
              ),
            ),
          )
        : h("p", { class: "muted", text: t("attrs.empty") }),
    );
  });
  mount(
    container,
    h("h1", { text: t("attrs.title") }),
    h("p", { class: "muted", text: t("attrs.intro") }),
    rows,
    definitionForm(container, ctx, editing),
  );
}

function definitionForm(container, ctx, def) {
  const scope = selectOf(
    SCOPES.map((s) => [s, t(`attrs.scope.${s}`)]),
    def ? def.scope : "contact",
    { name: "scope", disabled: !!def },
  );
  const key = h("input", {
    name: "key",
    required: true,
    pattern: "[a-z0-9_]{1,40}",
    maxlength: "40",
    value: def ? def.key : "",
    readOnly: !!def,
  });
  const label = h("input", { name: "label", required: true, maxlength: "100", value: def?.label || "" });
  const type = selectOf(
    TYPES.map((ty) => [ty, t(`attrs.type.${ty}`)]),
    def ? def.type : "text",
    { name: "type", disabled: !!def },
  );
  const options = h("textarea", { name: "options", rows: "4" });
  options.value = def ? def.options.join("\n") : "";
  const optionsField = labelled(t("attrs.options"), options);
  const sync = () => {
    optionsField.hidden = type.value !== "list";
  };
  type.addEventListener("change", sync);
  sync();
  const error = formError();
  const onsubmit = async (event) => {
    event.preventDefault();
    const list = options.value
      .split("\n")
      .map((o) => o.trim())
      .filter(Boolean);
    const body = { label: label.value.trim() };
    if (type.value === "list") body.options = list;
    const saved = await submitTo(
      error,
      def
        ? attributesApi.update(def.id, body)
        : attributesApi.create({ ...body, scope: scope.value, key: key.value.trim(), type: type.value }),
    );
    if (!saved) return;
    cached = { at: 0, promise: null };
    toast(def ? t("admin.saved") : t("admin.created"), "ok");
    renderAttributes(container, ctx);
  };
  const title = def ? t("attrs.edit", { name: def.label }) : t("attrs.new");
  return h(
    "form",
    { class: "card form-card", onsubmit, "aria-labelledby": "attr-form-title" },
    h("h2", { id: "attr-form-title", text: title }),
    h(
      "div",
      { class: "form-grid" },
      labelled(t("attrs.scope"), scope),
      labelled(t("attrs.type"), type),
      labelled(t("attrs.key"), key, t("attrs.keyHint")),
      labelled(t("attrs.label"), label),
      optionsField,
    ),
    formActions({ editing: !!def, onCancel: () => renderAttributes(container, ctx), error }),
  );
}
