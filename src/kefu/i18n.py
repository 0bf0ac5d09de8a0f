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
        "attachment_bad_name": "檔案名稱不能包含資料夾路徑。",
        "channel_not_configured": "此渠道尚未設定完成，請管理員填寫必要的設定與密鑰。",
        "channel_secrets_unreadable": "無法讀取此渠道的密鑰（系統金鑰已變更），請重新輸入。",
        "channel_window_closed": (
            "客戶最後一次來訊已超過 24 小時：在客戶再次來訊前，此渠道只能傳送已核准的範本訊息。"
        ),
        "inbox_not_found": "找不到此收件匣。",
        "invalid_recipient": "收件人的電子郵件地址無效。",
        "not_configured": "此收件匣尚未設定寄件用的郵件伺服器。",
        "smtp_rejected": "郵件伺服器拒絕了這封郵件。",
        "invalid_channel_config": "渠道設定有誤，請檢查後再試。",
        "invalid_channel_secrets": "渠道密鑰有誤或缺少必要的項目。",
        "invalid_payload": "Webhook 內容格式不正確。",
        "invalid_signature": "Webhook 簽章無效。",
        "media_unavailable": "無法從此渠道取得檔案。",
        "message_not_found": "找不到此訊息。",
        "not_a_channel_inbox": "此收件匣不是訊息渠道收件匣。",
        "not_retryable": "只有傳送失敗的訊息可以重新傳送。",
        "provider_error": "訊息平台沒有正常回應，請稍後再試。",
        "templates_not_supported": "此渠道不支援範本訊息。",
        "template_unsupported": "Messenger 不支援範本訊息。",
        "unknown_channel": "不支援此渠道類型。",
        "webhook_verification_failed": "Webhook 驗證失敗。",
        "not_a_telegram_inbox": "此收件匣不是 Telegram 收件匣。",
        "telegram_webhook_refused": "Telegram 拒絕設定 Webhook：{reason}",
        # One customer, one history (kefu.channels.matching, reach; kefu.contacts.suggestions)
        "suggestion_not_found": "找不到此合併建議。",
        "suggestion_decided": "此合併建議已經處理過了。",
        "no_channel_identity": "這位客戶還沒有從此渠道傳過訊息，因此無法透過此渠道聯絡。",
        "channel_identity_taken": "此電子郵件地址在這個收件匣屬於另一位聯絡人，請先合併。",
        "reply_assignee_only": "此收件匣只有負責的客服人員可以回覆客戶;您可以新增內部備註。",
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
        # surveys, scheduled messages, transcripts
        "survey_disabled": "這個收件匣沒有提供這項問卷。",
        "score_out_of_range": "分數必須介於 {low} 到 {high} 之間。",
        "survey_not_open": "對話結案後才能填寫問卷。",
        "bad_timezone": "無法辨識的時區。",
        # reports
        "bad_range": "結束日期早於開始日期。",
        "range_too_long": "報表期間太長了。",
        "bad_channel": "無法辨識的管道。",
        "not_your_figures": "客服人員只能查看自己的數據。",
        "not_your_team": "主管只能查看自己團隊的數據。",
        "send_at_past": "請選擇至少一分鐘後的時間。",
        "send_at_too_far": "請選擇一年內的時間。",
        "too_many_scheduled": "這個對話的排程訊息太多了。",
        "not_your_scheduled_message": "只有撰寫者或主管可以取消排程訊息。",
        "scheduled_not_pending": "這則訊息已經送出或取消。",
        "email_unavailable": "目前無法以電子郵件寄送對話紀錄。",
        "email_required": "請輸入要寄送的電子郵件地址。",
        "email_mismatch": "對話紀錄只會寄到我們記錄的電子郵件地址。",
        "empty_transcript": "目前還沒有可以寄送的對話內容。",
        "unknown_attribute": "沒有這個自訂欄位：{field}。",
        "attribute_type": "自訂欄位 {field} 的值格式不符。",
        "attribute_not_an_option": "自訂欄位 {field} 的值不在選項之中。",
        "attribute_too_long": "自訂欄位 {field} 的內容太長(最多 {max} 字)。",
        "bad_attribute": "自訂欄位的設定有誤。",
        "too_many_attributes": "自訂欄位已達上限。",
        "attribute_key_taken": "已有相同代碼的自訂欄位。",
        "merge_not_allowed": "只有主管和管理員可以合併聯絡人。",
        "merge_same_contact": "不能把聯絡人合併到自己。",
        "contact_merged": "這個聯絡人已經被合併。",
        "merge_retry": "聯絡人剛剛有變動,請再試一次。",
        "not_your_note": "只有撰寫者可以刪除這則備註。",
        "identity_unverified": "此客服視窗需要經過驗證的身分。",
        "identity_secret_missing": "請先產生身分驗證金鑰。",
        "mention_in_reply": "只有內部備註可以提及同事,回覆給客戶的訊息不行。",
        "mention_not_visible": "{name}看不到這個對話,無法提及。",
        "participant_not_visible": "{name}看不到這個對話,無法加入關注。",
        "participants_lead_only": "只有主管可以替其他人加入或移除關注。",
        # attachments
        "unsupported_media_type": "不支援這種檔案類型。",
        "attachment_too_large": "檔案太大,上限為 {limit}。",
        "too_many_attachments": "每則訊息最多只能附加 {max} 個檔案。",
        "bad_upload": "上傳的內容格式錯誤。",
        "no_attachments": "請至少附加一個檔案。",
        "attachment_empty": "{name} 是空的檔案。",
        "attachment_type_not_allowed": "{name}：這裡不能傳送這種類型的檔案({type})。",
        "attachment_type_mismatch": (
            "{name}：檔案內容是 {actual},與檔名或類型所說的 {claimed} 不符。"
        ),
        "attachment_link_missing": "這個檔案需要有效的連結才能開啟。",
        "attachment_link_expired": "這個連結已過期,請重新載入對話。",
        "attachment_link_invalid": "這個連結無效。",
        "customer_uploads_off": "此對話不開放傳送檔案。",
        "attachment_limit_over_cap": "檔案大小上限不能超過 {limit}(KEFU_MAX_UPLOAD_BYTES)。",
        # conversation workflow: snooze, tags, canned responses
        "snooze_in_past": "延後的時間已經過去了。",
        "snooze_too_far": "最多只能延後一年。",
        "use_snooze": "請使用「延後處理」並選擇時間。",
        "bad_tag_name": "標籤名稱無效。",
        "tag_name_too_long": "標籤名稱最多 {max} 個字。",
        "tag_name_taken": "已有同名的標籤。",
        "tag_catalogue_full": "標籤清單已滿(最多 {max} 個)。",
        "too_many_tags": "一個對話最多只能有 {max} 個標籤。",
        "bad_colour": "顏色格式應為 #rrggbb。",
        "bad_shortcut": "快捷鍵須為 1 到 40 個字母、數字或 -_.,不可有空白。",
        "empty_title": "請輸入標題。",
        "canned_shortcut_taken": "這個快捷鍵(同一範圍與語言)已被使用。",
        "shared_canned_for_leads": "只有管理員與主管可以管理共用的罐頭回覆。",
        "too_many_canned": "這裡最多只能有 {max} 則罐頭回覆。",
        "search_query_empty": "請輸入要搜尋的文字、數字或詞語。",
        "search_query_too_long": "搜尋文字最多 {max} 個字元。",
        "action_key_taken": "已有相同代碼的機器人動作。",
        "action_not_found": "找不到這個機器人動作。",
        "bad_action_key": "動作代碼只能用小寫英文字母、數字和 -。",
        "bad_action_url": "動作網址須為公開的 https 網址。",
        "bad_locale": "不支援這個語言。",
        "bad_param_pattern": "參數格式(正規表示式)有誤,或會接受空白值。",
        "bad_period": "日期區間有誤。",
        "bad_timeout": "逾時秒數須在 1 到 10 秒之間。",
        "text_too_long": "文字太長。",
        "too_many_actions": "機器人動作已達上限。",
        # knowledge base (kefu/kb)
        "kb_editors_only": "只有管理員與主管可以編輯知識庫。",
        "kb_bad_slug": "網址代稱只能使用小寫英文字母 a-z、數字與單一連字號(例如 opening-hours)。",
        "kb_slug_taken": "這個網址代稱已被使用。",
        "kb_empty_text": "內容不可為空白(欄位:{field})。",
        "kb_text_too_long": "內容太長(欄位:{field},最多 {max} 字)。",
        "kb_bad_locale": "語言必須是 zh-TW 或 en。",
        "kb_bad_status": "狀態必須是草稿(draft)或已發布(published)。",
        "kb_category_needs_name": "分類需要名稱。",
        "kb_unknown_category": "找不到這個分類。",
        "kb_unknown_article": "找不到這篇文章。",
        "kb_no_locale": "文章至少需要一種語言的版本。",
        "kb_no_question": "問答至少需要一個問題。",
        "kb_too_many_questions": "一組問答最多 {max} 種問法。",
        # report summaries by email (kefu/reports/digests)
        "digest_leads_only": "報表摘要郵件僅供主管與管理員使用。",
        # staffing advice (kefu/reports/staffing.py): its summary lines
        "no_handling_time": "這段期間沒有結案的對話，無法得知處理時間：請提供 aht_s。",
        "staffing_out_of_range": "無法以這些條件計算排班建議(每小時最多 10,000 個對話名額)。",
        "staffing.peak": "{days} {hours}：{n} 位客服人員",
        "staffing.agentHours": "本週共需 {n} 人時",
        "staffing.everyDay": "每天",
        "staffing.weekdays": "平日",
        "staffing.weekends": "週末",
        "staffing.dayRange": "{first}至{last}",
        "staffing.daySep": "、",
        "staffing.day0": "週一",
        "staffing.day1": "週二",
        "staffing.day2": "週三",
        "staffing.day3": "週四",
        "staffing.day4": "週五",
        "staffing.day5": "週六",
        "staffing.day6": "週日",
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
