// What this part adds to an open conversation: Schedule and Export in its header, the strip of
// scheduled messages above the composer, and the customer's rating in the details panel. Kept
// live from socket frames (scheduled_message.updated, survey answers' activity lines).

import { guard, h, mount } from "../dom.js";
import { t } from "../i18n.js";
import { openScheduleDialog, scheduleApi, scheduledStrip } from "./schedule.js";
import { ratingView, surveyApi } from "./surveys.js";
import { openExportDialog } from "./transcript.js";

export class FollowUp {
  constructor(ctx) {
    this.ctx = ctx;
    this.conv = null;
    this.scheduled = [];
    this.contactZone = null;
    this.responses = [];
    this.token = 0;
    this.ready = Promise.resolve();
    this.strip = h("div", { class: "scheduled-slot" });
    this.panel = h("div", { class: "followup-slot" });
    ctx.bus.on((frame) => this.frame(frame));
  }

  /** The thread shows `conv` (opened or updated), or nothing (null). */
  show(conv) {
    const before = this.conv;
    this.conv = conv;
    if (!conv) {
      this.token += 1;
      this.scheduled = [];
      this.responses = [];
      mount(this.strip);
      mount(this.panel);
      return;
    }
    if (!before || before.id !== conv.id) this.ready = this.load();
    else if (before.resolved_at !== conv.resolved_at) this.loadResponses();
    this.render();
  }

  /** Add the Schedule and Export buttons to the header's actions; returns `actions`. */
  withActions(actions, conv) {
    if (conv.status !== "resolved") {
      actions.append(
        h("button", {
          type: "button",
          class: "btn btn-ghost",
          "data-action": "schedule",
          "aria-haspopup": "dialog",
          text: t("schedule.open"),
          onclick: async () => {
            await this.ready; // the customer's time zone comes with the list
            openScheduleDialog(conv, this.contactZone, (item) => this.upsert(item));
          },
        }),
      );
    }
    actions.append(
      h("button", {
        type: "button",
        class: "btn btn-ghost",
        "data-action": "export",
        "aria-haspopup": "dialog",
        text: t("export.open"),
        onclick: () => openExportDialog(conv),
      }),
    );
    return actions;
  }

  /** Put the rating section at the end of the details panel; returns `details`. */
  inDetails(details, conv) {
    this.show(conv);
    details.append(this.panel);
    return details;
  }

  async load() {
    const token = ++this.token;
    const id = this.conv.id;
    const [list, responses] = await Promise.all([
      guard(scheduleApi.list(id)),
      guard(surveyApi.responses(id)),
    ]);
    if (token !== this.token) return;
    if (list) {
      this.scheduled = list.items;
      this.contactZone = list.contact_timezone;
    }
    if (responses) this.responses = responses;
    this.render();
  }

  async loadResponses() {
    const id = this.conv.id;
    const responses = await guard(surveyApi.responses(id));
    if (!responses || !this.conv || this.conv.id !== id) return;
    this.responses = responses;
    this.render();
  }

  upsert(item) {
    if (!this.conv || item.conversation_id !== this.conv.id) return;
    const rest = this.scheduled.filter((i) => i.id !== item.id);
    this.scheduled = [...rest, item].sort((a, b) => a.send_at.localeCompare(b.send_at));
    this.render();
  }

  render() {
    if (!this.conv) return;
    const onChanged = (item) => this.upsert(item);
    mount(this.strip, scheduledStrip(this.ctx, this.conv, this.scheduled, this.contactZone, onChanged));
    mount(this.panel, ratingView(this.responses, this.conv));
  }

  frame(frame) {
    if (!this.conv) return;
    if (frame.type === "resync") {
      this.load();
      return;
    }
    if (frame.conversation_id !== this.conv.id) return;
    if (frame.type === "scheduled_message.updated") this.upsert(frame.scheduled_message);
    else if (frame.type === "message.created") {
      const activity = frame.message.activity;
      if (activity && activity.type === "survey_answered") this.loadResponses();
    }
  }
}
