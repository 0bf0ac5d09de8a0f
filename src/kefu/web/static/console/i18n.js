// The console's translation catalog. zh-TW and en ship complete; a missing key falls back to en.
// The routing screens' strings live in i18n-routing.js and are merged in here (search's too).

import { CONTACTS_CATALOG } from "./i18n-contacts.js";
import { NOTIFY_CATALOG } from "./i18n-notify.js";
import { ATTACHMENTS_CATALOG } from "./i18n-attachments.js";
import { ROUTING_CATALOG } from "./i18n-routing.js";
import { SURVEYS_CATALOG } from "./i18n-surveys.js";
import { WORKFLOW_CATALOG } from "./i18n-workflow.js";
import { SEARCH_CATALOG } from "./i18n-search.js";
import { CHANNELS_CATALOG } from "./i18n-channels.js";
import { REACH_CATALOG } from "./i18n-reach.js";
import { BOT_CATALOG } from "./i18n-bot.js";
import { KB_CATALOG } from "./i18n-kb.js";
import { WALLBOARD_CATALOG } from "./i18n-wallboard.js";
import { STAFFING_CATALOG } from "./i18n-staffing.js";

const CATALOG = {
  en: {
    "app.name": "kefu",
    "login.title": "Sign in to kefu",
    "login.email": "Email",
    "login.password": "Password",
    "login.submit": "Sign in",
    "login.busy": "Signing in…",
    "login.language": "Language",
    "nav.label": "Main navigation",
    "nav.conversations": "Conversations",
    "nav.agents": "Agents",
    "nav.teams": "Teams",
    "nav.inboxes": "Inboxes",
    "nav.profile": "Profile",
    "nav.logout": "Log out",
    "nav.admin": "Administration",
    "status.open": "Open",
    "status.pending": "Pending",
    "status.resolved": "Resolved",
    "filter.label": "Filter conversations",
    "filter.mine": "Mine",
    "filter.unassigned": "Unassigned",
    "filter.all": "All",
    "filter.status": "Status",
    "list.title": "Conversations",
    "list.empty": "No conversations here.",
    "list.more": "Load more",
    "list.unread": "{n} unread",
    "list.loading": "Loading…",
    "visitor": "Visitor #{id}",
    "time.now": "just now",
    "time.min": "{n} min",
    "time.hour": "{n} h",
    "time.day": "{n} d",
    "conv.none": "Select a conversation from the list.",
    "conv.back": "Back to conversations",
    "conv.older": "Load older messages",
    "conv.messages": "Messages",
    "conv.note": "Internal note",
    "conv.seen": "Seen",
    "conv.sent": "Sent",
    "conv.sending": "Sending…",
    "conv.queued": "Waiting for connection…",
    "conv.failed": "Not sent",
    "conv.typing.contact": "Customer is typing…",
    "conv.typing.agent": "{name} is typing…",
    "conv.assignee": "Assignee",
    "conv.unassigned": "Unassigned",
    "conv.assignMe": "Assign to me",
    "conv.resolve": "Resolve",
    "conv.reopen": "Reopen",
    "conv.pending": "Mark pending",
    "conv.actions": "Conversation actions",
    "conv.details": "Details",
    "conv.contact": "Contact",
    "conv.email": "Email",
    "conv.inbox": "Inbox",
    "conv.created": "Started",
    "conv.status": "Status",
    "composer.reply": "Reply",
    "composer.note": "Internal note",
    "composer.mode": "Message type",
    "composer.placeholder": "Type a reply… (Enter to send, Shift+Enter for a new line)",
    "composer.notePlaceholder": "Write an internal note — only agents can see it",
    "composer.label": "Message",
    "composer.send": "Send",
    "activity.assigned": "{by} assigned the conversation to {to}",
    "activity.selfAssigned": "{by} took the conversation",
    "activity.unassigned": "{by} unassigned {from}",
    "activity.status": "{by} changed the status from {from} to {to}",
    "activity.reopenedByContact": "The customer reopened the conversation",
    "activity.unknown": "Activity",
    "conn.offline": "Reconnecting…",
    "conn.online": "Connected",
    "admin.agents": "Agents",
    "admin.teams": "Teams",
    "admin.inboxes": "Inboxes",
    "admin.name": "Name",
    "admin.email": "Email",
    "admin.password": "Password",
    "admin.role": "Role",
    "admin.locale": "Language",
    "admin.active": "Active",
    "admin.inactive": "Deactivated",
    "admin.deactivate": "Deactivate",
    "admin.reactivate": "Reactivate",
    "admin.create": "Create",
    "admin.save": "Save",
    "admin.cancel": "Cancel",
    "admin.edit": "Edit",
    "admin.newAgent": "New agent",
    "admin.newTeam": "New team",
    "admin.newInbox": "New inbox",
    "admin.description": "Description",
    "admin.members": "Members",
    "admin.greeting": "Greeting",
    "admin.color": "Colour",
    "admin.origins": "Allowed origins (one per line)",
    "admin.team": "Team",
    "admin.visibility": "Agents see",
    "admin.visibilityAll": "All conversations of the inbox",
    "admin.visibilityOwn": "Only theirs, their teams' and unassigned ones",
    "admin.replies": "Who may reply to customers",
    "admin.replyAnyone": "Anyone who sees the conversation",
    "admin.replyAssignee": "Only the assignee (and supervisors)",
    "conv.removed": "This conversation was reassigned and is no longer visible to you.",
    "composer.assigneeOnly": "Only the assigned agent replies here; you can add an internal note.",
    "admin.noTeam": "No team",
    "admin.embed": "Embed snippet",
    "admin.copy": "Copy",
    "admin.copied": "Copied to clipboard",
    "admin.saved": "Saved",
    "admin.created": "Created",
    "admin.status": "Status",
    "admin.actions": "Actions",
    "admin.roleFor": "Role of {name}",
    "role.admin": "Admin",
    "role.supervisor": "Supervisor",
    "role.agent": "Agent",
    "profile.title": "Profile",
    "profile.language": "Language",
    "profile.tokens": "Personal API tokens",
    "profile.tokenName": "Token name",
    "profile.createToken": "Create token",
    "profile.tokenOnce": "Copy this token now; it will not be shown again:",
    "profile.noTokens": "No tokens yet.",
    "profile.lastUsed": "Last used",
    "profile.never": "never",
    "profile.delete": "Delete",
    "profile.deleteNamed": "Delete token {name}",
    "err.network": "Cannot reach the server. Check your connection.",
    "err.rate": "Too many attempts; try again in {n} seconds.",
    "err.generic": "Something went wrong.",
    "dismiss": "Dismiss",
  },
  "zh-TW": {
    "app.name": "kefu 客服",
    "login.title": "登入 kefu 客服",
    "login.email": "電子郵件",
    "login.password": "密碼",
    "login.submit": "登入",
    "login.busy": "登入中…",
    "login.language": "語言",
    "nav.label": "主選單",
    "nav.conversations": "對話",
    "nav.agents": "客服人員",
    "nav.teams": "團隊",
    "nav.inboxes": "收件匣",
    "nav.profile": "個人設定",
    "nav.logout": "登出",
    "nav.admin": "管理",
    "status.open": "處理中",
    "status.pending": "待處理",
    "status.resolved": "已解決",
    "filter.label": "篩選對話",
    "filter.mine": "我的",
    "filter.unassigned": "未指派",
    "filter.all": "全部",
    "filter.status": "狀態",
    "list.title": "對話",
    "list.empty": "這裡沒有對話。",
    "list.more": "載入更多",
    "list.unread": "{n} 則未讀",
    "list.loading": "載入中…",
    "visitor": "訪客 #{id}",
    "time.now": "剛剛",
    "time.min": "{n} 分鐘",
    "time.hour": "{n} 小時",
    "time.day": "{n} 天",
    "conv.none": "請從列表選擇一個對話。",
    "conv.back": "返回對話列表",
    "conv.older": "載入較早的訊息",
    "conv.messages": "訊息",
    "conv.note": "內部備註",
    "conv.seen": "已讀",
    "conv.sent": "已送出",
    "conv.sending": "傳送中…",
    "conv.queued": "等待連線…",
    "conv.failed": "未送出",
    "conv.typing.contact": "客戶正在輸入…",
    "conv.typing.agent": "{name} 正在輸入…",
    "conv.assignee": "負責人",
    "conv.unassigned": "未指派",
    "conv.assignMe": "指派給我",
    "conv.resolve": "標為已解決",
    "conv.reopen": "重新開啟",
    "conv.pending": "標為待處理",
    "conv.actions": "對話操作",
    "conv.details": "詳細資料",
    "conv.contact": "聯絡人",
    "conv.email": "電子郵件",
    "conv.inbox": "收件匣",
    "conv.created": "開始時間",
    "conv.status": "狀態",
    "composer.reply": "回覆",
    "composer.note": "內部備註",
    "composer.mode": "訊息類型",
    "composer.placeholder": "輸入回覆…(Enter 送出,Shift+Enter 換行)",
    "composer.notePlaceholder": "撰寫內部備註,只有客服人員看得到",
    "composer.label": "訊息",
    "composer.send": "送出",
    "activity.assigned": "{by} 將對話指派給 {to}",
    "activity.selfAssigned": "{by} 接手了對話",
    "activity.unassigned": "{by} 取消了 {from} 的指派",
    "activity.status": "{by} 將狀態從「{from}」改為「{to}」",
    "activity.reopenedByContact": "客戶重新開啟了對話",
    "activity.unknown": "動態",
    "conn.offline": "重新連線中…",
    "conn.online": "已連線",
    "admin.agents": "客服人員",
    "admin.teams": "團隊",
    "admin.inboxes": "收件匣",
    "admin.name": "名稱",
    "admin.email": "電子郵件",
    "admin.password": "密碼",
    "admin.role": "角色",
    "admin.locale": "語言",
    "admin.active": "啟用中",
    "admin.inactive": "已停用",
    "admin.deactivate": "停用",
    "admin.reactivate": "重新啟用",
    "admin.create": "建立",
    "admin.save": "儲存",
    "admin.cancel": "取消",
    "admin.edit": "編輯",
    "admin.newAgent": "新增客服人員",
    "admin.newTeam": "新增團隊",
    "admin.newInbox": "新增收件匣",
    "admin.description": "說明",
    "admin.members": "成員",
    "admin.greeting": "歡迎訊息",
    "admin.color": "顏色",
    "admin.origins": "允許的網站來源(每行一個)",
    "admin.team": "團隊",
    "admin.visibility": "客服人員可以看到",
    "admin.visibilityAll": "收件匣的所有對話",
    "admin.visibilityOwn": "只有自己的、所屬團隊的和未指派的對話",
    "admin.replies": "誰可以回覆客戶",
    "admin.replyAnyone": "看得到對話的任何人",
    "admin.replyAssignee": "只有負責人(以及主管)",
    "conv.removed": "這個對話已改派他人,您已無法查看。",
    "composer.assigneeOnly": "此收件匣只有負責人能回覆客戶;您可以新增內部備註。",
    "admin.noTeam": "不指定團隊",
    "admin.embed": "嵌入程式碼",
    "admin.copy": "複製",
    "admin.copied": "已複製到剪貼簿",
    "admin.saved": "已儲存",
    "admin.created": "已建立",
    "admin.status": "狀態",
    "admin.actions": "操作",
    "admin.roleFor": "{name} 的角色",
    "role.admin": "管理員",
    "role.supervisor": "主管",
    "role.agent": "客服人員",
    "profile.title": "個人設定",
    "profile.language": "語言",
    "profile.tokens": "個人 API 金鑰",
    "profile.tokenName": "金鑰名稱",
    "profile.createToken": "建立金鑰",
    "profile.tokenOnce": "請立即複製此金鑰,之後將不會再顯示:",
    "profile.noTokens": "尚無金鑰。",
    "profile.lastUsed": "最後使用",
    "profile.never": "從未",
    "profile.delete": "刪除",
    "profile.deleteNamed": "刪除金鑰 {name}",
    "err.network": "無法連線到伺服器,請檢查網路。",
    "err.rate": "嘗試次數過多,請在 {n} 秒後再試。",
    "err.generic": "發生錯誤。",
    "dismiss": "關閉",
  },
};

for (const [lang, entries] of Object.entries(ROUTING_CATALOG)) Object.assign(CATALOG[lang], entries);
for (const [lang, entries] of Object.entries(SURVEYS_CATALOG)) Object.assign(CATALOG[lang], entries);
for (const [lang, entries] of Object.entries(CONTACTS_CATALOG)) Object.assign(CATALOG[lang], entries);
for (const [lang, entries] of Object.entries(NOTIFY_CATALOG)) Object.assign(CATALOG[lang], entries);
for (const [lang, entries] of Object.entries(ATTACHMENTS_CATALOG)) Object.assign(CATALOG[lang], entries);
for (const [lang, entries] of Object.entries(WORKFLOW_CATALOG)) Object.assign(CATALOG[lang], entries);
for (const [lang, entries] of Object.entries(SEARCH_CATALOG)) Object.assign(CATALOG[lang], entries);
for (const [lang, entries] of Object.entries(CHANNELS_CATALOG)) Object.assign(CATALOG[lang], entries);
for (const [lang, entries] of Object.entries(REACH_CATALOG)) Object.assign(CATALOG[lang], entries);
for (const [lang, entries] of Object.entries(BOT_CATALOG)) Object.assign(CATALOG[lang], entries);
for (const [lang, entries] of Object.entries(KB_CATALOG)) Object.assign(CATALOG[lang], entries);
for (const [lang, entries] of Object.entries(WALLBOARD_CATALOG)) Object.assign(CATALOG[lang], entries);
for (const [lang, entries] of Object.entries(STAFFING_CATALOG)) Object.assign(CATALOG[lang], entries);

export const LOCALES = [
  ["zh-TW", "繁體中文"],
  ["en", "English"],
];

let current = detect(navigator.languages || [navigator.language]);
const listeners = new Set();

/** The first supported locale in the browser's list (zh-* folds to zh-TW), else English. */
export function detect(languages) {
  for (const tag of languages) {
    const lower = String(tag || "").toLowerCase();
    if (lower.startsWith("zh")) return "zh-TW";
    if (lower.startsWith("en")) return "en";
  }
  return "en";
}

export function locale() {
  return current;
}

export function setLocale(value) {
  const next = value in CATALOG ? value : "en";
  if (next === current) return;
  current = next;
  document.documentElement.lang = next;
  for (const fn of listeners) fn(next);
}

export function onLocaleChange(fn) {
  listeners.add(fn);
}

/** Whether `key` has a translation (in the current language or the English fallback). */
export function has(key) {
  return key in CATALOG[current] || key in CATALOG.en;
}

/** Translate `key`, filling `{name}` placeholders from `params`. */
export function t(key, params = {}) {
  const text = CATALOG[current][key] ?? CATALOG.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in params ? String(params[name]) : ""));
}

document.documentElement.lang = current;
