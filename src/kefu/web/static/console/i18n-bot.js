// Translations of the FAQ bot's lines in the console: its messages' label and the handoff line.
// zh-TW and en complete.

export const BOT_CATALOG = {
  en: {
    "bot.label": "Bot",
    "bot.handoff": "The bot handed over ({reason}): {summary}",
    "bot.handoffPlain": "The bot handed over ({reason})",
    "bot.reason.low_confidence": "no confident answer",
    "bot.reason.requested": "asked for a person",
    "bot.reason.upset": "customer upset",
    "bot.reason.action_failed": "lookup failed",
    "bot.reason.not_helped": "the answer did not help",
    "bot.reason.after_hours": "outside business hours",
  },
  "zh-TW": {
    "bot.label": "機器人",
    "bot.handoff": "機器人已轉接真人（{reason}）：{summary}",
    "bot.handoffPlain": "機器人已轉接真人（{reason}）",
    "bot.reason.low_confidence": "無把握的答案",
    "bot.reason.requested": "客戶要求真人",
    "bot.reason.upset": "客戶情緒不滿",
    "bot.reason.action_failed": "查詢失敗",
    "bot.reason.not_helped": "回答沒有幫助",
    "bot.reason.after_hours": "非服務時間",
  },
};
