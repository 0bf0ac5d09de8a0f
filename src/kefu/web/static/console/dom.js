// DOM helpers. Data is only ever inserted as text nodes: no innerHTML anywhere in the console.

import { has, t } from "./i18n.js";

/**
 * Create an element. `attrs`: "class", "text" (textContent), "on<event>" handlers, boolean
 * properties (checked, disabled, selected, hidden...), anything else via setAttribute.
 * `children`: nodes or strings (strings become text nodes); null/false are skipped.
 */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = String(value);
    else if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2), value);
    } else if (["checked", "disabled", "selected", "hidden", "value", "readOnly"].includes(key)) {
      node[key] = value;
    } else node.setAttribute(key, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace all children of `node`. */
export function mount(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

let toastHost = null;

/** Show a message in the role="alert" area; errors stay until dismissed or 8 s pass. */
export function toast(message, kind = "error") {
  toastHost = toastHost || document.getElementById("toasts");
  const item = h(
    "div",
    { class: `toast toast-${kind}` },
    h("span", { class: "toast-text", text: message }),
    h("button", {
      type: "button",
      class: "toast-close",
      "aria-label": t("dismiss"),
      text: "×",
      onclick: () => item.remove(),
    }),
  );
  toastHost.append(item);
  setTimeout(() => item.remove(), kind === "error" ? 8000 : 3000);
  return item;
}

/**
 * A readable message for a failed request: the console's own wording for error codes it knows
 * (so they read the same in both languages), else the server's (already localised) message.
 */
export function errorText(error) {
  if (error && error.code && has(`error.${error.code}`)) return t(`error.${error.code}`);
  return error && error.message ? error.message : t("err.generic");
}

/** Run an async action and report any failure in the alert area (never fail silently). */
export async function guard(promise) {
  try {
    return await promise;
  } catch (error) {
    toast(errorText(error));
    return undefined;
  }
}

export function labelled(labelText, control, hint = null) {
  const id = control.id || "f" + Math.random().toString(36).slice(2, 9);
  control.id = id;
  return h(
    "div",
    { class: "field" },
    h("label", { for: id, text: labelText }),
    control,
    hint ? h("p", { class: "hint", text: hint }) : null,
  );
}

/** "Visitor #12" for an unnamed contact. */
export function contactName(contact) {
  const name = contact && contact.name ? contact.name.trim() : "";
  return name || t("visitor", { id: contact ? contact.id : "?" });
}

export function relativeTime(iso) {
  const seconds = Math.max(0, (Date.now() - new Date(iso).getTime()) / 1000);
  if (seconds < 60) return t("time.now");
  if (seconds < 3600) return t("time.min", { n: Math.floor(seconds / 60) });
  if (seconds < 86400) return t("time.hour", { n: Math.floor(seconds / 3600) });
  return t("time.day", { n: Math.floor(seconds / 86400) });
}

/** A length of time in words: "45 s", "12 min", "3 h 5 min", "2 d 4 h". */
export function duration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return t("dur.s", { n: s });
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return t("dur.min", { n: minutes });
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return t("dur.hMin", { h: hours, m: minutes % 60 });
  return t("dur.dH", { d: Math.floor(hours / 24), h: hours % 24 });
}

/** A running clock: "2:05", "1:02:05". */
export function stopwatch(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const two = (n) => String(n).padStart(2, "0");
  const hours = Math.floor(s / 3600);
  const rest = `${two(Math.floor((s % 3600) / 60))}:${two(s % 60)}`;
  return hours ? `${hours}:${rest}` : `${Math.floor((s % 3600) / 60)}:${two(s % 60)}`;
}

export function clockTime(iso) {
  const date = new Date(iso);
  return date.toLocaleString(document.documentElement.lang || undefined, {
    month: "numeric",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  });
}

export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) =>
    b.toString(16).padStart(2, "0"),
  ).join("");
}
