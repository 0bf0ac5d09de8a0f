"""Pure rules for tag names and colours (no database): cleaning, the folded key that makes
names unique regardless of case and width, and the default colour of a tag created by name."""

from __future__ import annotations

import re
import unicodedata
import zlib

from kefu.errors import InvalidInput

MAX_NAME_CHARS = 50
COLOUR_PATTERN = r"^#[0-9a-fA-F]{6}$"
# Twelve distinct colours that read with dark or white text (the console picks the text colour).
PALETTE = (
    "#1f6feb",
    "#1a7f37",
    "#c62828",
    "#8250df",
    "#bf8700",
    "#0a7ea4",
    "#d1495b",
    "#2da44e",
    "#e16f24",
    "#6e7781",
    "#b35900",
    "#5a32a3",
)
_SPACES = re.compile(r"\s+")


def clean_tag_name(raw: object) -> str:
    """The name as stored: trimmed, inner runs of white space made one space. Refuses empty,
    over-long (after trimming) and control-character names with a 4xx."""
    if not isinstance(raw, str):
        raise InvalidInput("A tag name must be text.", code="bad_tag_name")
    name = _SPACES.sub(" ", raw.strip())
    if not name:
        raise InvalidInput("A tag needs a name.", code="bad_tag_name")
    if len(name) > MAX_NAME_CHARS:
        raise InvalidInput(
            f"A tag name has at most {MAX_NAME_CHARS} characters.",
            code="tag_name_too_long",
            max=MAX_NAME_CHARS,
        )
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        raise InvalidInput("A tag name cannot contain control characters.", code="bad_tag_name")
    return name


def tag_key(name: str) -> str:
    """What makes two names the same tag: Unicode compatibility forms folded (full-width
    "ＶＩＰ" is "VIP") and case folded ("VIP" is "vip")."""
    return unicodedata.normalize("NFKC", name).casefold()


def default_colour(name: str) -> str:
    """A tag created by name (by an agent or a routing rule) gets a colour from the palette,
    the same one for the same name on every node, so neighbouring tags usually differ."""
    return PALETTE[zlib.crc32(tag_key(name).encode()) % len(PALETTE)]


def clean_colour(raw: str) -> str:
    if not re.fullmatch(COLOUR_PATTERN, raw):
        raise InvalidInput("A colour is written #rrggbb.", code="bad_colour")
    return raw.lower()
