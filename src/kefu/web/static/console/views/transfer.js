// The Transfer dialog: hand the conversation to an agent (with their presence and load) or to a
// team's queue, with a note; supervisors and admins may assign past the agent's capacity.

import { api } from "../api.js";
import { h, labelled, toast } from "../dom.js";
import { t } from "../i18n.js";
import { assignableUsers } from "./details.js";
import { checkbox, formActions, formError, selectOf, submitTo } from "./forms.js";
import { loadText } from "./presence.js";

export function isLead(ctx) {
  return ctx.me && (ctx.me.role === "admin" || ctx.me.role === "supervisor");
}

function agentLabel(ctx, user) {
  const status = ctx.roster.get(user.id);
  if (!status) return user.name;
  const load = loadText(status);
  return `${user.name} — ${t(`presence.${status.presence}`)}${load ? ` · ${load}` : ""}`;
}

export function openTransfer(ctx, conv, onDone) {
  const opener = document.activeElement;
  const agents = assignableUsers(ctx, conv).filter((u) => !conv.assignee || u.id !== conv.assignee.id);
  const target = (value) =>
    h("input", { type: "radio", name: "transfer-target", value, checked: value === "agent" });
  const toAgent = target("agent");
  const toTeam = target("team");
  const agentSelect = selectOf(
    agents.map((u) => [String(u.id), agentLabel(ctx, u)]),
    agents[0] ? String(agents[0].id) : "",
    { name: "assignee" },
  );
  const teamSelect = selectOf(
    ctx.teams.map((team) => [String(team.id), team.name]),
    conv.team_id ? String(conv.team_id) : "",
    { name: "team" },
  );
  const agentField = labelled(t("transfer.agent"), agentSelect);
  const teamField = labelled(t("transfer.team"), teamSelect);
  const note = h("textarea", { name: "note", rows: "3", maxlength: "1000" });
  const force = isLead(ctx) ? checkbox(t("transfer.force"), false, { name: "force" }) : null;
  const error = formError();
  const sync = () => {
    agentField.hidden = !toAgent.checked;
    teamField.hidden = !toTeam.checked;
    if (force) force.el.hidden = !toAgent.checked;
  };
  toAgent.addEventListener("change", sync);
  toTeam.addEventListener("change", sync);

  const dialog = h("dialog", { class: "dialog", "aria-labelledby": "transfer-title" });
  const close = () => dialog.close();
  const onsubmit = async (event) => {
    event.preventDefault();
    const body = { note: note.value.trim() || null };
    if (toAgent.checked) {
      if (!agentSelect.value) {
        error.show(t("transfer.pickAgent"));
        return;
      }
      body.assignee_id = Number(agentSelect.value);
      if (force && force.input.checked) body.force = true;
    } else {
      if (!teamSelect.value) {
        error.show(t("transfer.pickTeam"));
        return;
      }
      body.team_id = Number(teamSelect.value);
    }
    const updated = await submitTo(error, api.transfer(conv.id, body));
    if (!updated) return;
    toast(t("transfer.done"), "ok");
    close();
    onDone(updated);
  };
  dialog.append(
    h(
      "form",
      { class: "dialog-form", onsubmit },
      h("h2", { id: "transfer-title", text: t("transfer.title") }),
      h(
        "fieldset",
        { class: "choice" },
        h("legend", { text: t("transfer.to") }),
        h("label", { class: "check" }, toAgent, " ", t("transfer.toAgent")),
        h("label", { class: "check" }, toTeam, " ", t("transfer.toTeam")),
      ),
      agentField,
      teamField,
      labelled(t("transfer.note"), note, t("transfer.noteHint")),
      force ? force.el : null,
      formActions({ editing: true, onCancel: close, error, submitLabel: t("transfer.submit") }),
    ),
  );
  dialog.addEventListener("close", () => {
    dialog.remove();
    // Back to the Transfer button (redrawn if the conversation changed meanwhile).
    const back =
      opener && opener.isConnected ? opener : document.querySelector("[data-action=transfer]");
    (back || document.getElementById("main"))?.focus();
  });
  sync();
  document.body.append(dialog);
  dialog.showModal();
}
