"""Trim quoted history and signatures from a mail's plain text, for display.

Agents read what the customer wrote this time; the history is already in the conversation and
the untrimmed text and the original message are kept beside it. The rules are the markers the
common clients write (there is no standard):
  * an attribution line: "On <date>, <name> wrote:" (Gmail, Apple Mail, Thunderbird; Gmail wraps
    it over two lines), "在 <date>，<name> 寫道：" / "写道：" (Chinese Apple Mail, Foxmail, QQ),
    "<name> <addr> 於 <date> 寫道：";
  * Outlook's "-----Original Message-----" / "-----原始郵件-----" and its header block
    ("From: ... Sent: ..." / "寄件者: ... 寄件日期: ..." / "发件人: ... 发送时间: ..."), often after
    a line of underscores;
  * lines quoted with ">" (also interleaved: the customer's answers between them stay);
  * a signature after the "-- " delimiter (RFC 3676 4.3), and mobile footers ("Sent from my
    iPhone", "從我的 iPhone 傳送", "Get Outlook for iOS").
Everything from the first history or signature marker on is cut. If nothing would be left (a
forwarded mail, a reply that is only a quote) the full text is shown instead.
"""

from __future__ import annotations

import re

_ATTRIBUTION = re.compile(
    r"^\s*(on\b.{0,400}\bwrote|le\b.{0,300}\ba écrit|am\b.{0,300}\bschrieb"
    r"|.{0,400}(寫道|写道))\s*[:：]\s*$",
    re.IGNORECASE,
)
_ORIGINAL = re.compile(
    r"^\s*-{2,}\s*(original message|forwarded message|原始郵件|原始邮件|原始訊息|轉寄郵件|转发邮件)"
    r"\s*-{2,}\s*$",
    re.IGNORECASE,
)
_HEADER_FROM = re.compile(r"^\s*\*?(from|寄件者|发件人|發件人)\s*\*?\s*[:：]", re.IGNORECASE)
_HEADER_NEXT = re.compile(
    r"^\s*\*?(sent|date|to|subject|寄件日期|日期|收件者|主旨|发送时间|時間|时间|收件人|主题)\s*\*?\s*[:：]",
    re.IGNORECASE,
)
_UNDERSCORES = re.compile(r"^\s*_{10,}\s*$")
_SIGNATURE = re.compile(r"^-- ?$")
_MOBILE = re.compile(
    r"^\s*(sent from my \w+|sent from (mail|outlook) for \w+|get outlook for \w+"
    r"|sent from yahoo mail.*|從我的\s*\S+\s*傳送|从我的\s*\S+\s*发送"
    r"|發自我的\s*\S+|发自我的\s*\S+)\s*$",
    re.IGNORECASE,
)


def _cut_index(lines: list[str]) -> int | None:
    """The first line that starts quoted history or a signature, if any."""
    for index, line in enumerate(lines):
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if _SIGNATURE.match(line) or _MOBILE.match(line) or _ORIGINAL.match(line):
            return index
        if _ATTRIBUTION.match(line):
            return index
        # Gmail wraps a long attribution: "On Tue, 2 Jan 2024 at 10:00, Wang <" / "w@x> wrote:".
        if line.lstrip().lower().startswith("on ") and _ATTRIBUTION.match(f"{line} {following}"):
            return index
        if _HEADER_FROM.match(line) and any(
            _HEADER_NEXT.match(nxt) for nxt in lines[index + 1 : index + 4]
        ):
            # Outlook puts a line of underscores above its header block.
            if index > 0 and _UNDERSCORES.match(lines[index - 1]):
                return index - 1
            return index
    return None


def trim_reply(text: str) -> str:
    """The new part of a reply (see the module docstring); the full text if that is empty."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cut = _cut_index(lines)
    kept = lines if cut is None else lines[:cut]
    kept = [line for line in kept if not line.lstrip().startswith(">")]
    trimmed = "\n".join(kept).strip()
    trimmed = re.sub(r"\n{3,}", "\n\n", trimmed)
    return trimmed or text.strip()
