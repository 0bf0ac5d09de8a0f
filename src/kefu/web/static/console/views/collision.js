// Agent collision: who else is viewing the open conversation, so that two agents do not answer
// the same customer ("Amy is typing…" is the thread's typing line, from the typing frames). The
// console says which conversation it shows with `viewing` frames (again every heartbeat while
// the tab is visible, off when it leaves or hides); the server tells it about the others.
// Viewers not refreshed in time are forgotten.

import { h } from "../dom.js";
import { t } from "../i18n.js";

const HEARTBEAT_MS = 15000;

export class Collision {
  constructor(ctx) {
    this.ctx = ctx;
    this.conversationId = null;
    this.viewers = new Map(); // viewer key -> {userId, name, timer}
    this.el = h("p", { class: "collision", role: "status", hidden: true });
    this.off = ctx.bus.on((frame) => this.frame(frame));
    this.pulse = setInterval(() => this.send(true), HEARTBEAT_MS);
    this.onVisibility = () => this.send(document.visibilityState === "visible");
    document.addEventListener("visibilitychange", this.onVisibility);
  }

  stop() {
    this.off();
    clearInterval(this.pulse);
    document.removeEventListener("visibilitychange", this.onVisibility);
  }

  /** The element the thread shows above its composer. */
  view() {
    this.render();
    return this.el;
  }

  enter(conversationId) {
    if (this.conversationId === conversationId) return;
    this.leave();
    this.conversationId = conversationId;
    this.send(true);
  }

  leave() {
    if (this.conversationId !== null) this.send(false);
    this.conversationId = null;
    this.clear();
  }

  /** After the socket (re)connected: the server forgot this console. */
  resend() {
    this.send(true);
  }

  send(on) {
    if (this.conversationId === null) return;
    if (on && document.visibilityState !== "visible") return;
    this.ctx.socket.send({ type: "viewing", conversation_id: this.conversationId, on });
  }

  clear() {
    for (const entry of this.viewers.values()) clearTimeout(entry.timer);
    this.viewers.clear();
    this.render();
  }

  frame(frame) {
    if (frame.conversation_id !== this.conversationId || this.conversationId === null) return;
    if (frame.type === "viewers") {
      this.clear();
      for (const v of frame.viewers) this.seen(v.viewer, v.user_id, v.name, v.expires_in);
    } else if (frame.type === "viewing") {
      if (frame.on) this.seen(frame.viewer, frame.user_id, frame.name, frame.expires_in);
      else this.gone(frame.viewer);
    }
  }

  seen(key, userId, name, expiresIn) {
    if (userId === this.ctx.me.id) return;
    clearTimeout(this.viewers.get(key)?.timer);
    const timer = setTimeout(() => this.gone(key), Math.max(1, expiresIn) * 1000);
    this.viewers.set(key, { userId, name, timer });
    this.render();
  }

  gone(key) {
    const entry = this.viewers.get(key);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.viewers.delete(key);
    this.render();
  }

  render() {
    const names = [...new Set([...this.viewers.values()].map((v) => v.name))];
    const key = names.length > 1 ? "collision.viewingMany" : "collision.viewing";
    this.el.textContent = names.length ? t(key, { names: names.join(", ") }) : "";
    this.el.hidden = !names.length;
  }
}
