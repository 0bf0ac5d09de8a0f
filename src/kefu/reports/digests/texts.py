"""The digest email's words in zh-TW and en, registered in the server's translation layer
(kefu.i18n.CATALOG) under "digest.*", the way the console registers its i18n-<area>.js files."""

from __future__ import annotations

from kefu.i18n import CATALOG, translate

DIGEST_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "digest.subject.daily": "kefu daily report: {start}",
        "digest.subject.weekly": "kefu weekly report: {start} – {end}",
        "digest.title.daily": "Daily report",
        "digest.title.weekly": "Weekly report",
        "digest.greeting": "Hi {name},",
        "digest.intro.daily": (
            "here are yesterday's figures ({start}, {tz}), compared with the day before."
        ),
        "digest.intro.weekly": (
            "here are last week's figures ({start} – {end}, {tz}), compared with the week before."
        ),
        "digest.scope.all": "Scope: every team and inbox.",
        "digest.scope.teams": "Scope: your teams ({teams}).",
        "digest.scope.none": "Scope: your teams (you lead none yet).",
        "digest.col.figure": "Figure",
        "digest.col.value": "This period",
        "digest.col.previous": "Previous",
        "digest.col.change": "Change",
        "digest.m.created": "Conversations created",
        "digest.m.resolved": "Conversations resolved",
        "digest.m.first_response": "First response time (median)",
        "digest.m.resolution": "Resolution time (median)",
        "digest.m.fcr": "Resolved on first contact",
        "digest.m.csat": "CSAT average (1–5)",
        "digest.m.satisfied": "Satisfied customers",
        "digest.m.sla": "SLA attainment",
        "digest.m.queue_wait": "Queue wait (median)",
        "digest.m.abandonment": "Left the queue unanswered",
        "digest.better": "better",
        "digest.worse": "worse",
        "digest.open": "Open the reports: {url}",
        "digest.open_link": "Open the reports",
        "digest.unsubscribe": (
            "You receive this {frequency} summary because you turned it on. To change or stop "
            "it, open your profile in the console: {url}"
        ),
        "digest.frequency.daily": "daily",
        "digest.frequency.weekly": "weekly",
        "digest.footer": "This email was sent automatically; please do not reply to it.",
        "digest.dur.s": "{s} s",
        "digest.dur.min": "{m} min {s} s",
        "digest.dur.h": "{h} h {m} min",
        "digest.dur.d": "{d} d {h} h",
        "digest.pts": "{n} pts",
    },
    "zh-TW": {
        "digest.subject.daily": "kefu 每日報表：{start}",
        "digest.subject.weekly": "kefu 每週報表：{start} – {end}",
        "digest.title.daily": "每日報表",
        "digest.title.weekly": "每週報表",
        "digest.greeting": "{name} 您好：",
        "digest.intro.daily": "以下是昨天（{start}，{tz}）的數據，並與前一天比較。",
        "digest.intro.weekly": "以下是上週（{start} – {end}，{tz}）的數據，並與前一週比較。",
        "digest.scope.all": "範圍：所有團隊與收件匣。",
        "digest.scope.teams": "範圍：您的團隊（{teams}）。",
        "digest.scope.none": "範圍：您的團隊（您目前沒有負責的團隊）。",
        "digest.col.figure": "項目",
        "digest.col.value": "本期",
        "digest.col.previous": "前期",
        "digest.col.change": "變化",
        "digest.m.created": "新對話",
        "digest.m.resolved": "已結案對話",
        "digest.m.first_response": "首次回覆時間（中位數）",
        "digest.m.resolution": "解決時間（中位數）",
        "digest.m.fcr": "首次接觸即解決",
        "digest.m.csat": "滿意度平均（1–5）",
        "digest.m.satisfied": "滿意的客戶",
        "digest.m.sla": "SLA 達成率",
        "digest.m.queue_wait": "排隊等候時間（中位數）",
        "digest.m.abandonment": "排隊中未獲回覆即離開",
        "digest.better": "較佳",
        "digest.worse": "較差",
        "digest.open": "查看完整報表：{url}",
        "digest.open_link": "查看完整報表",
        "digest.unsubscribe": (
            "您收到這封{frequency}摘要，是因為您開啟了它。若要變更或停止，"
            "請到主控台的個人設定：{url}"
        ),
        "digest.frequency.daily": "每日",
        "digest.frequency.weekly": "每週",
        "digest.footer": "這封郵件由系統自動寄出，請勿直接回覆。",
        "digest.dur.s": "{s} 秒",
        "digest.dur.min": "{m} 分 {s} 秒",
        "digest.dur.h": "{h} 小時 {m} 分",
        "digest.dur.d": "{d} 天 {h} 小時",
        "digest.pts": "{n} 個百分點",
    },
}

for _locale, _entries in DIGEST_TEXTS.items():
    CATALOG.setdefault(_locale, {}).update(_entries)


def digest_text(key: str, locale: str, **params: object) -> str:
    """`key` in `locale` (zh-TW or en; anything else reads English)."""
    return translate(key, locale, DIGEST_TEXTS["en"][key].format(**params), **params)
