// Multi-select in the conversation list and the bulk bar: assign, add / remove a tag, snooze,
// resolve. One request for the selection; the server checks and reports each conversation,
// and those that failed stay selected.

import { workflowApi } from "../api-workflow.js";
import { contactName, guard, h, mount, toast } from "../dom.js";
import { t } from "../i18n.js";
import { snoozePresets } from "./snooze.js";
import { tagSuggestions } from "./tags.js";

export class BulkSelection {
  constructor(ctx, list) {
    this.ctx = ctx;
    this.list = list;
    this.ids = new Set();
    this.el = h("div", { class: "bulk-bar", role: "region", "aria-label": t("bulk.label") });
  }

  /** The checkbox in front of a list item. */
  checkbox(conv) {
    return h("input", {
      type: "checkbox",
      class: "conv-select",
      "data-id": String(conv.id),
      checked: this.ids.has(conv.id),
      "aria-label": t("bulk.select", { name: contactName(conv.contact) }),
      onchange: (event) => {
        if (event.target.checked) this.ids.add(conv.id);
        else this.ids.delete(conv.id);
        this.render();
      },
    });
  }

  /** Drop ids no longer in the list (filters changed, conversations left it). */
  prune() {
    for (const id of this.ids) if (!this.list.items.has(id)) this.ids.delete(id);
  }

  /** Build the bar (again after a language change); `render` only updates it after that, so
   * live list updates never wipe what the agent is typing into it. */
  view() {
    this.allBox = h("input", {
      type: "checkbox",
      id: "bulk-all",
      onchange: (event) => {
        for (const id of this.list.items.keys()) {
          if (event.target.checked) this.ids.add(id);
          else this.ids.delete(id);
        }
        this.list.render();
      },
    });
    this.count = h("span", {});
    this.actionsEl = this.actions();
    mount(
      this.el,
      h("label", { class: "check bulk-all", for: "bulk-all" }, this.allBox, " ", this.count),
      this.actionsEl,
    );
    this.render();
    return this.el;
  }

  render() {
    if (!this.allBox) return;
    this.prune();
    const shown = [...this.list.items.keys()];
    this.allBox.checked = shown.length > 0 && shown.every((id) => this.ids.has(id));
    this.allBox.disabled = shown.length === 0;
    this.count.textContent = this.ids.size
      ? t("bulk.selected", { n: this.ids.size })
      : t("bulk.selectAll");
    this.actionsEl.hidden = this.ids.size === 0;
    this.el.classList.toggle("is-active", this.ids.size > 0);
    for (const box of this.list.ul.querySelectorAll(".conv-select")) {
      box.checked = this.ids.has(Number(box.dataset.id));
    }
  }

  actions() {
    const users = this.ctx.users.filter((u) => u.is_active);
    const assignee = h(
      "select",
      { id: "bulk-assignee", "aria-label": t("bulk.assignTo") },
      h("option", { value: "", disabled: true, selected: true }, t("bulk.assignTo")),
      h("option", { value: "none" }, t("conv.unassigned")),
      users.map((u) => h("option", { value: String(u.id) }, u.name)),
    );
    const tag = h("input", {
      id: "bulk-tag",
      maxlength: "50",
      list: "bulk-tag-suggestions",
      autocomplete: "off",
      placeholder: t("tags.addNamed"),
      "aria-label": t("bulk.tag"),
    });
    const snooze = h(
      "select",
      { id: "bulk-snooze", "aria-label": t("bulk.snooze") },
      snoozePresets().map(([key, until]) =>
        h("option", { value: until ? until.toISOString() : "" }, t(`snooze.${key}`)),
      ),
    );
    const button = (label, action, onclick) =>
      h("button", { type: "button", class: "btn btn-small", "data-bulk": action, text: label, onclick });
    const tagName = () => tag.value.trim();
    return h(
      "div",
      { class: "bulk-actions" },
      h(
        "div",
        { class: "bulk-row" },
        assignee,
        button(t("bulk.assign"), "assign", () => {
          if (!assignee.value) return; // nobody chosen yet
          this.run({ type: "assign", assignee_id: assignee.value === "none" ? null : Number(assignee.value) });
        }),
      ),
      h(
        "div",
        { class: "bulk-row" },
        tag,
        tagSuggestions("bulk-tag-suggestions"),
        button(t("bulk.addTag"), "add-tag", () => tagName() && this.run({ type: "tags", add: [tagName()] })),
        button(t("bulk.removeTag"), "remove-tag", () =>
          tagName() && this.run({ type: "tags", remove: [tagName()] }),
        ),
      ),
      h(
        "div",
        { class: "bulk-row" },
        snooze,
        button(t("bulk.snooze"), "snooze", () => this.run({ type: "snooze", until: snooze.value || null })),
        button(t("bulk.resolve"), "resolve", () => this.run({ type: "status", status: "resolved" })),
        h("button", {
          type: "button",
          class: "btn btn-ghost btn-small",
          text: t("bulk.clear"),
          onclick: () => {
            this.ids.clear();
            this.list.render();
          },
        }),
      ),
    );
  }

  async run(action) {
    const ids = [...this.ids];
    if (!ids.length) return;
    const result = await guard(workflowApi.bulk(ids, action));
    if (!result) return;
    const failed = result.results.filter((r) => !r.ok);
    this.ids = new Set(failed.map((r) => r.id));
    if (failed.length) {
      toast(t("bulk.partly", { ok: result.succeeded, failed: failed.length, reason: failed[0].error.message }));
    } else toast(t("bulk.done", { n: result.succeeded }), "ok");
    this.list.scheduleRefresh();
    this.list.render();
  }
}
