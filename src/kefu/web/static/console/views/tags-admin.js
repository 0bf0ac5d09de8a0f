// Admin: the tag catalogue — rename, recolour, delete (from every conversation), create.

import { workflowApi } from "../api-workflow.js";
import { guard, h, labelled, mount, toast } from "../dom.js";
import { t } from "../i18n.js";
import { deleteWithConfirm, formActions, formError, submitTo } from "./forms.js";
import { tagChip, tagStore } from "./tags.js";

export async function renderTags(container) {
  await tagStore.load();
  const again = () => renderTags(container);
  mount(
    container,
    h("h1", { text: t("tags.title") }),
    h("p", { class: "muted page-intro", text: t("tags.intro") }),
    tagStore.tags.length
      ? h(
          "ul",
          { class: "card-list tag-admin-list", "aria-label": t("tags.title") },
          tagStore.tags.map((tag) => tagRow(tag, again)),
        )
      : h("p", { class: "card form-card muted", text: t("tags.empty") }),
    newTagForm(again),
  );
}

function tagRow(tag, again) {
  const name = h("input", {
    value: tag.name,
    maxlength: "50",
    required: true,
    "aria-label": t("tags.nameOf", { name: tag.name }),
  });
  const colour = h("input", {
    type: "color",
    value: tag.colour,
    "aria-label": t("tags.colourOf", { name: tag.name }),
  });
  const error = formError();
  const save = async (event) => {
    event.preventDefault();
    const body = {};
    if (name.value.trim() !== tag.name) body.name = name.value;
    if (colour.value.toLowerCase() !== tag.colour) body.colour = colour.value.toLowerCase();
    if (!Object.keys(body).length) return;
    if (await submitTo(error, workflowApi.updateTag(tag.id, body))) {
      toast(t("admin.saved"), "ok");
      await again();
    }
  };
  const [remove, confirmBox] = deleteWithConfirm({
    label: t("tags.deleteNamed", { name: tag.name }),
    text: t("tags.delete"),
    question: t("tags.confirmDelete"),
    yes: t("tags.confirmYes"),
    onConfirm: async () => {
      if ((await guard(workflowApi.deleteTag(tag.id))) === undefined) return;
      toast(t("tags.deleted"), "ok");
      await again();
    },
  });
  return h(
    "li",
    { class: "card row-card tag-row" },
    h(
      "form",
      { class: "tag-row-form", onsubmit: save },
      tagChip(tag.name),
      name,
      colour,
      h("button", { type: "submit", class: "btn", text: t("admin.save") }),
      remove,
      confirmBox,
      error.el,
    ),
  );
}

function newTagForm(again) {
  const name = h("input", { name: "name", maxlength: "50", required: true });
  const colour = h("input", { type: "color", name: "colour", value: "#1f6feb" });
  const error = formError();
  const onsubmit = async (event) => {
    event.preventDefault();
    const created = await submitTo(
      error,
      workflowApi.createTag({ name: name.value, colour: colour.value.toLowerCase() }),
    );
    if (!created) return;
    toast(t("admin.created"), "ok");
    await again();
  };
  return h(
    "form",
    { class: "card form-card", onsubmit, "aria-labelledby": "tag-form-title" },
    h("h2", { id: "tag-form-title", text: t("tags.new") }),
    h("div", { class: "form-grid" }, labelled(t("tags.name"), name), labelled(t("tags.colour"), colour)),
    formActions({ editing: false, error }),
  );
}
