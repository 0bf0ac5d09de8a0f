// Live state shared by several views: a small publish/subscribe hub, a coalescing refresher,
// and the roster of agents (presence, load / capacity, skills) kept current from socket events.

import { api } from "./api.js";

/** Listeners of one kind of change. `on` returns the function that unsubscribes. */
export class Hub {
  constructor() {
    this.listeners = new Set();
  }

  on(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  emit(value) {
    for (const fn of [...this.listeners]) fn(value);
  }
}

/**
 * Subscribe `fn` to `hub` for as long as `el` stays in the document: once it has been shown
 * and is then removed (the page or shell was redrawn), the next change unsubscribes it.
 */
export function whileMounted(el, hub, fn) {
  let shown = false;
  const off = hub.on((value) => {
    if (el.isConnected) shown = true;
    else if (shown) {
      off();
      return;
    }
    fn(value);
  });
  return off;
}

/**
 * Run `fn` once, `delay` ms after the first of a burst of requests (a steady stream of events
 * still refreshes every `delay` ms, rather than never). Failures are left to `fn`.
 */
export function coalesce(fn, delay) {
  let timer = null;
  const run = () => {
    if (timer) return;
    timer = setTimeout(async () => {
      timer = null;
      await fn();
    }, delay);
  };
  run.cancel = () => {
    clearTimeout(timer);
    timer = null;
  };
  return run;
}

export const PRESENCES = ["online", "busy", "away", "offline"];

/** Everyone's presence; loads and capacities where the server shows them (leads: everyone). */
export class Roster {
  constructor() {
    this.agents = new Map(); // user_id -> AgentStatusOut
    this.changed = new Hub();
    this.scheduleRefresh = coalesce(() => this.load(), 700);
  }

  async load() {
    let list;
    try {
      list = await api.agentStatuses();
    } catch {
      return; // a background refresh: the next event or reconnect tries again
    }
    this.agents = new Map(list.map((agent) => [agent.user_id, agent]));
    this.changed.emit();
  }

  get(userId) {
    return this.agents.get(userId) || null;
  }

  list() {
    return [...this.agents.values()];
  }

  /** A fresh status from a PUT response. */
  put(status) {
    this.agents.set(status.user_id, status);
    this.changed.emit();
  }

  /** `agent.updated`: presence, capacity and skills changed (load is refetched). */
  agentUpdated(frame) {
    const known = this.agents.get(frame.user_id);
    if (!known) {
      this.scheduleRefresh();
      return;
    }
    known.presence = frame.presence;
    known.skills = frame.skills;
    // Capacity is shown only where the server shows it (load is null for others' rows).
    if (known.load !== null) known.max_conversations = frame.max_conversations;
    this.changed.emit();
  }
}
