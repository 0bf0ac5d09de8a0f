/* kefu website chat widget. Embed:
 *   <script src="https://kefu.example/widget.js" data-inbox="KEY" async></script>
 * Optional data-locale="zh-TW"|"en". Identified visitors (docs/contacts.md): data-user-id,
 * data-user-name, data-user-email, data-user-hash (hex HMAC-SHA256 of the id, computed on the
 * site's server), or window.kefu.identify({id, name, email, hash}) and kefu.logout() once the
 * "kefu:ready" event has fired. A classic script with no dependencies: it runs on customers'
 * pages, so it lives in an IIFE, renders inside a shadow DOM, and writes every string as text.
 * Protocol: docs/realtime.md. */
(function () {
  "use strict";
  if (window.__kefuWidget) return; // the snippet pasted twice
  window.__kefuWidget = true;

  var script = document.currentScript || document.querySelector("script[data-inbox]");
  var KEY = script && script.getAttribute("data-inbox");
  if (!KEY) return;
  var src = new URL(script.src, location.href);
  var BASE = src.origin + src.pathname.replace(/\/[^/]*$/, "");
  var API = BASE + "/api/v1/widget/" + encodeURIComponent(KEY);
  var WS_URL = BASE.replace(/^http/, "ws") + "/ws/widget?inbox=" + encodeURIComponent(KEY);
  var STORE = "kefu:" + KEY;

  var TEXTS = {
    "zh-TW": {
      open: "開啟客服對話", close: "關閉", title: "客服", message: "訊息", placeholder: "輸入訊息…",
      send: "傳送", log: "對話內容", connecting: "連線中…", reconnecting: "重新連線中…",
      offline: "目前離線,訊息會在恢復連線後送出", sending: "傳送中…", read: "已讀",
      typing: "客服正在輸入…", failed: "未送出,點此重試",
      forbidden: "此網站不能使用這個客服視窗。", error: "發生錯誤,請稍後再試。",
      unread: "則新訊息", qn: "您的號碼：", qa: "您前面還有 {n} 位", q0: "您是下一位",
      qw: "預計等待約 {n} 分鐘", qs: "　", serving: "{n} 為您服務", pre: "您的資料",
      name: "姓名", email: "Email", phone: "電話", topic: "問題類型", none: "請選擇",
      e_contact_required: "請留下 Email 或電話", e_unknown_topic: "請選擇問題類型",
      e_invalid_input: "請檢查您填寫的資料",
      csat: "請為這次的服務評分", nps: "您有多大可能向親友推薦我們?", of: "{n} 分(滿分 {m})",
      lo5: "非常不滿意", hi5: "非常滿意", lo10: "不可能", hi10: "非常可能",
      comment: "想說些什麼嗎?(選填)", rate: "送出評分", thanks: "感謝您的回饋!",
      mail: "寄送對話紀錄到我的 Email", sent: "已寄到 {e}", attach: "傳送檔案", big: "檔案太大",
      kb: "搜尋常見問題", kbn: "找不到相關文章", bot: "小幫手"
    },
    en: {
      open: "Open chat", close: "Close", title: "Chat", message: "Message",
      placeholder: "Type a message…", send: "Send", log: "Conversation",
      connecting: "Connecting…", reconnecting: "Reconnecting…",
      offline: "You're offline. Messages will be sent when you're back.", sending: "Sending…",
      read: "Read", typing: "Agent is typing…", failed: "Not sent. Tap to retry",
      forbidden: "This site can't use this chat.",
      error: "Something went wrong. Please try again.", unread: "new messages",
      qn: "Your number: ", qa: "{n} people ahead of you", qa1: "1 person ahead of you",
      q0: "You're next", qw: "about {n} min wait", qs: " · ", serving: "You're chatting with {n}",
      pre: "Your details", name: "Name", email: "Email", phone: "Phone", topic: "Topic",
      none: "Choose…", e_contact_required: "Please leave an email or a phone number",
      e_unknown_topic: "Please choose a topic", e_invalid_input: "Please check the details you entered",
      csat: "How would you rate this conversation?",
      nps: "How likely are you to recommend us to a friend or colleague?", of: "{n} out of {m}",
      lo5: "Very dissatisfied", hi5: "Very satisfied", lo10: "Not likely", hi10: "Very likely",
      comment: "Anything to add? (optional)", rate: "Send rating", thanks: "Thank you for your feedback!",
      mail: "Email me this conversation", sent: "Sent to {e}",
      attach: "Send a file", big: "The file is too large",
      kb: "Search help articles", kbn: "No matching articles", bot: "Assistant"
    }
  };
  function pickLocale() {
    var asked = script.getAttribute("data-locale");
    var langs = asked ? [asked] : navigator.languages || [navigator.language || ""];
    return /^zh/i.test(langs[0] || "") ? "zh-TW" : "en";
  }
  var LOCALE = pickLocale();
  var T = TEXTS[LOCALE];

  // ---- persistent state: visitor token, conversation id, unsent messages (survive reloads) ----
  // u: the identity the token was issued for, v: whether it was verified (an HMAC).
  var st = { t: null, c: null, q: [] };
  try {
    var saved = JSON.parse(localStorage.getItem(STORE) || "null");
    if (saved) st = { t: saved.t || null, c: saved.c || null, q: saved.q || [], z: saved.z, u: saved.u, v: saved.v };
  } catch (e) { /* storage blocked: the widget still works for this page view */ }
  function save() {
    try { localStorage.setItem(STORE, JSON.stringify(st)); } catch (e) { /* see above */ }
    syncPre();
  }

  // ---- DOM ----
  var CSS =
    ":host{all:initial}" +
    "*{box-sizing:border-box}[hidden]{display:none!important}" +
    ".w{--c:#2563eb;--f:#fff;position:fixed;right:20px;bottom:20px;z-index:2147483000;" +
    "font:14px/1.45 system-ui,-apple-system,'Segoe UI','Noto Sans TC','PingFang TC'," +
    "'Microsoft JhengHei',sans-serif,'Apple Color Emoji','Segoe UI Emoji','Noto Color Emoji';" +
    "color:#1f2328}" +
    "button,textarea,input,select{font:inherit;color:inherit}" +
    ".l{width:56px;height:56px;border-radius:50%;border:0;background:var(--c);color:var(--f);" +
    "cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25);display:grid;place-items:center;" +
    "position:relative;padding:0}" +
    ".l svg{width:28px;height:28px;fill:currentColor}" +
    "button:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}" +
    "textarea:focus,input:focus,select:focus{outline:none;border-color:var(--c);" +
    "box-shadow:0 0 0 1px var(--c)}" +
    ".b{position:absolute;top:-4px;right:-4px;min-width:20px;height:20px;border-radius:10px;" +
    "background:#dc2626;color:#fff;font-size:12px;line-height:20px;text-align:center;padding:0 5px}" +
    ".p{position:fixed;right:20px;bottom:88px;width:360px;height:520px;" +
    "max-height:calc(100vh - 108px);background:#fff;border-radius:14px;overflow:hidden;" +
    "box-shadow:0 10px 40px rgba(0,0,0,.25);display:flex;flex-direction:column}" +
    "header{background:var(--c);color:var(--f);padding:12px 14px;display:flex;" +
    "align-items:center;gap:8px}" +
    ".c{flex:1;min-width:0}" +
    "h2,.a{margin:0;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}" +
    "h2{font-size:16px;font-weight:600}.a{font-size:12px}" +
    ".x{background:none;border:0;font-size:22px;line-height:1;cursor:pointer;color:inherit;" +
    "padding:2px 6px;border-radius:6px}" +
    ".s{font-size:12px;padding:4px 12px;background:#fef3c7;color:#78350f}" +
    ".g{flex:1;overflow-y:auto;padding:12px;background:#f6f7f9;display:flex;" +
    "flex-direction:column;gap:8px}" +
    ".m{display:flex;flex-direction:column;align-items:flex-start;max-width:80%}" +
    ".m.me{align-self:flex-end;align-items:flex-end}" +
    ".n{font-size:12px;color:#57606a;margin:0 4px 2px}" +
    ".t{padding:8px 12px;border-radius:14px 14px 14px 4px;background:#fff;white-space:pre-wrap;" +
    "overflow-wrap:anywhere;box-shadow:0 1px 2px rgba(0,0,0,.08)}" +
    ".me .t{background:var(--c);color:var(--f);border-radius:14px 14px 4px 14px}" +
    ".me.q .t{opacity:.6}" +
    ".i{font-size:11px;color:#6e7781;margin:2px 4px 0;display:flex;gap:6px}" +
    ".i button{background:none;border:0;padding:0;color:#dc2626;cursor:pointer;font-size:11px}" +
    ".y{font-size:12px;color:#57606a;padding:2px 14px 4px;background:#f6f7f9;font-style:italic}" +
    ".k{font-size:12px;padding:6px 12px;background:#eef2ff;color:#1e3a8a}" +
    ".r{display:flex;flex-wrap:wrap;gap:6px;margin-top:6px}" +
    ".r button{background:#fff;border:1px solid var(--c);border-radius:14px;padding:4px 12px;" +
    "cursor:pointer}" +
    ".f{display:grid;grid-template-columns:auto 1fr;gap:6px 8px;align-items:center;" +
    "padding:8px 10px;border-top:1px solid #e5e7eb;font-size:13px}" +
    ".f input,.f select{border:1px solid #d0d7de;border-radius:8px;padding:5px 8px;" +
    "background:#fff;min-width:0}" +
    ".e{grid-column:1/-1;color:#b91c1c}.e:empty{display:none}" +
    "form{display:flex;gap:8px;padding:10px;border-top:1px solid #e5e7eb;background:#fff;" +
    "align-items:flex-end}" +
    "textarea{flex:1;resize:none;border:1px solid #d0d7de;border-radius:10px;padding:8px 10px;" +
    "min-height:38px;max-height:120px;background:#fff}" +
    "form button{background:var(--c);color:var(--f);border:0;border-radius:10px;" +
    "padding:0 14px;height:38px;cursor:pointer;font-weight:600}" +
    ".v{padding:8px 12px;border-top:1px solid #e5e7eb;font-size:13px;display:grid;gap:6px}" +
    ".v p{margin:0}.sc{display:flex;gap:4px}.sc button{flex:1;min-width:0;padding:6px 0;" +
    "border:1px solid #d0d7de;border-radius:8px;background:#fff;cursor:pointer}" +
    ".sc [aria-pressed=true]{background:var(--c);color:var(--f);border-color:var(--c)}" +
    ".sl{display:flex;justify-content:space-between;font-size:11px;color:#57606a}" +
    ".v textarea{min-height:0}.v>button{justify-self:end;background:var(--c);color:var(--f);" +
    "border:0;border-radius:8px;padding:6px 12px;cursor:pointer}" +
    ".v input{flex:1;border:1px solid #d0d7de;border-radius:8px;padding:5px 8px}" +
    ".d,.o{display:block;margin-top:4px;max-width:100%}" +
    ".d img{display:block;max-width:100%;height:auto;max-height:240px;object-fit:contain;" +
    "border-radius:10px}.o{padding:6px 10px;border:1px solid #d0d7de;border-radius:10px;" +
    "background:#fff;color:#1f2328;overflow-wrap:anywhere}" +
    "form .u{background:none;color:#57606a;padding:0 2px}.u svg{width:22px;height:22px;" +
    "fill:currentColor}" +
    ".h{padding:8px 10px;border-bottom:1px solid #e5e7eb}.h input{width:100%;border:1px solid " +
    "#d0d7de;border-radius:8px;padding:6px 10px}.h ul{list-style:none;margin:0;padding:0;" +
    "max-height:200px;overflow-y:auto}.h a{display:block;padding:6px;color:inherit;" +
    "text-decoration:none;border-radius:6px}.h a:hover,.h a:focus-visible{background:#eef2ff;" +
    "outline:2px solid var(--c)}.h b{display:block;color:var(--c)}.h span,.h p{font-size:12px;" +
    "color:#57606a;margin:4px 6px 0}" +
    "@media (max-width:479px){.p{inset:0;width:auto;height:auto;max-height:none;" +
    "border-radius:0}.o .l{display:none}}";

  function h(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }
  function attrs(e, a) {
    for (var k in a) e.setAttribute(k, a[k]);
    return e;
  }

  var host = document.createElement("kefu-widget");
  var root = host.attachShadow({ mode: "open" });
  root.appendChild(h("style", null, CSS));
  var wrap = root.appendChild(h("div", "w"));
  var panel = wrap.appendChild(attrs(h("div", "p"), { id: "p", role: "dialog" }));
  panel.hidden = true;
  var header = panel.appendChild(h("header"));
  var heading = header.appendChild(h("div", "c"));
  var titleEl = heading.appendChild(attrs(h("h2", null, T.title), { id: "h" }));
  var whoEl = heading.appendChild(h("div", "a"));
  whoEl.hidden = true;
  attrs(panel, { "aria-labelledby": "h" });
  var closeBtn = header.appendChild(
    attrs(h("button", "x", "×"), { type: "button", "aria-label": T.close })
  );
  // Help articles (the public KB search), until the visitor starts a chat: see findHelp.
  var kbEl = panel.appendChild(attrs(h("div", "h"), { role: "search" }));
  kbEl.hidden = true; // until the configuration says there are articles (hasHelp)
  var kbIn = kbEl.appendChild(
    attrs(h("input"), { type: "search", "aria-label": T.kb, placeholder: T.kb, maxlength: "200" })
  );
  var kbOut = kbEl.appendChild(attrs(h("div"), { "aria-live": "polite" }));
  var statusEl = panel.appendChild(attrs(h("div", "s"), { role: "status" }));
  statusEl.hidden = true;
  var log = panel.appendChild(
    attrs(h("div", "g"), { role: "log", "aria-live": "polite", "aria-label": T.log })
  );
  var greetEl = log.appendChild(h("div", "m"));
  var greetText = greetEl.appendChild(h("div", "t"));
  greetEl.hidden = true;
  var typingEl = panel.appendChild(h("div", "y", T.typing));
  typingEl.hidden = true;
  // The customer's place in the queue, read out by screen readers as it changes.
  var queueEl = panel.appendChild(
    attrs(h("div", "k"), { role: "status", "aria-live": "polite", "data-kefu-queue": "" })
  );
  queueEl.hidden = true;
  // The pre-chat form (built from the inbox configuration), sent with the first message.
  var preEl = panel.appendChild(attrs(h("div", "f"), { role: "group", "aria-label": T.pre }));
  preEl.hidden = true;
  var preCfg = null;
  var preIn = {};
  var preErr = null;
  // The survey after resolution, and the transcript-by-email form (docs/surveys.md).
  var svEl = panel.appendChild(attrs(h("div", "v"), { role: "group", "aria-labelledby": "vq" }));
  var mailEl = panel.appendChild(attrs(h("form", "v"), { "aria-label": T.mail }));
  svEl.hidden = mailEl.hidden = true;
  var mailBtn = header.insertBefore(
    attrs(h("button", "x", "✉"), { type: "button", "aria-label": T.mail, title: T.mail }), closeBtn
  );
  mailBtn.hidden = true;
  var canMail = false;
  var form = panel.appendChild(h("form"));
  // Files (shown once the visitor has a token, if the inbox takes them): see sendFiles.
  var att = null;
  var upBtn = form.appendChild(
    attrs(h("button", "u"), { type: "button", "aria-label": T.attach, title: T.attach })
  );
  var upIn = form.appendChild(attrs(h("input"), { type: "file", multiple: "" }));
  upIn.hidden = upBtn.hidden = true;
  var ta = form.appendChild(
    attrs(h("textarea"), {
      "aria-label": T.message, placeholder: T.placeholder, rows: "1", maxlength: "10000"
    })
  );
  form.appendChild(attrs(h("button", null, T.send), { type: "submit", "aria-label": T.send }));
  var launcher = wrap.appendChild(
    attrs(h("button", "l"), {
      type: "button", "aria-label": T.open, "aria-expanded": "false", "aria-controls": "p"
    })
  );
  function icon(el, d) {
    var NS = "http://www.w3.org/2000/svg";
    var svg = attrs(document.createElementNS(NS, "svg"), { viewBox: "0 0 24 24", "aria-hidden": "true" });
    svg.appendChild(document.createElementNS(NS, "path")).setAttribute("d", d);
    el.appendChild(svg);
  }
  icon(launcher, "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 " +
    "2 0 0 1 2-2zm3 6a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 " +
    "0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3z");
  icon(upBtn, "M16.5 6v11.5a4 4 0 0 1-8 0V5a2.5 2.5 0 0 1 5 0v10.5a1 1 0 0 1-2 0V6H10v9.5a2.5 " +
    "2.5 0 0 0 5 0V5a4 4 0 0 0-8 0v12.5a5.5 5.5 0 0 0 11 0V6z");
  var badge = launcher.appendChild(attrs(h("span", "b"), { "aria-hidden": "true" }));
  badge.hidden = true;
  var receipt = h("span", null, T.read);

  function mount() { document.body.appendChild(host); }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);

  // ---- messages ----
  var items = []; // display order: by seq, then unsent ones in send order
  var bySeq = {};
  var byCmid = {};
  var lastSeq = 0;
  var lastAgentSeq = 0;
  var agentRead = 0;
  var readSent = 0;
  var isOpen = false;
  var inboxName = T.title;
  var chips = null; // quick-reply buttons, under the latest automatic reply that has some
  var chipsSeq = 0;

  var timeFmt = new Intl.DateTimeFormat(LOCALE, { hour: "2-digit", minute: "2-digit" });
  var dayFmt = new Intl.DateTimeFormat(LOCALE, { month: "numeric", day: "numeric" });
  function stamp(iso) {
    var d = iso ? new Date(iso) : new Date();
    var s = timeFmt.format(d);
    return d.toDateString() === new Date().toDateString() ? s : dayFmt.format(d) + " " + s;
  }

  function nearBottom() {
    return log.scrollHeight - log.scrollTop - log.clientHeight < 60;
  }
  function toBottom() { log.scrollTop = log.scrollHeight; }

  function makeItem(me, name, text, at, files) {
    var it = { me: me, seq: null, el: h("div", me ? "m me" : "m") };
    // Automatic replies have no sender name: the inbox's (.z: set again on config).
    if (!me) it.el.appendChild(h("div", name ? "n" : "n z", name || inboxName));
    files = files || [];
    // textContent: customer and agent text is never HTML
    if (text || !files.length) it.el.appendChild(h("div", "t", text));
    // Images inline (raster only: the server never serves anything else inline), other files as
    // download links; `url` is a signed link relative to kefu's origin.
    files.forEach(function (a) {
      var l = it.el.appendChild(
        attrs(h("a", a.kind === "image" ? "d" : "o"), { href: BASE + a.url, target: "_blank", rel: "noopener" })
      );
      if (a.kind === "image") {
        var img = l.appendChild(attrs(h("img"), { src: BASE + a.url, alt: a.file_name }));
        if (a.width) attrs(img, { width: a.width, height: a.height });
      } else {
        var n = a.size;
        l.textContent = a.file_name + " · " +
          (n >> 20 ? (n / 1048576).toFixed(1) + " MB" : Math.ceil(n / 1024) + " KB");
      }
    });
    var info = it.el.appendChild(h("div", "i"));
    it.time = info.appendChild(h("span", null, stamp(at)));
    it.state = info.appendChild(h("span"));
    it.info = info;
    return it;
  }

  function place(it) {
    var idx = items.indexOf(it);
    if (idx >= 0) items.splice(idx, 1);
    var i = 0;
    while (i < items.length && items[i].seq != null && items[i].seq < it.seq) i++;
    if (it.seq == null) i = items.length;
    var before = items[i] ? items[i].el : null;
    items.splice(i, 0, it);
    log.insertBefore(it.el, before);
  }

  function setSeq(it, seq, at) {
    it.seq = seq;
    bySeq[seq] = it;
    it.el.classList.remove("q");
    it.state.textContent = "";
    if (at) it.time.textContent = stamp(at);
    if (seq > lastSeq) lastSeq = seq;
    place(it);
  }

  /** A VisitorMessageOut from the session, a POST reply, or a message.created frame. */
  function upsert(m) {
    if (bySeq[m.seq]) return;
    var stick = nearBottom();
    var me = m.kind === "incoming";
    var it = m.client_msg_id && byCmid[m.client_msg_id];
    if (!it) {
      var s = m.sender || {};
      it = makeItem(me, s.type === "bot" ? T.bot : s.name, m.text, m.created_at, m.attachments);
      if (m.client_msg_id) byCmid[m.client_msg_id] = it;
    }
    setSeq(it, m.seq, m.created_at);
    if (m.client_msg_id) dequeue(m.client_msg_id);
    if (me) {
      if (m.seq > chipsSeq) dropChips();
    } else {
      if (m.seq > lastAgentSeq) lastAgentSeq = m.seq;
      showTyping(false);
      if ((m.quick_replies || []).length && m.seq > chipsSeq && !answered(m.seq)) {
        offerChips(it, m);
      }
    }
    paintRead();
    unread();
    if (stick || me) toBottom();
    sendRead();
  }

  // Quick replies: a click sends the label as the visitor's answer.
  function offerChips(it, m) {
    dropChips();
    chipsSeq = m.seq;
    chips = it.el.insertBefore(h("div", "r"), it.info);
    m.quick_replies.forEach(function (q) {
      var b = chips.appendChild(attrs(h("button", null, q.label), { type: "button" }));
      b.onclick = function () {
        say(q.label);
        ta.focus();
      };
    });
  }
  function dropChips() {
    if (chips) chips.remove();
    chips = null;
  }
  function answered(seq) {
    return items.some(function (it) { return it.me && (it.seq == null || it.seq > seq); });
  }

  function addPending(p) {
    var it = makeItem(true, null, p.text, p.at);
    it.el.classList.add("q");
    it.state.textContent = T.sending;
    byCmid[p.id] = it;
    place(it);
    toBottom();
  }

  function failed(id) {
    var it = byCmid[id];
    var p = dequeue(id);
    if (!it || !p) return;
    it.state.textContent = "";
    var retry = it.state.appendChild(h("button", null, T.failed));
    retry.type = "button";
    retry.onclick = function () {
      it.state.textContent = T.sending;
      st.q.push(p);
      save();
      place(it);
      pump();
    };
  }

  function dequeue(id) {
    for (var i = 0; i < st.q.length; i++) {
      if (st.q[i].id === id) {
        var p = st.q.splice(i, 1)[0];
        save();
        return p;
      }
    }
    return null;
  }

  function clearMessages() {
    items.forEach(function (it) { if (it.seq != null) it.el.remove(); });
    items = items.filter(function (it) { return it.seq == null; });
    bySeq = {};
    lastSeq = lastAgentSeq = agentRead = readSent = chipsSeq = 0;
    chips = null;
    who(null);
  }

  // ---- the queue and the agent ----
  var qv = 0; // queue.updated frames seen: a /session answer older than a frame is ignored
  var qFresh = false; // the queue shown is current (a session read since the socket opened)
  var cSeq = 0; // last_seq of the conversation state shown: older answers are ignored
  var served = false;
  function showQueue(q) {
    if (served) q = null;
    var n = q && q.ahead;
    var stick = nearBottom();
    queueEl.textContent = q
      ? [
        q.queue_number != null ? T.qn + q.queue_number : "",
        n ? (n === 1 && T.qa1) || T.qa.replace("{n}", n) : T.q0,
        q.wait_minutes != null ? T.qw.replace("{n}", q.wait_minutes) : ""
      ].filter(String).join(T.qs)
      : "";
    queueEl.hidden = !q;
    if (stick) toBottom(); // the log got shorter or taller
  }
  /** The agent serving the visitor, from /session or a conversation.updated frame. */
  function who(c) {
    if (c && c.last_seq < cSeq) return;
    cSeq = c ? c.last_seq : 0;
    var done = c && c.status === "resolved";
    var name = c && !done && c.assignee_name;
    whoEl.textContent = name ? T.serving.replace("{n}", name) : "";
    whoEl.hidden = !(served = !!name);
    if (name || !c || done) showQueue(null);
  }

  // "Read" goes under the visitor's last message the agent has read.
  function paintRead() {
    var target = null;
    items.forEach(function (it) { if (it.me && it.seq != null && it.seq <= agentRead) target = it; });
    if (target) target.info.appendChild(receipt);
    else receipt.remove();
  }
  function setAgentRead(seq) {
    if (seq > agentRead) {
      agentRead = seq;
      paintRead();
    }
  }

  function unread() {
    var n = 0;
    items.forEach(function (it) { if (!it.me && it.seq > readSent) n++; });
    badge.textContent = n > 9 ? "9+" : String(n);
    badge.hidden = isOpen || !n;
    launcher.title = n && !isOpen ? n + " " + T.unread : "";
  }

  var typingTimer;
  function showTyping(on) {
    clearTimeout(typingTimer);
    typingEl.hidden = !on;
    if (on) typingTimer = setTimeout(showTyping, 5000, false); // a lost "off" must not stick
  }

  // ---- HTTP ----
  function api(method, path, body, anonymous) {
    var headers = {};
    var raw = body instanceof FormData; // a file upload: the browser sets the multipart type
    if (body && !raw) headers["Content-Type"] = "application/json";
    // Config goes without the token: a header-free GET needs no CORS preflight.
    if (st.t && !anonymous) headers["X-Kefu-Visitor"] = st.t;
    return fetch(API + path, {
      method: method,
      headers: headers,
      body: raw ? body : body ? JSON.stringify(body) : undefined,
      credentials: "omit"
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (r.ok) return j;
        var e = new Error((j.error && j.error.message) || String(r.status));
        e.status = r.status;
        e.code = j.error && j.error.code;
        throw e;
      });
    });
  }

  var convStatus = null;
  var sessionLoaded = false;
  var sessionP = null;
  // One session request at a time (page load and opening the chat both want it).
  function ensureSession() {
    if (!sessionP) {
      sessionP = loadSession().then(function () {
        if (!sessionLoaded) sessionP = null;
      });
    }
    return sessionP;
  }
  function loadSession() {
    var at = qv;
    return api("GET", "/session").then(
      function (r) {
        sessionLoaded = true;
        qFresh = true;
        var c = r.conversation;
        if (!c) {
          if (st.c) reset(true);
          return;
        }
        if (c.id !== st.c) {
          clearMessages();
          st.c = c.id;
          save();
        }
        convStatus = c.status;
        loadSurvey();
        who(c);
        if (at === qv) showQueue(c.queue);
        if (c.contact_last_read_seq > readSent) readSent = c.contact_last_read_seq;
        r.messages.forEach(upsert);
        setAgentRead(c.agent_last_read_seq);
        unread();
      },
      function (e) {
        if (e.status === 401) reset();
        else if (e.status === 403) forbid();
        // Network errors: the socket's resume from lastSeq replays the history instead.
      }
    );
  }

  // The stored token is no longer valid (4401): start a new conversation, keep unsent messages.
  function reset(keepToken) {
    if (!keepToken) st.t = st.z = null;
    st.c = null;
    save();
    clearMessages();
    paintRead();
    unread();
  }

  var forbidden = false;
  function forbid() {
    forbidden = true;
    clearTimeout(retryTimer);
    status(T.forbidden);
  }

  // ---- WebSocket ----
  var ws = null;
  var ready = false; // hello received and resume finished: safe to send queued messages
  var inflight = null; // client_msg_id awaiting its ack
  var attempt = 0;
  var retryTimer, ackTimer, beat, lastRx;

  function status(text) {
    statusEl.textContent = text || "";
    statusEl.hidden = !text;
  }
  function showConn() {
    if (forbidden) return;
    var busy = st.t || st.q.length;
    if (!busy || ready) status("");
    else if (navigator.onLine === false) status(T.offline);
    else status(attempt ? T.reconnecting : T.connecting);
  }

  function retry() {
    clearTimeout(retryTimer);
    if (forbidden || navigator.onLine === false) return showConn(); // the 'online' event resumes
    // Exponential backoff with jitter, 0.5 s doubling to a 10 s cap.
    var cap = Math.min(10000, 500 * Math.pow(2, attempt++));
    retryTimer = setTimeout(kick, cap / 2 + (Math.random() * cap) / 2);
    showConn();
  }

  function kick() {
    if (st.t) connect();
    else pump();
  }

  function frame(f) {
    if (ws && ws.readyState === 1) ws.send(JSON.stringify(f));
  }

  function connect() {
    if (ws || !st.t || forbidden) return;
    if (navigator.onLine === false) return showConn();
    clearTimeout(retryTimer);
    ready = false;
    showConn();
    reportZone();
    var s = (ws = new WebSocket(WS_URL + "&token=" + encodeURIComponent(st.t)));
    s.onmessage = function (e) {
      if (ws !== s) return;
      lastRx = Date.now();
      var f;
      try { f = JSON.parse(e.data); } catch (x) { return; }
      onFrame(f);
    };
    s.onclose = function (e) {
      if (ws !== s) return;
      ws = null;
      ready = false;
      inflight = null; // resent after reconnecting; the server de-duplicates on client_msg_id
      qFresh = false; // queue.updated frames may be missed until the next session read
      clearTimeout(ackTimer);
      clearInterval(beat);
      if (e.code === 4401) {
        reset();
        attempt = 0;
        return pump();
      }
      if (e.code === 4403) return forbid();
      retry();
    };
  }

  function drop() {
    if (ws) ws.close();
  }

  function onFrame(f) {
    var mine = !f.conversation_id || !st.c || f.conversation_id === st.c;
    switch (f.type) {
      case "hello":
        attempt = 0;
        lastRx = Date.now();
        clearInterval(beat);
        // A half-open socket (sleeping laptop, lost Wi-Fi) shows up as silence: ping, then drop.
        beat = setInterval(function () {
          if (Date.now() - lastRx > 40000) drop();
          else frame({ type: "ping" });
        }, 25000);
        resume();
        break;
      case "resync":
        resume();
        break;
      case "resumed":
        ready = true;
        if (!qFresh && st.c) loadSession();
        showConn();
        pump();
        sendRead();
        break;
      case "message.created":
        if (mine) upsert(f.message);
        break;
      case "ack":
        onAck(f);
        break;
      case "typing":
        if (f.who === "agent" && mine) showTyping(f.on);
        break;
      case "conversation.read":
        if (f.reader === "agent" && mine) setAgentRead(f.seq);
        break;
      case "conversation.updated":
        if (mine) {
          var was = convStatus;
          convStatus = f.conversation.status;
          if (was !== convStatus) loadSurvey();
          setAgentRead(f.conversation.agent_last_read_seq);
          who(f.conversation); // its `queue` is not set here: queue.updated frames tell
        }
        break;
      case "queue.updated":
        if (mine) {
          qv++;
          showQueue(f.queue);
        }
        break;
      case "error":
        if (f.ref === "resume") {
          // The stored conversation is gone; the next message starts a new one.
          st.c = null;
          save();
          clearMessages();
          ready = true;
          pump();
        } else if (f.ref && f.ref === inflight) {
          inflight = null;
          clearTimeout(ackTimer);
          failed(f.ref);
          pump();
        }
        break;
    }
  }

  function resume() {
    ready = false;
    if (st.c) frame({ type: "resume", conversation_id: st.c, last_seq: lastSeq, ref: "resume" });
    else onFrame({ type: "resumed" });
  }

  function onAck(f) {
    if (f.client_msg_id === inflight) {
      inflight = null;
      clearTimeout(ackTimer);
    }
    if (f.conversation_id && f.conversation_id !== st.c) {
      // The server started a new conversation (the old one was closed for good): show it.
      var fresh = !!st.c;
      st.c = f.conversation_id;
      save();
      if (fresh) {
        clearMessages();
        loadSession();
      }
    }
    var it = byCmid[f.client_msg_id];
    dequeue(f.client_msg_id);
    if (it && it.seq == null) {
      if (bySeq[f.seq]) it.el.remove();
      else setSeq(it, f.seq);
      paintRead();
    }
    pump();
  }

  /** Send unsent messages one at a time, in order, each after the previous one's ack. */
  function pump() {
    if (inflight || idBusy || !st.q.length || forbidden) return;
    var p = st.q[0];
    if (!byCmid[p.id]) addPending(p);
    if (st.t && !p.pre) {
      if (!ws) connect();
      if (!ready) return;
      inflight = p.id;
      frame({ type: "message.send", text: p.text, client_msg_id: p.id, ref: p.id });
      ackTimer = setTimeout(drop, 15000); // no ack: assume the socket is dead, reconnect, resend
      return;
    }
    // The first message (with the pre-chat form) creates the visitor over HTTP; the socket
    // needs the token it returns.
    if (navigator.onLine === false) return showConn();
    inflight = p.id;
    showConn();
    api("POST", "/messages", { text: p.text, client_msg_id: p.id, prechat: p.pre }).then(
      function (r) {
        inflight = null;
        attempt = 0;
        st.t = r.visitor_token;
        st.c = r.conversation.id;
        save();
        upsert(r.message);
        setAgentRead(r.conversation.agent_last_read_seq);
        who(r.conversation);
        connect();
      },
      function (e) {
        inflight = null;
        if (e.status === 403) return forbid();
        if (e.status >= 400 && e.status < 500 && e.status !== 429 && e.status !== 408) {
          if (p.pre && e.status === 422) {
            // The form was refused: the message goes back in the box, the reason under the form.
            var it = byCmid[p.id];
            items.splice(items.indexOf(it), 1);
            it.el.remove();
            dequeue(p.id);
            if (!ta.value) ta.value = p.text;
            preErr.textContent = T["e_" + e.code] || e.message;
            var field = e.code === "contact_required" ? preIn.email || preIn.phone : preIn.topic;
            (field || ta).focus();
          } else failed(p.id);
          showConn();
          return pump();
        }
        retry();
      }
    );
  }

  function uid() {
    var a = new Uint8Array(16);
    crypto.getRandomValues(a); // works on plain-http customer sites, unlike randomUUID
    return Array.prototype.map.call(a, function (b) { return (b + 256).toString(16).slice(1); })
      .join("");
  }

  function submit() {
    var text = ta.value.trim();
    if (!text) return;
    ta.value = "";
    grow();
    stopTyping();
    say(text);
  }
  function say(text) {
    var p = { id: uid(), text: text, at: new Date().toISOString() };
    if (!preEl.hidden) {
      p.pre = {};
      for (var k in preIn) if (preIn[k].value.trim()) p.pre[k] = preIn[k].value.trim();
      preErr.textContent = "";
    }
    dropChips();
    st.q.push(p);
    save();
    addPending(p);
    pump();
  }

  // ---- files: one message per choice, over HTTP (not queued offline: a failure says why) ----
  function sendFiles(files) {
    var fd = new FormData();
    var big = 0;
    files.slice(0, att.max_files).forEach(function (f) {
      fd.append("files", f);
      if (f.size > att.max_bytes) big = 1;
    });
    fd.append("client_msg_id", uid());
    var it = makeItem(true, null, files.map(function (f) { return f.name; }).join(", "));
    it.el.classList.add("q");
    it.state.textContent = T.sending;
    place(it);
    toBottom();
    function fail(e) {
      it.state.className = "e";
      it.state.textContent = e.status ? e.message : T.error;
    }
    if (big) return fail({ status: 1, message: T.big });
    api("POST", "/attachments", fd).then(function (r) {
      items.splice(items.indexOf(it), 1);
      it.el.remove();
      if (r.conversation.id !== st.c) {
        // The last conversation was closed for good: this one is new.
        st.c = r.conversation.id;
        save();
        clearMessages();
        loadSession();
      }
      upsert(r.message);
      connect();
    }, fail);
  }
  upBtn.onclick = function () { upIn.click(); };
  upIn.onchange = function () {
    var files = Array.prototype.slice.call(upIn.files);
    upIn.value = "";
    if (files.length) sendFiles(files);
  };

  // ---- typing and read marks from the visitor ----
  var typingOn = false;
  var typingAt = 0;
  var idleTimer;
  function stopTyping() {
    clearTimeout(idleTimer);
    if (typingOn && ready) frame({ type: "typing", on: false });
    typingOn = false;
  }
  function typing() {
    if (!ready) return;
    var now = Date.now();
    if (!typingOn || now - typingAt > 2000) {
      frame({ type: "typing", on: true });
      typingOn = true;
      typingAt = now;
    }
    clearTimeout(idleTimer);
    idleTimer = setTimeout(stopTyping, 3000);
  }

  function sendRead() {
    if (!isOpen || document.hidden || !ready || lastAgentSeq <= readSent) return;
    readSent = lastSeq;
    frame({ type: "read", seq: lastSeq });
    unread();
  }

  // ---- UI wiring ----
  function grow() {
    ta.style.height = "auto";
    ta.style.height = Math.min(ta.scrollHeight + 2, 120) + "px";
  }

  function open() {
    isOpen = true;
    panel.hidden = false;
    wrap.classList.add("o");
    launcher.setAttribute("aria-expanded", "true");
    unread();
    ta.focus();
    toBottom();
    if (!configLoaded) loadConfig();
    if (st.t && !ws) ensureSession().then(connect);
    sendRead();
  }
  function close() {
    isOpen = false;
    panel.hidden = true;
    wrap.classList.remove("o");
    launcher.setAttribute("aria-expanded", "false");
    stopTyping();
    unread();
    launcher.focus();
  }

  launcher.onclick = function () { isOpen ? close() : open(); };
  closeBtn.onclick = close;
  form.onsubmit = function (e) {
    e.preventDefault();
    submit();
    ta.focus();
  };
  ta.addEventListener("keydown", function (e) {
    // isComposing: Enter that confirms a Chinese IME candidate must not send.
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      submit();
    }
  });
  ta.addEventListener("input", function () {
    grow();
    typing();
  });
  wrap.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && isOpen) {
      e.stopPropagation();
      close();
    }
  });
  document.addEventListener("visibilitychange", sendRead);
  window.addEventListener("online", function () {
    attempt = 0;
    kick();
  });
  window.addEventListener("offline", function () {
    showConn();
    drop();
  });
  // Another tab of this site started the conversation: adopt its token.
  window.addEventListener("storage", function (e) {
    if (e.key !== STORE || st.t) return;
    try {
      var o = JSON.parse(e.newValue || "null");
      if (o && o.t) {
        st.t = o.t;
        st.c = o.c;
        if (isOpen) ensureSession().then(connect);
      }
    } catch (x) { /* ignore */ }
  });

  // ---- help articles: searched as the visitor types; results are text, links open a tab ----
  var kbTimer = 0;
  var kbAsked = 0;
  function findHelp() {
    var q = kbIn.value.trim();
    var n = ++kbAsked;
    clearTimeout(kbTimer);
    if (!q) { kbOut.textContent = ""; return; }
    kbTimer = setTimeout(function () {
      fetch(BASE + "/api/v1/public/kb/search?locale=" + LOCALE + "&q=" + encodeURIComponent(q))
        .then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(function (j) {
          if (n !== kbAsked) return; // an older answer after a newer question
          kbOut.textContent = "";
          var list = kbOut.appendChild(h("ul"));
          (j.results || []).forEach(function (x) {
            var a = list.appendChild(h("li")).appendChild(
              attrs(h("a"), { href: BASE + x.url, target: "_blank", rel: "noopener" })
            );
            a.appendChild(h("b", null, x.title));
            a.appendChild(h("span", null, x.snippet));
          });
          if (!list.firstChild) kbOut.appendChild(h("p", null, T.kbn));
        }, function () {});
    }, 300);
  }
  kbIn.addEventListener("input", findHelp);

  // ---- inbox configuration: name, greeting, colour ----
  var configLoaded = false;
  var hasHelp = false;
  function loadConfig() {
    configLoaded = true;
    api("GET", "/config", null, true).then(
      function (c) {
        titleEl.textContent = inboxName = c.name || T.title;
        root.querySelectorAll(".z").forEach(function (e) { e.textContent = inboxName; });
        if (c.prechat) buildPre(c.prechat);
        canMail = !!c.transcript;
        hasHelp = !!c.help_articles;
        if ((att = c.attachments)) upIn.accept = att.types.concat(att.extensions).join();
        syncPre();
        greetText.textContent = c.greeting || "";
        greetEl.hidden = !c.greeting;
        if (/^#[0-9a-f]{6}$/i.test(c.color || "")) {
          wrap.style.setProperty("--c", c.color);
          // Dark text on light inbox colours keeps the launcher and bubbles readable.
          var n = parseInt(c.color.slice(1), 16);
          var lum = 0.299 * (n >> 16) + 0.587 * ((n >> 8) & 255) + 0.114 * (n & 255);
          wrap.style.setProperty("--f", lum > 170 ? "#111" : "#fff");
        }
      },
      function (e) {
        if (e.status === 403 || e.status === 404) host.remove(); // not allowed on this site
        else configLoaded = false;
      }
    );
  }

  // ---- the pre-chat form: shown until the first message (with its answers) is on its way ----
  function buildPre(cfg) {
    preCfg = cfg;
    preEl.textContent = "";
    preIn = {};
    function label(key, text) {
      preEl.appendChild(attrs(h("label", null, text), { for: "k-" + key }));
    }
    [["name", "text", "name"], ["email", "email", "email"], ["phone", "tel", "tel"]].forEach(
      function (f) {
        if (!cfg["ask_" + f[0]]) return;
        label(f[0], T[f[0]]);
        preIn[f[0]] = preEl.appendChild(
          attrs(h("input"), { id: "k-" + f[0], type: f[1], autocomplete: f[2], maxlength: "200" })
        );
      }
    );
    if (cfg.topics.length) {
      label("topic", T.topic);
      var sel = (preIn.topic = preEl.appendChild(attrs(h("select"), { id: "k-topic" })));
      sel.appendChild(attrs(h("option", null, T.none), { value: "" }));
      cfg.topics.forEach(function (t) {
        sel.appendChild(attrs(h("option", null, t.label), { value: t.key }));
      });
    }
    preErr = preEl.appendChild(attrs(h("div", "e"), { role: "alert" }));
    syncPre();
  }
  function syncPre() {
    mailBtn.hidden = !canMail || !st.c;
    upBtn.hidden = !att || !st.t;
    preEl.hidden = !preCfg || !!st.c || st.q.some(function (p) { return p.pre; });
    kbEl.hidden = !hasHelp || !!st.c || st.q.length > 0;
  }

  // ---- the survey: CSAT (1-5, comment), then NPS (0-10) if the inbox asks it ----
  function loadSurvey() {
    if (!st.c || convStatus !== "resolved") return showSurvey(null);
    var c = st.c;
    api("GET", "/conversations/" + c + "/survey").then(function (s) {
      if (c === st.c && convStatus === "resolved") showSurvey(s);
    }, function () {});
  }
  function showSurvey(s, done) {
    svEl.textContent = "";
    var k = s && s.open && (s.csat_enabled && !s.csat ? "csat" : s.nps_enabled && !s.nps && "nps");
    svEl.hidden = !k && !done;
    if (!k) {
      if (done) svEl.appendChild(attrs(h("p", null, T.thanks), { id: "vq", role: "status" }));
      return;
    }
    var csat = k === "csat", max = csat ? 5 : 10, pick = 0, note, send;
    svEl.appendChild(attrs(h("p", null, T[k]), { id: "vq" }));
    var row = svEl.appendChild(h("div", "sc"));
    for (var n = csat ? 1 : 0; n <= max; n++) (function (n) {
      var b = row.appendChild(attrs(h("button", null, String(n)), {
        type: "button", "aria-pressed": "false", "aria-label": T.of.replace("{n}", n).replace("{m}", max)
      }));
      b.onclick = function () {
        if (!csat) return rate(k, n, "");
        pick = n;
        row.childNodes.forEach(function (x) { x.setAttribute("aria-pressed", x === b); });
        note.hidden = send.hidden = false;
      };
    })(n);
    var ends = svEl.appendChild(h("div", "sl"));
    ends.appendChild(h("span", null, T["lo" + max]));
    ends.appendChild(h("span", null, T["hi" + max]));
    if (csat) {
      note = svEl.appendChild(attrs(h("textarea"), { "aria-label": T.comment, placeholder: T.comment,
        rows: "2", maxlength: "1000" }));
      send = svEl.appendChild(attrs(h("button", null, T.rate), { type: "button" }));
      note.hidden = send.hidden = true;
      send.onclick = function () { rate(k, pick, note.value); };
    }
  }
  function rate(kind, n, comment) {
    api("POST", "/conversations/" + st.c + "/survey", { kind: kind, score: n, comment: comment.trim() })
      .then(function (s) {
        showSurvey(s, true);
        var next = svEl.querySelector("button");
        if (next) next.focus();
      }, function (e) { status(e.message); });
  }

  // ---- the transcript by email: to the contact's address, asked for if we have none ----
  function mail(email) {
    var body = email ? { email: email } : {};
    api("POST", "/conversations/" + st.c + "/transcript", body).then(function (r) {
      mailEl.textContent = "";
      mailEl.appendChild(attrs(h("p", null, T.sent.replace("{e}", r.sent_to)), { role: "status" }));
    }, function (e) {
      mailEl.textContent = "";
      if (e.code === "email_required") {
        var inp = mailEl.appendChild(attrs(h("input"), {
          type: "email", required: "", autocomplete: "email", "aria-label": T.email, placeholder: T.email
        }));
        mailEl.appendChild(attrs(h("button", null, T.send), { type: "submit" }));
        mailEl.onsubmit = function (ev) {
          ev.preventDefault();
          mail(inp.value.trim());
        };
        inp.focus();
      } else mailEl.appendChild(attrs(h("p", null, e.message), { role: "alert" }));
    });
    mailEl.hidden = false;
  }
  mailBtn.onclick = function () {
    if (mailEl.hidden) mail();
    else mailEl.hidden = true;
  };

  // The browser's IANA timezone, once per visitor (agents schedule messages in it).
  function reportZone() {
    var z;
    try { z = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { /* old browser */ }
    if (z && st.t && st.z !== z) {
      api("POST", "/timezone", { timezone: z }).then(function () {
        st.z = z;
        save();
      }, function () {});
    }
  }
  // ---- identified visitors: the host site's logged-in user (docs/contacts.md) ----
  var idBusy = false;
  function identify(u) {
    var key = u && u.id ? [u.id, u.name, u.email, u.phone, u.hash, u.details_hash].join("\n") : null;
    if (!key || (st.t && st.u === key)) return go(); // this token was issued for it already
    idBusy = true;
    api("POST", "/session", {
      id: String(u.id), name: u.name || null, email: u.email || null, hash: u.hash || null,
      // Optional: the site also vouches for the email and phone (docs/contacts.md).
      phone: u.phone || null, details_hash: u.details_hash || null
    }).then(
      function (r) {
        if (r.visitor_token !== st.t) {
          logout(1); // another contact: its history, not this one's (unsent messages stay)
          st.t = r.visitor_token;
        }
        st.u = key;
        st.v = r.verified;
        save();
      },
      function () { if (st.v) logout(); } // refused: never stay on another user's history
    ).then(function () {
      idBusy = false;
      go();
    });
  }
  /** Forget the visitor (the site's user logged out): a new, anonymous chat from here. */
  function logout(keep) {
    st = { t: null, c: null, q: keep ? st.q : [] };
    save();
    clearMessages();
    if (!keep) {
      items.forEach(function (it) { it.el.remove(); });
      items = [];
    }
    sessionP = null;
    sessionLoaded = false;
    drop();
  }
  window.kefu = { identify: identify, logout: function () { logout(); } };

  // ---- start: a page view costs one GET config; the socket waits for a conversation ----
  function go() {
    if (!st.t) return pump();
    ensureSession().then(function () {
      if (st.c && (convStatus !== "resolved" || st.q.length)) connect();
      else pump();
    });
  }
  loadConfig();
  st.q.forEach(addPending);
  var user = script.getAttribute("data-user-id");
  // A verified visitor's history shows only on pages that identify them (shared computers).
  if (!user && st.v) logout();
  if (user) {
    identify({
      id: user, name: script.getAttribute("data-user-name"),
      email: script.getAttribute("data-user-email"), hash: script.getAttribute("data-user-hash"),
      phone: script.getAttribute("data-user-phone"),
      details_hash: script.getAttribute("data-user-details-hash")
    });
  } else go();
  document.dispatchEvent(new Event("kefu:ready"));
})();
