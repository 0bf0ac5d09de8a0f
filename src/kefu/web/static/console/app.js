// The agent console: boot (session check), the app shell with its navigation, hash routing,
// and the WebSocket dispatch that keeps every view live.

import { api, setCsrf, setUnauthorisedHandler } from "./api.js";
import { guard, h, mount, toast } from "./dom.js";
import { locale, onLocaleChange, setLocale, t } from "./i18n.js";
import { icon } from "./icons.js";
import { ConsoleSocket } from "./socket.js";
import { renderAgents } from "./views/agents.js";
import { renderInboxes } from "./views/inboxes.js";
import { ConversationList } from "./views/list.js";
import { renderLogin } from "./views/login.js";
import { renderProfile } from "./views/profile.js";
import { renderTeams } from "./views/teams.js";
import { Thread } from "./views/thread.js";

const root = document.getElementById("app");
const ADMIN_PAGES = { agents: renderAgents, teams: renderTeams, inboxes: renderInboxes };

const ctx = {
  me: null,
  users: [],
  inboxes: [],
  socket: null,
  list: null,
  thread: null,
  currentId: () => (ctx.thread ? ctx.thread.id : null),
  /** Reload the roster and inboxes (after admin edits or membership changes). */
  async reloadMeta() {
    const [users, inboxes] = await Promise.all([guard(api.users()), guard(api.inboxes())]);
    if (users) ctx.users = users;
    if (inboxes) ctx.inboxes = inboxes;
    if (ctx.thread) ctx.thread.refreshMeta();
  },
  /** The signed-in user changed their own profile (language). */
  updateMe(user) {
    ctx.me = user;
    setLocale(user.locale);
  },
};

let connBadge = null;

async function boot() {
  setUnauthorisedHandler(() => signedOut());
  try {
    const session = await api.me();
    startSession(session);
  } catch {
    showLogin();
  }
}

function showLogin() {
  document.body.dataset.screen = "login";
  renderLogin(root, (session) => startSession(session));
}

function signedOut() {
  if (ctx.socket) ctx.socket.stop();
  ctx.me = null;
  setCsrf(null);
  showLogin();
}

async function startSession(session) {
  setCsrf(session.csrf_token);
  ctx.list = new ConversationList(ctx);
  ctx.thread = new Thread(ctx);
  ctx.socket = new ConsoleSocket({ onFrame, onOpen, onStatus });
  setLocale(session.user.locale); // before ctx.me: the shell is rendered below, once
  ctx.me = session.user;
  await ctx.reloadMeta();
  if (!location.hash || location.hash === "#/" || location.hash === "#") {
    history.replaceState(null, "", "#/conversations");
  }
  renderShell();
  ctx.list.load(false);
  ctx.socket.start();
}

function isAdmin() {
  return ctx.me && ctx.me.role === "admin";
}

function navLink(page, label, iconName) {
  return h(
    "li",
    {},
    h(
      "a",
      { href: `#/${page}`, class: "nav-link", "data-page": page },
      h("span", { class: "nav-icon", "aria-hidden": "true" }, icon(iconName)),
      h("span", { class: "nav-label", text: label }),
    ),
  );
}

function renderShell() {
  connBadge = h("span", { class: "conn", role: "status" });
  onStatus(ctx.socket.online);
  const nav = h(
    "nav",
    { class: "sidenav", "aria-label": t("nav.label") },
    h("div", { class: "brand", "aria-hidden": "true", text: "客" }),
    h(
      "ul",
      { class: "nav-main" },
      navLink("conversations", t("nav.conversations"), "chat"),
      isAdmin() ? navLink("agents", t("nav.agents"), "users") : null,
      isAdmin() ? navLink("teams", t("nav.teams"), "team") : null,
      isAdmin() ? navLink("inboxes", t("nav.inboxes"), "inbox") : null,
      navLink("profile", t("nav.profile"), "user"),
    ),
    h(
      "div",
      { class: "nav-foot" },
      connBadge,
      h("span", { class: "nav-user", text: ctx.me.name }),
      h("button", {
        type: "button",
        class: "btn btn-ghost nav-logout",
        text: t("nav.logout"),
        onclick: logout,
      }),
    ),
  );
  const main = h("main", { id: "main", class: "main", tabindex: "-1" });
  mount(root, h("div", { class: "shell" }, nav, main));
  route();
}

async function route() {
  if (!ctx.me) return;
  const main = document.getElementById("main");
  const [page = "conversations", arg] = location.hash.replace(/^#\/?/, "").split("/");
  for (const link of document.querySelectorAll(".nav-link")) {
    const active = link.dataset.page === page;
    link.classList.toggle("active", active);
    if (active) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (page === "conversations") {
    const id = arg ? Number(arg) : null;
    document.body.dataset.screen = id ? "thread" : "list";
    if (!main.querySelector(".inbox-layout")) {
      mount(main, h("div", { class: "inbox-layout" }, ctx.list.view(), ctx.thread.el));
    }
    if (id) await ctx.thread.open(id);
    else ctx.thread.close();
    ctx.list.render();
    return;
  }
  ctx.thread.close();
  document.body.dataset.screen = "page";
  const container = h("div", { class: "page" });
  mount(main, container);
  if (ADMIN_PAGES[page] && isAdmin()) await ADMIN_PAGES[page](container, ctx);
  else if (page === "profile") await renderProfile(container, ctx);
  else location.hash = "#/conversations";
}

async function logout() {
  await guard(api.logout());
  signedOut();
}

// --- socket -----------------------------------------------------------------------------------

function onOpen(reconnect) {
  ctx.thread.resume();
  if (reconnect) ctx.list.scheduleRefresh();
}

function onStatus(online) {
  if (connBadge) {
    connBadge.textContent = online ? t("conn.online") : t("conn.offline");
    connBadge.classList.toggle("is-offline", !online);
  }
  if (ctx.thread) ctx.thread.connectionChanged();
}

function onFrame(frame) {
  const { list, thread } = ctx;
  switch (frame.type) {
    case "message.created":
      list.messageCreated(frame, frame.conversation_id === thread.id);
      thread.messageCreated(frame);
      break;
    case "conversation.created":
      list.conversationCreated(frame.conversation);
      break;
    case "conversation.updated":
      list.conversationUpdated(frame.conversation);
      thread.conversationUpdated(frame.conversation);
      break;
    case "conversation.read":
      if (frame.reader === "agent" && frame.user_id === ctx.me.id) list.markRead(frame.conversation_id);
      thread.conversationRead(frame);
      break;
    case "typing":
      thread.typingEvent(frame);
      break;
    case "ack":
      thread.ack(frame);
      break;
    case "inbox.changed":
      ctx.reloadMeta();
      list.scheduleRefresh();
      break;
    case "resync":
      thread.resume();
      list.scheduleRefresh();
      break;
    case "error":
      if (frame.client_msg_id) thread.sendFailed(frame);
      else if (frame.error) toast(frame.error.message);
      break;
    case "socket.unauthorised":
      signedOut();
      break;
    default:
      break;
  }
}

window.addEventListener("hashchange", () => route());
onLocaleChange(() => {
  if (ctx.me && document.querySelector(".shell")) {
    ctx.thread.relabel();
    renderShell();
  }
  else if (!ctx.me) showLogin();
});
// Debugging and test handle: drop or suspend the socket to exercise reconnect, queue and resume.
window.kefuConsole = {
  locale,
  reconnect: () => ctx.socket && ctx.socket.reconnectNow(),
  goOffline: () => ctx.socket && ctx.socket.suspend(),
  goOnline: () => ctx.socket && ctx.socket.resumeConnection(),
};

boot();
