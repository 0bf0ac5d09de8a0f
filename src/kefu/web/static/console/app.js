// The agent console: boot (session check), the app shell with its navigation, hash routing,
// and the WebSocket dispatch that keeps every view live.

import { api, setCsrf, setUnauthorisedHandler } from "./api.js";
import { guard, h, mount, toast } from "./dom.js";
import { locale, onLocaleChange, setLocale, t } from "./i18n.js";
import { icon } from "./icons.js";
import { Hub, Roster } from "./live.js";
import { ConsoleSocket } from "./socket.js";
import { renderAgents } from "./views/agents.js";
import { renderAttributes } from "./views/attributes.js";
import { renderContacts } from "./views/contacts.js";
import { Collision } from "./views/collision.js";
import { renderAttachmentSettings } from "./views/attachment-settings.js";
import { renderBotActions } from "./views/bot-actions.js";
import { renderBotLearning } from "./views/bot-learning.js";
import { renderBotMetrics } from "./views/bot-metrics.js";
import { renderBotSettings } from "./views/bot-settings.js";
import { renderCanned } from "./views/canned.js";
import { renderInboxes } from "./views/inboxes.js";
import { renderKb } from "./views/kb.js";
import { ConversationList } from "./views/list.js";
import { renderLogin } from "./views/login.js";
import { renderNotificationSettings } from "./views/notification-settings.js";
import { NotificationCenter } from "./views/notifications.js";
import { Notices } from "./views/notices.js";
import { Participation } from "./views/participants.js";
import { presenceSwitch } from "./views/presence.js";
import { renderProfile } from "./views/profile.js";
import { renderQueue } from "./views/queue.js";
import { renderRoutingSettings } from "./views/routing-settings.js";
import { renderRules } from "./views/rules.js";
import { tagStore } from "./views/tags.js";
import { renderTags } from "./views/tags-admin.js";
import { renderSearch } from "./views/search.js";
import { renderStaffing } from "./views/staffing.js";
import { renderTeams } from "./views/teams.js";
import { Thread } from "./views/thread.js";
import { renderWallboard } from "./views/wallboard.js";

const root = document.getElementById("app");

const isAdmin = () => !!ctx.me && ctx.me.role === "admin";
const isLead = () => !!ctx.me && (ctx.me.role === "admin" || ctx.me.role === "supervisor");
const everyone = () => !!ctx.me;
const botNav = () => (isAdmin() ? "bot" : "bot-learning"); // the bot's one nav entry, by role

// Pages other than the conversations: who may open them, and which nav entry they belong to.
const PAGES = {
  queue: { render: (el) => renderQueue(el, ctx), allowed: everyone },
  // Open to agents too (a team TV may be signed in as one); in the nav for leads only.
  wallboard: { render: (el) => renderWallboard(el, ctx), allowed: everyone },
  contacts: { render: (el, arg) => renderContacts(el, ctx, arg), allowed: everyone },
  attributes: { render: (el) => renderAttributes(el, ctx), allowed: isAdmin },
  agents: { render: (el) => renderAgents(el, ctx), allowed: isLead },
  teams: { render: (el) => renderTeams(el, ctx), allowed: isAdmin },
  inboxes: { render: (el) => renderInboxes(el, ctx), allowed: isAdmin },
  routing: {
    render: (el, arg) => renderRoutingSettings(el, ctx, Number(arg) || null),
    allowed: isAdmin,
    nav: "inboxes",
  },
  attachments: {
    render: (el, arg) => renderAttachmentSettings(el, ctx, Number(arg) || null),
    allowed: isAdmin,
    nav: "inboxes",
  },
  rules: { render: (el) => renderRules(el, ctx), allowed: isAdmin },
  tags: { render: (el) => renderTags(el), allowed: isAdmin },
  // The FAQ bot (views/bot-*.js): settings and actions for admins, its report for leads.
  bot: { render: (el, arg) => renderBotSettings(el, ctx, Number(arg) || null), allowed: isAdmin },
  "bot-actions": {
    render: (el, arg) => renderBotActions(el, ctx, arg === "new" ? "new" : Number(arg) || null),
    allowed: isAdmin,
    nav: "bot",
  },
  "bot-learning": {
    render: (el) => renderBotLearning(el, ctx),
    allowed: isLead,
    get nav() {
      return botNav();
    },
  },
  "bot-metrics": {
    render: (el) => renderBotMetrics(el, ctx),
    allowed: isLead,
    get nav() {
      return botNav();
    },
  },
  canned: { render: (el, arg) => renderCanned(el, ctx, Number(arg) || null), allowed: everyone },
  profile: { render: (el) => renderProfile(el, ctx), allowed: everyone },
  "notification-settings": {
    render: (el) => renderNotificationSettings(el, ctx),
    allowed: everyone,
    nav: "profile",
  },
  search: { render: (el) => renderSearch(el, ctx), allowed: everyone },
  kb: { render: (el, arg) => renderKb(el, ctx, arg || null), allowed: everyone },
  staffing: { render: (el) => renderStaffing(el, ctx), allowed: isLead },
};

let leaving = []; // clean-ups of the page on screen (timers, subscriptions)

const ctx = {
  me: null,
  users: [],
  inboxes: [],
  teams: [],
  socket: null,
  list: null,
  thread: null,
  roster: new Roster(),
  bus: new Hub(), // every socket frame, for the pages that follow them
  notices: null,
  notifications: null, // the bell and its panel (views/notifications.js)
  collision: null, // who else views the open conversation (views/collision.js)
  participation: null, // conversations we follow (views/participants.js)
  queueCounts: new Map(), // inbox_id -> conversations waiting
  currentId: () => (ctx.thread ? ctx.thread.id : null),
  /** Run `fn` when the page on screen is left (or redrawn). */
  onLeave(fn) {
    leaving.push(fn);
  },
  /** Reload the roster and inboxes (after admin edits or membership changes). */
  async reloadMeta() {
    const [users, inboxes, teams] = await Promise.all([
      guard(api.users()),
      guard(api.inboxes()),
      guard(api.teams()),
    ]);
    if (users) ctx.users = users;
    if (inboxes) ctx.inboxes = inboxes;
    if (teams) ctx.teams = teams;
    if (ctx.thread) ctx.thread.refreshMeta();
  },
  /** The signed-in user changed their own profile (language). */
  updateMe(user) {
    ctx.me = user;
    setLocale(user.locale);
  },
};

let connBadge = null;

tagStore.onChange((renamed) => {
  // Colours are repainted in place (views/tags.js); after a rename or delete the conversations'
  // own tag lists changed: fetch them again.
  if (!ctx.me || !renamed) return;
  ctx.list.scheduleRefresh();
  ctx.thread.refetch();
});

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

function stopNotify() {
  for (const part of [ctx.notifications, ctx.collision, ctx.participation]) if (part) part.stop();
}

function signedOut() {
  if (ctx.socket) ctx.socket.stop();
  stopNotify();
  for (const fn of leaving.splice(0)) fn();
  ctx.me = null;
  setCsrf(null);
  showLogin();
}

async function startSession(session) {
  setCsrf(session.csrf_token);
  ctx.list = new ConversationList(ctx);
  ctx.thread = new Thread(ctx);
  ctx.notices = new Notices(ctx);
  stopNotify();
  ctx.notifications = new NotificationCenter(ctx);
  ctx.collision = new Collision(ctx);
  ctx.participation = new Participation(ctx);
  ctx.socket = new ConsoleSocket({ onFrame, onOpen, onStatus });
  setLocale(session.user.locale); // before ctx.me: the shell is rendered below, once
  ctx.me = session.user;
  await Promise.all([ctx.reloadMeta(), ctx.roster.load(), tagStore.load()]);
  if (!location.hash || location.hash === "#/" || location.hash === "#") {
    history.replaceState(null, "", "#/conversations");
  }
  renderShell();
  ctx.list.load(false);
  loadQueueCounts();
  ctx.socket.start();
  ctx.notifications.start();
}

function navLink(page, label, iconName, extra = null) {
  return h(
    "li",
    {},
    h(
      "a",
      { href: `#/${page}`, class: "nav-link", "data-page": page },
      h("span", { class: "nav-icon", "aria-hidden": "true" }, icon(iconName), extra),
      h("span", { class: "nav-label", text: label }),
    ),
  );
}

// --- the queue's size on its nav entry ----------------------------------------------------------

async function loadQueueCounts() {
  let items;
  try {
    items = await api.queue();
  } catch {
    return;
  }
  ctx.queueCounts = new Map();
  for (const item of items) {
    ctx.queueCounts.set(item.inbox_id, (ctx.queueCounts.get(item.inbox_id) || 0) + 1);
  }
  renderQueueBadge();
}

function renderQueueBadge() {
  const badge = document.querySelector(".nav-link[data-page=queue] .nav-badge");
  if (!badge) return;
  let total = 0;
  for (const n of ctx.queueCounts.values()) total += n;
  badge.textContent = total ? String(total) : "";
  badge.hidden = !total;
  const link = badge.closest("a");
  const label = total ? `${t("nav.queue")}, ${t("queue.count", { n: total })}` : null;
  if (label) link.setAttribute("aria-label", label);
  else link.removeAttribute("aria-label");
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
      navLink("queue", t("nav.queue"), "queue", h("span", { class: "nav-badge", hidden: true })),
      isLead() ? navLink("wallboard", t("nav.wallboard"), "gauge") : null,
      navLink("contacts", t("nav.contacts"), "contacts"),
      navLink("search", t("nav.search"), "search"),
      isLead() ? navLink("agents", t("nav.agents"), "users") : null,
      isAdmin() ? navLink("teams", t("nav.teams"), "team") : null,
      isAdmin() ? navLink("inboxes", t("nav.inboxes"), "inbox") : null,
      isAdmin() ? navLink("rules", t("nav.rules"), "rules") : null,
      isAdmin() ? navLink("attributes", t("nav.attributes"), "attributes") : null,
      isAdmin() ? navLink("tags", t("nav.tags"), "tag") : null,
      isLead() ? navLink(botNav(), t("nav.bot"), "bot") : null,
      isLead() ? navLink("staffing", t("nav.staffing"), "calendar") : null,
      navLink("canned", t("nav.canned"), "canned"),
      navLink("kb", t("nav.kb"), "book"),
      navLink("profile", t("nav.profile"), "user"),
    ),
    h(
      "div",
      { class: "nav-foot" },
      ctx.notifications.bell(),
      presenceSwitch(ctx),
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
  const column = h("div", { class: "main-col" }, ctx.notices.view(), main);
  mount(root, h("div", { class: "shell" }, nav, column));
  renderQueueBadge();
  route();
}

async function route() {
  if (!ctx.me) return;
  const main = document.getElementById("main");
  const [page = "conversations", arg] = location.hash.replace(/^#\/?/, "").split("/");
  for (const fn of leaving.splice(0)) fn();
  const navPage = (PAGES[page] && PAGES[page].nav) || page;
  for (const link of document.querySelectorAll(".nav-link")) {
    const active = link.dataset.page === navPage;
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
  const container = h("div", { class: "page", "data-page": page });
  mount(main, container);
  if (PAGES[page] && PAGES[page].allowed()) await PAGES[page].render(container, arg);
  else location.hash = "#/conversations";
}

async function logout() {
  await guard(api.logout());
  signedOut();
}

// --- socket -----------------------------------------------------------------------------------

function onOpen(reconnect) {
  ctx.thread.resume();
  if (reconnect) {
    ctx.list.scheduleRefresh();
    ctx.roster.scheduleRefresh();
    loadQueueCounts();
    ctx.bus.emit({ type: "resync" }); // pages that follow events refetch what they missed
  }
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
    case "message.updated": // a channel message's delivery state (channels.js)
      thread.messageUpdated(frame);
      break;
    case "conversation.created":
      list.conversationCreated(frame.conversation);
      break;
    case "conversation.updated":
      list.conversationUpdated(frame.conversation);
      thread.conversationUpdated(frame.conversation);
      ctx.roster.scheduleRefresh(); // loads follow assignments and resolutions
      break;
    case "conversation.removed":
      list.removed(frame.conversation_id);
      thread.removed(frame.conversation_id);
      break;
    case "agent.updated":
      ctx.roster.agentUpdated(frame);
      break;
    case "queue.updated":
      ctx.queueCounts.set(frame.inbox_id, frame.waiting);
      renderQueueBadge();
      break;
    case "tags.changed": // the catalogue: names and colours (see tagStore.onChange above)
      tagStore.scheduleLoad();
      break;
    case "sla.breached":
      thread.slaBreached(frame);
      if (isLead()) ctx.notices.slaBreached(frame);
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
      loadQueueCounts();
      break;
    case "resync":
      thread.resume();
      list.scheduleRefresh();
      ctx.roster.scheduleRefresh();
      loadQueueCounts();
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
  ctx.bus.emit(frame);
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
