// Agents: the live board (presence, load, capacity, skills) for supervisors and admins, and for
// admins the accounts — list, create (email, name, password, role, locale), change role,
// deactivate / reactivate.

import { api } from "../api.js";
import { guard, h, labelled, mount, toast } from "../dom.js";
import { LOCALES, t } from "../i18n.js";
import { agentsBoard } from "./board.js";

const ROLES = ["agent", "supervisor", "admin"];

function roleSelect(value, attrs = {}) {
  return h(
    "select",
    attrs,
    ROLES.map((role) => h("option", { value: role, selected: role === value }, t(`role.${role}`))),
  );
}

export async function renderAgents(container, ctx) {
  const accounts = h("div", { class: "accounts" });
  const admin = ctx.me.role === "admin";
  mount(container, h("h1", { text: t("admin.agents") }), agentsBoard(ctx), admin ? accounts : null);
  if (admin) await renderAccounts(accounts, ctx);
}

async function renderAccounts(container, ctx) {
  const users = await guard(api.users());
  if (!users) return;
  ctx.users = users;
  ctx.roster.scheduleRefresh(); // names, roles and deactivations show on the board too
  const rows = users.map((user) => {
    const isSelf = user.id === ctx.me.id;
    const role = roleSelect(user.role, {
      "aria-label": t("admin.roleFor", { name: user.name }),
      disabled: isSelf,
      onchange: async () => {
        const updated = await guard(api.updateUser(user.id, { role: role.value }));
        if (updated) toast(t("admin.saved"), "ok");
        await renderAccounts(container, ctx);
      },
    });
    const toggle = h("button", {
      type: "button",
      class: "btn btn-ghost",
      disabled: isSelf,
      text: user.is_active ? t("admin.deactivate") : t("admin.reactivate"),
      onclick: async () => {
        const updated = await guard(api.updateUser(user.id, { is_active: !user.is_active }));
        if (updated) toast(t("admin.saved"), "ok");
        await renderAccounts(container, ctx);
      },
    });
    return h(
      "tr",
      { class: user.is_active ? "" : "is-inactive", "data-email": user.email },
      h("td", { text: user.name }),
      h("td", { text: user.email }),
      h("td", {}, role),
      h("td", { text: user.is_active ? t("admin.active") : t("admin.inactive") }),
      h("td", {}, toggle),
    );
  });
  mount(
    container,
    h(
      "section",
      { class: "card table-card", "aria-labelledby": "accounts-title" },
      h("h2", { id: "accounts-title", class: "card-head", text: t("board.accounts") }),
      h(
        "table",
        { class: "table" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ["admin.name", "admin.email", "admin.role", "admin.status", "admin.actions"].map((k) =>
              h("th", { scope: "col", text: t(k) }),
            ),
          ),
        ),
        h("tbody", {}, rows),
      ),
    ),
    agentForm(container, ctx),
  );
}

function agentForm(container, ctx) {
  const name = h("input", { name: "name", required: true, maxlength: "200" });
  const email = h("input", { name: "email", type: "email", required: true });
  const password = h("input", {
    name: "password",
    type: "password",
    required: true,
    minlength: "8",
    autocomplete: "new-password",
  });
  const role = roleSelect("agent", { name: "role" });
  const localeSelect = h(
    "select",
    { name: "locale" },
    LOCALES.map(([value, label]) => h("option", { value }, label)),
  );
  const onsubmit = async (event) => {
    event.preventDefault();
    const created = await guard(
      api.createUser({
        name: name.value.trim(),
        email: email.value.trim(),
        password: password.value,
        role: role.value,
        locale: localeSelect.value,
      }),
    );
    if (!created) return;
    toast(t("admin.created"), "ok");
    await renderAccounts(container, ctx);
  };
  return h(
    "form",
    { class: "card form-card", onsubmit, "aria-labelledby": "new-agent" },
    h("h2", { id: "new-agent", text: t("admin.newAgent") }),
    h(
      "div",
      { class: "form-grid" },
      labelled(t("admin.name"), name),
      labelled(t("admin.email"), email),
      labelled(t("admin.password"), password),
      labelled(t("admin.role"), role),
      labelled(t("admin.locale"), localeSelect),
    ),
    h("button", { type: "submit", class: "btn btn-primary", text: t("admin.create") }),
  );
}
