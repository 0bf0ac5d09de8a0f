// Admin: teams — list, create and edit (name, description, members).

import { api } from "../api.js";
import { guard, h, labelled, mount, toast } from "../dom.js";
import { t } from "../i18n.js";
import { formActions } from "./forms.js";
import { memberPicker } from "./members.js";

export async function renderTeams(container, ctx, editingId = null) {
  const [teams, users] = await Promise.all([guard(api.teams()), guard(api.users())]);
  if (!teams || !users) return;
  ctx.teams = teams;
  const names = new Map(users.map((u) => [u.id, u.name]));
  const editing = teams.find((team) => team.id === editingId) || null;
  mount(
    container,
    h("h1", { text: t("admin.teams") }),
    h(
      "ul",
      { class: "card-list" },
      teams.map((team) =>
        h(
          "li",
          { class: "card row-card" },
          h(
            "div",
            {},
            h("h2", { class: "card-title", text: team.name }),
            team.description ? h("p", { class: "muted", text: team.description }) : null,
            h("p", {
              class: "muted",
              text: team.member_ids.map((id) => names.get(id) || `#${id}`).join("、") || "—",
            }),
          ),
          h("button", {
            type: "button",
            class: "btn btn-ghost",
            "aria-label": `${t("admin.edit")} ${team.name}`,
            text: t("admin.edit"),
            onclick: () => renderTeams(container, ctx, team.id),
          }),
        ),
      ),
    ),
    teamForm(container, ctx, users, editing),
  );
}

function teamForm(container, ctx, users, team) {
  const name = h("input", { name: "name", required: true, maxlength: "100", value: team?.name || "" });
  const description = h("input", {
    name: "description",
    maxlength: "500",
    value: team?.description || "",
  });
  const members = memberPicker(
    t("admin.members"),
    users.filter((u) => u.is_active),
    team ? team.member_ids : [],
  );
  const onsubmit = async (event) => {
    event.preventDefault();
    const body = {
      name: name.value.trim(),
      description: description.value.trim(),
      member_ids: members.value(),
    };
    const saved = await guard(team ? api.updateTeam(team.id, body) : api.createTeam(body));
    if (!saved) return;
    toast(team ? t("admin.saved") : t("admin.created"), "ok");
    await renderTeams(container, ctx);
  };
  const title = team ? `${t("admin.edit")}: ${team.name}` : t("admin.newTeam");
  return h(
    "form",
    { class: "card form-card", onsubmit, "aria-labelledby": "team-form-title" },
    h("h2", { id: "team-form-title", text: title }),
    h(
      "div",
      { class: "form-grid" },
      labelled(t("admin.name"), name),
      labelled(t("admin.description"), description),
    ),
    members.el,
    formActions({ editing: !!team, onCancel: () => renderTeams(container, ctx) }),
  );
}
