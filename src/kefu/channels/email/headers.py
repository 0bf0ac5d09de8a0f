"""Decoding what mail clients actually send: RFC 2047 headers, mislabelled Chinese charsets,
raw 8-bit headers, Message-ID lists.

Messages are parsed with the compat32 policy (`email.message_from_bytes(raw)`), which keeps
header values as received, and decoded here, because the modern policy decodes a "gb2312" word
strictly and turns the characters GBK added (common in names) into U+FFFD.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from email.header import decode_header
from email.message import Message
from email.utils import getaddresses, parseaddr

# Labels that mean a superset in practice: Windows and most Chinese clients label GBK/GB18030
# text "gb2312", and Big5 text with HKSCS or Microsoft's cp950 additions "big5".
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "euc-cn": "gb18030",
    "big5": "big5hkscs",
    "x-big5": "big5hkscs",
    "cn-big5": "big5hkscs",
    "ks_c_5601-1987": "cp949",
    "iso-8859-1": "cp1252",  # the WHATWG rule: "latin1" text is Windows-1252
    "us-ascii": "utf-8",  # 8-bit bytes in "ascii" mail are nearly always UTF-8
}


def codec_for(charset: str | None) -> str:
    """A Python codec for a MIME charset label (unknown labels read as UTF-8)."""
    label = (charset or "utf-8").strip().strip('"').lower()
    label = _SUPERSETS.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return "utf-8"


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Text of a body part or header word; undecodable bytes become U+FFFD, never an error."""
    codec = codec_for(charset)
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        pass
    # Unlabelled or mislabelled 8-bit text: try the usual suspects before replacing bytes.
    for guess in ("utf-8", "big5hkscs", "gb18030"):
        try:
            return data.decode(guess)
        except UnicodeDecodeError:
            continue
    return data.decode(codec, errors="replace")


def _raw_value(message: Message, name: str) -> str | None:
    for key, value in message.raw_items():
        if key.lower() == name.lower():
            return str(value)
    return None


def _unfold(value: str) -> str:
    return re.sub(r"\r?\n[ \t]", " ", value).strip()


def decode_words(value: str) -> str:
    """A header's text: RFC 2047 encoded words decoded, raw 8-bit bytes (which compat32 keeps
    as surrogate escapes) decoded as UTF-8 or a Chinese charset."""
    if any("\udc80" <= char <= "\udcff" for char in value):
        value = decode_bytes(value.encode("ascii", "surrogateescape"), "utf-8")
    try:
        pieces = decode_header(_unfold(value))
    except Exception:  # a malformed encoded word: show it as it is
        return _unfold(value)
    out: list[str] = []
    for piece, charset in pieces:
        if isinstance(piece, str):
            out.append(piece)
        else:
            out.append(decode_bytes(piece, charset))
    return re.sub(r"[\r\n\x00]+", " ", "".join(out)).strip()


def header_text(message: Message, name: str) -> str | None:
    """A text header (Subject, a display name), decoded; None when absent."""
    raw = _raw_value(message, name)
    return None if raw is None else decode_words(raw)


def header_raw(message: Message, name: str) -> str | None:
    """A structured header (addresses, ids, tokens) unfolded but not decoded."""
    raw = _raw_value(message, name)
    return None if raw is None else _unfold(raw)


def address(message: Message, name: str) -> tuple[str, str]:
    """(display name, lower-cased address) of an address header ("" when absent)."""
    raw = header_raw(message, name)
    if not raw:
        return "", ""
    display, addr = parseaddr(raw)
    if not addr:
        # A header parseaddr cannot read (an unquoted comma in a name): the last <...> in it.
        found = re.findall(r"<([^<>\s]+@[^<>\s]+)>", raw)
        addr = found[-1] if found else ""
    return decode_words(display), addr.strip().lower()


def addresses(message: Message, name: str) -> list[str]:
    """Lower-cased addresses of a list header (To, Cc)."""
    raws = [
        _unfold(str(value)) for key, value in message.raw_items() if key.lower() == name.lower()
    ]
    return [addr.lower() for _, addr in getaddresses(raws) if addr]


_MSGID = re.compile(r"<([^<>\s]+)>")


def message_ids(value: str | None) -> list[str]:
    """The Message-IDs in a References or In-Reply-To header, as "<id@host>", in order.
    Some clients omit the angle brackets: a bare "id@host" token is accepted too."""
    if not value:
        return []
    found = _MSGID.findall(value)
    if not found:
        found = [token for token in value.split() if "@" in token]
    return [f"<{item.strip('<>')}>" for item in found]


def message_id(message: Message, raw: bytes) -> str:
    """The message's Message-ID as "<id@host>"; a missing one is derived from the bytes, so the
    same message delivered twice (listener and IMAP, or a retried SMTP transaction) still
    de-duplicates."""
    found = message_ids(header_raw(message, "Message-ID"))
    if found:
        return found[0]
    return f"<{hashlib.sha256(raw).hexdigest()[:32]}@kefu.missing-message-id>"
