// Canned responses: the agent's own and the shared ones (admins and supervisors manage those),
// and the form to create or edit one. Content is shown as text, variables and all.

import { workflowApi } from "../api-workflow.js";
import { guard, h, labelled, mount, toast } from "../dom.js";
import { t } from "../i18n.js";
import { deleteWithConfirm, formActions, formError, selectOf, submitTo } from "./forms.js";
import { forgetCanned } from "./canned-picker.js";

const lead = (ctx) => ctx.me.role === "admin" || ctx.me.role === "supervisor";

export async function renderCanned(container, ctx, editingId = null) {
  const items = await guard(workflowApi.canned());
  if (!items) return;
  const again = (id = null) => renderCanned(container, ctx, id);
  const editing = items.find((c) => c.id === editingId) || null;
  const section = (title, list) =>
    h(
      "section",
      { class: "canned-section" },
      h("h2", { text: title }),
      list.length
        ? h("ul", { class: "card-list" }, list.map((c) => cannedCard(ctx, c, again)))
        : h("p", { class: "muted", text: t("canned.none") }),
    );
  mount(
    container,
    h("h1", { text: t("canned.title") }),
    h("p", { class: "muted page-intro", text: t("canned.intro") }),
    section(t("canned.mine"), items.filter((c) => c.scope === "personal")),
    section(t("canned.team"), items.filter((c) => c.scope === "shared")),
    cannedForm(ctx, editing, again),
  );
  if (editing) container.querySelector(".canned-form input[name=shortcut]")?.focus();
}

function cannedCard(ctx, canned, again) {
  const mayEdit = canned.scope === "personal" || lead(ctx);
  const [remove, confirmBox] = deleteWithConfirm({
    label: t("canned.deleteNamed", { shortcut: canned.shortcut }),
    text: t("canned.delete"),
    question: t("canned.confirmDelete"),
    yes: t("canned.confirmYes"),
    onConfirm: async () => {
      if ((await guard(workflowApi.deleteCanned(canned.id))) === undefined) return;
      forgetCanned();
      toast(t("canned.deleted"), "ok");
      await again();
    },
  });
  return h(
    "li",
    { class: "card row-card canned-card", "data-shortcut": canned.shortcut },
    h(
      "div",
      { class: "canned-body" },
      h(
        "p",
        { class: "canned-head" },
        h("span", { class: "canned-shortcut", text: `/${canned.shortcut}` }),
        h("span", { class: "canned-title", text: canned.title }),
        canned.locale ? h("span", { class: "chip", text: canned.locale }) : null,
      ),
      h("p", { class: "canned-content", text: canned.content }),
    ),
    mayEdit
      ? h(
          "div",
          { class: "rule-buttons" },
          h("button", {
            type: "button",
            class: "btn btn-ghost",
            "aria-label": t("canned.editNamed", { shortcut: canned.shortcut }),
            text: t("admin.edit"),
            onclick: () => again(canned.id),
          }),
          remove,
          confirmBox,
        )
      : null,
  );
}

function cannedForm(ctx, canned, again) {
  const scopes = [["personal", t("canned.personal")]];
  if (lead(ctx)) scopes.push(["shared", t("canned.shared")]);
  const scope = selectOf(scopes, canned ? canned.scope : "personal", {
    name: "scope",
    disabled: !!canned, // a response keeps its scope
  });
  const shortcut = h("input", {
    name: "shortcut",
    required: true,
    maxlength: "40",
    value: canned ? canned.shortcut : "",
  });
  const title = h("input", { name: "title", required: true, maxlength: "100", value: canned?.title || "" });
  const locale = selectOf(
    [
      ["", t("canned.anyLocale")],
      ["zh-TW", "繁體中文"],
      ["en", "English"],
    ],
    canned?.locale || "",
    { name: "locale" },
  );
  const content = h("textarea", { name: "content", rows: "5", required: true, maxlength: "5000" });
  content.value = canned?.content || "";
  const error = formError();
  const onsubmit = async (event) => {
    event.preventDefault();
    const body = {
      shortcut: shortcut.value,
      title: title.value,
      content: content.value,
      locale: locale.value || null,
    };
    const saved = await submitTo(
      error,
      canned
        ? workflowApi.updateCanned(canned.id, body)
        : workflowApi.createCanned({ ...body, scope: scope.value }),
    );
    if (!saved) return;
    forgetCanned();
    toast(canned ? t("admin.saved") : t("admin.created"), "ok");
    await again();
  };
  return h(
    "form",
    { class: "card form-card canned-form", onsubmit, "aria-labelledby": "canned-form-title" },
    h("h2", { id: "canned-form-title", text: canned ? t("canned.editNamed", { shortcut: canned.shortcut }) : t("canned.new") }),
    h(
      "div",
      { class: "form-grid" },
      labelled(t("canned.scope"), scope),
      labelled(t("canned.shortcut"), shortcut),
      labelled(t("canned.titleField"), title),
      labelled(t("canned.locale"), locale),
    ),
    labelled(t("canned.content"), content, t("canned.variables")),
    formActions({ editing: !!canned, onCancel: () => again(), error }),
  );
}
