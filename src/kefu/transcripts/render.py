"""A conversation as a self-contained HTML document and as plain text.

Every string that came from a customer, an agent or an admin is escaped (html.escape), the
document loads nothing from anywhere (inline CSS, a Content-Security-Policy that allows no
requests), and no script runs in it.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from kefu.messages.models import Message

TEXTS: dict[str, dict[str, str]] = {
    "zh-TW": {
        "title": "對話紀錄",
        "subject": "您與{inbox}的對話紀錄",
        "intro": "以下是您與{inbox}的對話紀錄。",
        "you": "您",
        "visitor": "訪客 #{id}",
        "note": "內部備註",
        "notes_included": "此檔案含內部備註,僅供內部使用,請勿轉寄給客戶。",
        "inbox": "收件匣",
        "contact": "客戶",
        "started": "開始時間",
        "exported": "匯出時間",
        "times": "時間以 {zone} 顯示",
        "attachment": "附件:{name}",
        "empty": "(沒有訊息)",
        "footer": "這封郵件是應您的要求自動寄出的,請勿直接回覆。",
    },
    "en": {
        "title": "Conversation transcript",
        "subject": "Your conversation with {inbox}",
        "intro": "Here is your conversation with {inbox}.",
        "you": "You",
        "visitor": "Visitor #{id}",
        "note": "Internal note",
        "notes_included": "This file includes internal notes: for internal use only, do not "
        "forward it to the customer.",
        "inbox": "Inbox",
        "contact": "Customer",
        "started": "Started",
        "exported": "Exported",
        "times": "Times in {zone}",
        "attachment": "Attachment: {name}",
        "empty": "(no messages)",
        "footer": "This email was sent automatically at your request; please do not reply to it.",
    },
}

CSS = (
    "body{font:15px/1.5 system-ui,-apple-system,'Segoe UI','Noto Sans TC','PingFang TC',"
    "'Microsoft JhengHei',sans-serif;color:#1f2328;background:#f6f7f9;margin:0;padding:24px}"
    "main{max-width:720px;margin:0 auto;background:#fff;border-radius:12px;padding:24px;"
    "box-shadow:0 1px 3px rgba(0,0,0,.12)}"
    "h1{font-size:20px;margin:0 0 4px}.sub{color:#57606a;margin:0 0 12px}"
    "dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:0 0 16px;"
    "font-size:13px;color:#57606a}dd{margin:0}"
    ".warn{background:#fef3c7;color:#78350f;padding:8px 12px;border-radius:8px;font-size:13px}"
    "ol{list-style:none;margin:0;padding:0;display:flex;flex-direction:column;gap:10px}"
    "li{max-width:85%}li.out{align-self:flex-end;text-align:right}"
    ".meta{font-size:12px;color:#57606a;margin:0 4px 2px}"
    ".text{display:inline-block;text-align:left;padding:8px 12px;border-radius:12px;"
    "background:#eef1f4;white-space:pre-wrap;overflow-wrap:anywhere}"
    "li.out .text{background:#dbeafe}li.note .text{background:#fef9c3;border:1px dashed #ca8a04}"
    ".att{font-size:12px;color:#57606a;margin:2px 4px 0}"
    "footer{margin-top:20px;font-size:12px;color:#6e7781}"
)
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


@dataclass(frozen=True)
class TranscriptView:
    """Who is reading: the customer (email: their messages are "You") or an agent (export)."""

    locale: str
    inbox_name: str
    contact_name: str  # "" for an unnamed visitor
    contact_id: int
    zone: ZoneInfo
    started_at: datetime
    generated_at: datetime
    for_customer: bool
    includes_notes: bool = False

    def t(self, key: str, **params: object) -> str:
        texts = TEXTS.get(self.locale, TEXTS["en"])
        return texts[key].format(**params) if params else texts[key]

    def when(self, moment: datetime) -> str:
        return moment.astimezone(self.zone).strftime("%Y-%m-%d %H:%M")

    @property
    def contact_label(self) -> str:
        return self.contact_name or self.t("visitor", id=self.contact_id)

    def sender(self, message: Message) -> str:
        if message.kind == "incoming":
            return self.t("you") if self.for_customer else self.contact_label
        name = message.sender_user.name if message.sender_user is not None else self.inbox_name
        return f"{self.t('note')} · {name}" if message.kind == "note" else name


def _e(value: str) -> str:
    return html.escape(value, quote=True)


def render_html(view: TranscriptView, messages: Sequence[Message]) -> str:
    """A complete HTML document; `messages` are already filtered (no notes for customers)."""
    rows = []
    for message in messages:
        css = {"incoming": "in", "outgoing": "out", "note": "note out"}.get(message.kind, "in")
        files = "".join(
            f'<div class="att">{_e(view.t("attachment", name=a.file_name))}</div>'
            for a in message.attachments
        )
        rows.append(
            f'<li class="{css}"><div class="meta">{_e(view.sender(message))} · '
            f'<time datetime="{_e(message.created_at.isoformat())}">'
            f"{_e(view.when(message.created_at))}</time></div>"
            f'<div class="text">{_e(message.text)}</div>{files}</li>'
        )
    body = "\n".join(rows) or f"<li>{_e(view.t('empty'))}</li>"
    intro = (
        f'<p class="sub">{_e(view.t("intro", inbox=view.inbox_name))}</p>'
        if view.for_customer
        else ""
    )
    warning = (
        f'<p class="warn" role="note">{_e(view.t("notes_included"))}</p>'
        if view.includes_notes
        else ""
    )
    zone_name = str(view.zone.key)
    details = (
        f"<dt>{_e(view.t('inbox'))}</dt><dd>{_e(view.inbox_name)}</dd>"
        + (
            ""
            if view.for_customer
            else f"<dt>{_e(view.t('contact'))}</dt><dd>{_e(view.contact_label)}</dd>"
        )
        + f"<dt>{_e(view.t('started'))}</dt><dd>{_e(view.when(view.started_at))}</dd>"
        f"<dt>{_e(view.t('exported'))}</dt><dd>{_e(view.when(view.generated_at))}</dd>"
        f"<dt></dt><dd>{_e(view.t('times', zone=zone_name))}</dd>"
    )
    footer = f"<footer>{_e(view.t('footer'))}</footer>" if view.for_customer else ""
    title = f"{view.t('title')} · {view.inbox_name}"
    return (
        f'<!doctype html>\n<html lang="{_e(view.locale)}"><head><meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n<style>{CSS}</style></head>\n"
        f"<body><main><h1>{_e(view.t('title'))}</h1>{intro}<dl>{details}</dl>{warning}\n"
        f"<ol>\n{body}\n</ol>{footer}</main></body></html>\n"
    )


def render_text(view: TranscriptView, messages: Sequence[Message]) -> str:
    lines = [view.t("intro", inbox=view.inbox_name) if view.for_customer else view.t("title"), ""]
    for message in messages:
        lines.append(f"[{view.when(message.created_at)}] {view.sender(message)}:")
        lines.extend(f"  {line}" for line in message.text.splitlines() or [""])
        lines.extend(f"  {view.t('attachment', name=a.file_name)}" for a in message.attachments)
        lines.append("")
    if not messages:
        lines.append(view.t("empty"))
    lines.append(view.t("times", zone=str(view.zone.key)))
    if view.for_customer:
        lines += ["", view.t("footer")]
    return "\n".join(lines) + "\n"
