"""The translation layer for server-side strings. zh-TW and en ship complete.

Browser UIs carry their own catalogs (web/static/*/i18n.js); this one covers API error messages
and server-rendered pages. A message without a translation falls back to its English text.
"""

from __future__ import annotations

LOCALES = ("zh-TW", "en")
DEFAULT_LOCALE = "zh-TW"

CATALOG: dict[str, dict[str, str]] = {
    "zh-TW": {
        "bad_request": "請求格式錯誤。",
        "invalid_input": "輸入的資料有誤：{detail}",
        "not_authenticated": "請先登入。",
        "bad_credentials": "電子郵件或密碼錯誤。",
        "permission_denied": "您沒有權限執行此操作。",
        "csrf_failed": "安全驗證失敗,請重新整理頁面。",
        "not_found": "找不到資料。",
        "conflict": "資料衝突。",
        "email_taken": "這個電子郵件已被使用。",
        "team_name_taken": "已有同名的團隊。",
        "rate_limited": "嘗試次數過多,請稍後再試。",
        "payload_too_large": "內容太大。",
        "empty_message": "訊息不可為空白。",
        "message_too_long": "訊息太長。",
        "origin_not_allowed": "此網站不能使用這個客服視窗。",
        "invalid_visitor_token": "訪客憑證無效。",
        "assignee_not_in_inbox": "該客服人員不屬於此收件匣。",
        "open_conversation_exists": "此聯絡人在此收件匣已有進行中的對話。",
        "unknown_user": "找不到該使用者。",
        "unknown_team": "找不到該團隊。",
        "self_lockout": "管理員不能降低自己的權限或停用自己。",
        "internal_error": "系統發生錯誤,請稍後再試。",
        "method_not_allowed": "不支援這個操作方式。",
        "not_your_conversation": "這不是您的對話。",
        "take_not_allowed": "此收件匣不允許客服人員自行從佇列領取對話。",
        "already_assigned": "這個對話已由其他客服人員處理。",
        "conversation_resolved": "這個對話已經結案。",
        "at_capacity": "{name}已達同時處理對話的上限({capacity} 個)。",
        "force_not_allowed": "只有主管可以超過上限指派對話。",
        "transfer_target": "請選擇要轉接的客服人員或團隊。",
        "naive_datetime": "時間必須包含時區。",
        "duplicate_topic": "有兩個主題使用相同的代碼。",
        "bad_rule_order": "排序清單必須剛好列出每條規則一次。",
        "bad_cursor": "分頁游標無效。",
        "contact_required": "請留下電子郵件或電話號碼。",
        "unknown_topic": "找不到這個主題。",
        "bad_text": "訊息含有無效的字元。",
        "bad_origin": "不允許跨來源連線。",
        "invalid_frame": "訊息格式錯誤。",
        "search_query_empty": "請輸入要搜尋的文字、數字或詞語。",
        "search_query_too_long": "搜尋文字最多 {max} 個字元。",
        "demo.title": "kefu 示範網站",
        "demo.intro": "這是一個示範商店頁面。點右下角的按鈕開始對話。",
    },
    "en": {
        "demo.title": "kefu demo site",
        "demo.intro": "This is a demo shop page. Click the button at the bottom right to chat.",
    },
}


def pick_locale(accept_language: str | None) -> str:
    """The first supported locale in an Accept-Language header (zh-* folds to zh-TW)."""
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh-TW"
        if tag.startswith("en"):
            return "en"
    return DEFAULT_LOCALE


def translate(key: str, locale: str, default: str, **params: object) -> str:
    """The locale's text for `key`, its {placeholders} filled from `params`; the English
    `default` when there is no translation or a placeholder has no value."""
    template = CATALOG.get(locale, {}).get(key)
    if template is None:
        return default
    try:
        return template.format(**params)
    except (KeyError, IndexError):
        return default
