// The inbox's identified-visitor settings, under its embed snippet (admins only): the identity
// secret (generate / rotate), "require a verified identity", and the snippet for a logged-in
// user with the attributes the site's server fills in (docs/contacts.md).

import { request } from "../api.js";
import { guard, h, labelled, mount, toast } from "../dom.js";
import { t } from "../i18n.js";
import { checkbox } from "./forms.js";

const enc = encodeURIComponent;
const identityApi = {
  get: (id) => request("GET", `/api/v1/inboxes/${enc(id)}/identity`),
  update: (id, body) => request("PATCH", `/api/v1/inboxes/${enc(id)}/identity`, body),
  rotate: (id) => request("POST", `/api/v1/inboxes/${enc(id)}/identity/secret`),
};

/** The section's element; it fills itself in once the settings have loaded. */
export function identitySettings(inbox, snippet) {
  const host = h("section", { class: "identity-settings", "aria-labelledby": "identity-title" });
  load(host, inbox, snippet);
  return host;
}

async function load(host, inbox, snippet) {
  const settings = await guard(identityApi.get(inbox.id));
  if (settings) render(host, inbox, snippet, settings);
}

function render(host, inbox, snippet, settings) {
  const secret = h("input", {
    id: "identity-secret",
    class: "code",
    readOnly: true,
    value: settings.secret || "",
    placeholder: t("identity.none"),
  });
  const rotate = h("button", {
    type: "button",
    class: "btn btn-ghost",
    "data-action": "rotate-secret",
    text: settings.secret ? t("identity.rotate") : t("identity.generate"),
    onclick: async () => {
      if (settings.secret && !confirm(t("identity.confirmRotate"))) return;
      const fresh = await guard(identityApi.rotate(inbox.id));
      if (!fresh) return;
      toast(t("identity.rotated"), "ok");
      render(host, inbox, snippet, fresh);
    },
  });
  const required = checkbox(t("identity.require"), settings.require_verified, {
    name: "require_verified",
    disabled: !settings.secret,
  });
  required.input.addEventListener("change", async () => {
    const saved = await guard(
      identityApi.update(inbox.id, { require_verified: required.input.checked }),
    );
    if (saved) toast(t("identity.saved"), "ok");
    else required.input.checked = !required.input.checked;
  });
  const example = h("textarea", { class: "code", rows: "4", readOnly: true, id: "identity-snippet" });
  example.value = snippet.replace(
    " async>",
    ' data-user-id="USER_ID" data-user-name="NAME" data-user-email="EMAIL"\n' +
      '  data-user-hash="HMAC_SHA256_HEX(secret, USER_ID)" async>',
  );
  mount(
    host,
    h("h3", { id: "identity-title", text: t("identity.title") }),
    h("p", { class: "muted", text: t("identity.intro") }),
    h("div", { class: "inline-form" }, labelled(t("identity.secret"), secret), rotate),
    required.el,
    h("p", { class: "hint", text: t("identity.requireHint") }),
    labelled(t("identity.snippet"), example),
  );
}
