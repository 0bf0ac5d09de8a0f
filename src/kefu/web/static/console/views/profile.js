// Profile: language switch and personal API tokens (created tokens are shown once).

import { api } from "../api.js";
import { clockTime, guard, h, labelled, mount } from "../dom.js";
import { LOCALES, t } from "../i18n.js";
import { reportDigestSection } from "./report-digest.js";

export async function renderProfile(container, ctx, created = null) {
  const tokens = await guard(api.tokens());
  if (!tokens) return;
  const language = h(
    "select",
    {
      name: "locale",
      onchange: async () => {
        const user = await guard(api.updateUser(ctx.me.id, { locale: language.value }));
        if (user) ctx.updateMe(user);
      },
    },
    LOCALES.map(([value, label]) => h("option", { value, selected: value === ctx.me.locale }, label)),
  );
  const tokenName = h("input", { name: "token_name", required: true, maxlength: "100" });
  const onsubmit = async (event) => {
    event.preventDefault();
    const token = await guard(api.createToken(tokenName.value.trim()));
    if (token) await renderProfile(container, ctx, token);
  };
  const fresh = created
    ? h(
        "div",
        { class: "card token-once", role: "status" },
        h("p", { text: t("profile.tokenOnce") }),
        labelled(
          created.name,
          h("input", { class: "code", readOnly: true, value: created.token, id: "new-token" }),
        ),
      )
    : null;
  const rows = tokens.map((token) =>
    h(
      "li",
      { class: "token-row" },
      h("span", { class: "token-name", text: token.name }),
      h("code", { text: `${token.prefix}…` }),
      h("span", {
        class: "muted",
        text: `${t("profile.lastUsed")}: ${token.last_used_at ? clockTime(token.last_used_at) : t("profile.never")}`,
      }),
      h("button", {
        type: "button",
        class: "btn btn-ghost btn-danger",
        "aria-label": t("profile.deleteNamed", { name: token.name }),
        text: t("profile.delete"),
        onclick: async () => {
          if ((await guard(api.deleteToken(token.id))) !== undefined) {
            await renderProfile(container, ctx);
          }
        },
      }),
    ),
  );
  mount(
    container,
    h("h1", { text: t("profile.title") }),
    h(
      "div",
      { class: "card form-card" },
      h("p", { class: "profile-who", text: `${ctx.me.name} · ${ctx.me.email}` }),
      labelled(t("profile.language"), language),
    ),
    // Leads: the report summary by email (views/report-digest.js).
    ["admin", "supervisor"].includes(ctx.me.role) ? reportDigestSection() : null,
    h(
      "section",
      { class: "card form-card", "aria-labelledby": "tokens-title" },
      h("h2", { id: "tokens-title", text: t("profile.tokens") }),
      fresh,
      rows.length ? h("ul", { class: "token-list" }, rows) : h("p", { text: t("profile.noTokens") }),
      h(
        "form",
        { class: "inline-form", onsubmit },
        labelled(t("profile.tokenName"), tokenName),
        h("button", { type: "submit", class: "btn btn-primary", text: t("profile.createToken") }),
      ),
    ),
  );
  if (created) container.querySelector("#new-token")?.select();
}
